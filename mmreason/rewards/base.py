"""The verifier registry and the helpers every verifier shares (answer extraction from options).

A verifier is a pure function `(completion, gold, options) -> Score`: deterministic, no I/O, never
`eval`s model output. Options every verifier understands (answer extraction): answer_tag ("answer"),
think_tag ("think"), fallbacks (["boxed"]; also "last_number", "last_line"); the rest are per verifier. Time is bounded by the caller (`mmreason.rewards.pool`), size by the verifiers
themselves. `Score.error` carries a short counted reason; a plain wrong answer has `error=None`:

    no_answer      no answer block (and no configured fallback matched)
    empty_answer   `<answer></answer>` or whitespace only — never matches anything
    multiple_answers  two answer blocks (or `\\boxed{}`) outside the reasoning that differ: a hedge (extract.py)
    hidden_characters the answer holds invisible, bidirectional-control or overlay characters (textguard.py)
    parse_error    the answer is not of the verifier's kind (not a number, not a box, …)
    out_of_range   a number with an absurd exponent, refused without computing it
    too_complex    a math answer that could make sympy hang (power towers, deep nesting, huge factorials)
    too_long       the completion or the answer is over the size cap
    bad_gold       the gold answer itself cannot be read, or holds hidden characters (a data bug: fix the data)
    timeout        the verification ran past its time bound (set by the pool)
    error:<Type>   the verifier raised (set by the pool; a bug to report)

Every Score's accuracy is in [0, 1]; the pool turns any other return value into a counted error:<…> zero.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..registry import Registry
from ..types import Score
from .extract import find_answer
from .textguard import hidden_character

Verifier = Callable[[str, str, Mapping[str, Any]], Score]

VERIFIERS: Registry[Verifier] = Registry("verifier")

# The reasons a verifier itself returns (above); the pool adds timeout, crashed, too_long, bad_request,
# unknown_verifier and error:<Type>.
REASONS = ("no_answer", "empty_answer", "multiple_answers", "hidden_characters", "parse_error", "out_of_range",
           "too_complex", "too_long", "bad_gold")


def get_verifier(name: str) -> Verifier:
    """The verifier registered as `name`; an unknown name raises UnknownNameError with a did-you-mean."""
    return VERIFIERS.get(name)


def answer_or_score(completion: str, options: Mapping[str, Any], gold: str | None = None
                    ) -> tuple[str | None, Score | None]:
    """(answer, None) when there is one non-empty answer a reader sees as written (and, when `gold` is given,
    a gold free of hidden characters), else (None, the zero Score saying why)."""
    fallbacks = options.get("fallbacks", ("boxed",))
    if isinstance(fallbacks, str):
        fallbacks = (fallbacks,)
    found = find_answer(completion, answer_tag=options.get("answer_tag", "answer"), fallbacks=fallbacks,
                        think_tag=options.get("think_tag", "think"))
    ans = found.answer
    if ans is None:
        return None, Score(0.0, None, found.reason or "no_answer")
    if not ans:
        return None, Score(0.0, "", "empty_answer")
    if hidden_character(ans) is not None:
        return None, Score(0.0, ans, "hidden_characters")
    if gold is not None and hidden_character(gold) is not None:
        return None, Score(0.0, ans, "bad_gold")
    return ans, None


def string_list(value: Any, what: str) -> list[str]:
    """A list of strings from an option value (a single string counts as one); TypeError otherwise."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f"option '{what}' must be a list of strings")
