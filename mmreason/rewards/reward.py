"""The composite reward: accuracy (from the verifiers, via the pool) combined with the format check.

Three ways to combine them (`combine`), with a = accuracy in [0, 1], f = format in {0, 1}, w_a / w_f the weights:

    sum                w_a·a + w_f·f          DeepSeek-R1's accuracy + format; format pays on its own
    gated              w_a·a·f                format is a gate: a right answer in a broken format earns 0, and a
                                              perfect format with a wrong answer earns 0 (w_f unused)
    format_if_correct  w_a·a + w_f·f·a        format pays only together with accuracy: a right answer in a broken
                                              format earns w_a·a, a wrong one earns 0 whatever its format

Under `sum` a policy can buy reward with format alone (on a mixture where accuracy is hard it does: format rises,
accuracy falls); the other two cannot be gamed that way.

`format` is the answer format's own check (`AnswerFormat.format_score`: "r1" is exactly `<think>…</think>` then
`<answer>…</answer>`; "plain" exactly one non-empty `<answer>…</answer>` block). A completion over the pool's
max_chars gets neither (it is not looked at). Length terms (DAPO overlong, Kimi length reward) are the trainer's
business and are added there.

The answer format's tags go to the verifiers as the `answer_tag`/`think_tag` options; a request's own options
take precedence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from .answer_format import AnswerFormat
from .pool import VerifierPool, VerifyRequest


COMBINES = {
    "sum": lambda a, f, wa, wf: wa * a + wf * f,
    "gated": lambda a, f, wa, wf: wa * a * f,
    "format_if_correct": lambda a, f, wa, wf: wa * a + wf * f * a,
}


@dataclass
class RewardBreakdown:
    reward: float            # accuracy and format, combined by the reward function's rule
    accuracy: float          # the verifier's score in [0, 1]
    format: float            # 1.0 when the completion follows the template
    error: str | None = None       # the verifier's counted reason (None for a plain right/wrong answer)
    extracted: str | None = None   # the answer text the verifier read


class RewardFunction:
    """Callable: list[VerifyRequest] → list[RewardBreakdown]. Owns (and closes) its pool unless given one."""

    def __init__(self, answer_format: AnswerFormat | None = None, accuracy_weight: float = 1.0,
                 format_weight: float = 0.5, pool: VerifierPool | None = None, close_pool: bool | None = None,
                 combine: str = "sum"):
        """`close_pool`: whether `close()` closes the pool (default: only a pool this function created)."""
        if combine not in COMBINES:
            raise ValueError(f"unknown reward combine '{combine}' (valid: {', '.join(COMBINES)})")
        self.answer_format = answer_format or AnswerFormat()
        self.accuracy_weight, self.format_weight = float(accuracy_weight), float(format_weight)
        self.combine = COMBINES[combine]
        self._owns_pool = pool is None if close_pool is None else close_pool
        self.pool = pool if pool is not None else VerifierPool()

    def _with_tags(self, r):
        if not isinstance(r, VerifyRequest) or not isinstance(r.options, Mapping):
            return r  # the pool scores it as bad_request
        return replace(r, options={**self.answer_format.verifier_options(), **r.options})

    def __call__(self, requests: Sequence[VerifyRequest]) -> list[RewardBreakdown]:
        requests = [self._with_tags(r) for r in requests]
        out = []
        for r, s in zip(requests, self.pool.score_many(requests)):
            text = getattr(r, "completion", None)
            ok = isinstance(text, str) and len(text) <= self.pool.max_chars
            fmt = self.answer_format.format_score(text) if ok else 0.0  # measured even when it earns nothing
            reward = self.combine(s.accuracy, fmt, self.accuracy_weight, self.format_weight)
            out.append(RewardBreakdown(reward, s.accuracy, fmt, s.error, s.extracted))
        return out

    def close(self) -> None:
        if self._owns_pool:
            self.pool.close()

    def __enter__(self) -> "RewardFunction":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
