"""The verifier registry and the helpers every verifier shares (answer extraction from options).

A verifier is a pure function `(completion, gold, options) -> Score`: deterministic, no I/O, never
`eval`s model output. Options every verifier understands (answer extraction): answer_tag ("answer"),
think_tag ("think"), fallbacks (["boxed"]; also "last_number", "last_line"); the rest are per verifier. Time is bounded by the caller (`mmreason.rewards.pool`), size by the verifiers
themselves. `Score.error` carries a short counted reason; a plain wrong answer has `error=None`:

    no_answer      no answer block (and no configured fallback matched)
    empty_answer   `<answer></answer>` or whitespace only — never matches anything
    parse_error    the answer is not of the verifier's kind (not a number, not a box, …)
    out_of_range   a number with an absurd exponent, refused without computing it
    too_complex    a math answer that could make sympy hang (power towers, deep nesting, huge factorials)
    too_long       the completion or the answer is over the size cap
    bad_gold       the gold answer itself cannot be read (a data bug: fix the data)
    timeout        the verification ran past its time bound (set by the pool)
    error:<Type>   the verifier raised (set by the pool; a bug to report)
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..registry import Registry
from ..types import Score
from .extract import extract_answer

Verifier = Callable[[str, str, Mapping[str, Any]], Score]

VERIFIERS: Registry[Verifier] = Registry("verifier")


def get_verifier(name: str) -> Verifier:
    """The verifier registered as `name`; an unknown name raises UnknownNameError with a did-you-mean."""
    return VERIFIERS.get(name)


def answer_or_score(completion: str, options: Mapping[str, Any]) -> tuple[str | None, Score | None]:
    """(answer, None) when there is a non-empty answer, else (None, the zero Score saying why)."""
    fallbacks = options.get("fallbacks", ("boxed",))
    if isinstance(fallbacks, str):
        fallbacks = (fallbacks,)
    ans = extract_answer(completion, answer_tag=options.get("answer_tag", "answer"), fallbacks=fallbacks,
                         think_tag=options.get("think_tag", "think"))
    if ans is None:
        return None, Score(0.0, None, "no_answer")
    if not ans:
        return None, Score(0.0, "", "empty_answer")
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
