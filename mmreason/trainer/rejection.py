"""Rejection sampling (R1, STaR) and preference pairs (DPO, Kimi's long-to-short): which of a prompt's k verified
completions are kept, and which pairs are written. Pure functions over `Candidate`s, tested by hand.

A completion is *correct* when its verifier accuracy is ≥ 0.5 (the pass@k rule; right/wrong verifiers give 0 or 1)
and, with `require_format`, it also passes the answer-format check. Kept for SFT (`keep`):
    all       every correct completion, in sample order
    max       the first m correct ones
    shortest  the one correct completion with the fewest tokens (the first of equals): Kimi's shortest rejection
              sampling for long-to-short
    none      nothing (sampling only for pass@k, pairs or the difficulty column)
Pairs (`pairs`), chosen ≻ rejected:
    correct_wrong  the i-th correct completion against the i-th wrong one (accuracy < 0.5)
    short_long     the shortest correct against correct ones at least `long_ratio` times longer, longest first
"""

from __future__ import annotations

from dataclasses import dataclass

CORRECT_AT = 0.5


@dataclass(frozen=True)
class Candidate:
    text: str
    tokens: int                 # completion length in tokens
    accuracy: float             # verifier accuracy in [0, 1]
    format: float               # 1.0 when the completion follows the answer format
    rationalized: bool = False  # generated with the gold answer as a hint (STaR), trained on without it
    extracted: str | None = None  # the answer the verifier read (majority vote)

    def correct(self, require_format: bool = True) -> bool:
        return self.accuracy >= CORRECT_AT and (self.format >= 1.0 or not require_format)


def kept(cands: list[Candidate], keep: str, max_per_prompt: int = 1, require_format: bool = True) -> list[Candidate]:
    """The completions of one prompt kept as SFT targets."""
    good = [c for c in cands if c.correct(require_format)]
    if keep == "all":
        return good
    if keep == "max":
        return good[:max_per_prompt]
    if keep == "shortest":
        return [min(good, key=lambda c: c.tokens)] if good else []
    if keep == "none":
        return []
    raise ValueError(f"sample.keep: unknown rule {keep!r}")


def pairs(cands: list[Candidate], mode: str, per_prompt: int = 1, long_ratio: float = 1.5,
          require_format: bool = True) -> list[tuple[Candidate, Candidate]]:
    """(chosen, rejected) pairs of one prompt's completions."""
    if mode == "none":
        return []
    good = [c for c in cands if c.correct(require_format)]
    if mode == "correct_wrong":
        wrong = [c for c in cands if c.accuracy < CORRECT_AT]
        return list(zip(good, wrong))[:per_prompt]
    if mode == "short_long":
        if not good:
            return []
        short = min(good, key=lambda c: c.tokens)
        longer = [c for c in cands if c.accuracy >= CORRECT_AT and c.tokens >= long_ratio * short.tokens]
        longer.sort(key=lambda c: -c.tokens)
        return [(short, c) for c in longer[:per_prompt]]
    raise ValueError(f"sample.pairs: unknown mode {mode!r}")


def needs_rationale(cands: list[Candidate], require_format: bool = True) -> bool:
    """STaR retries a prompt with a hint only when none of its completions is correct."""
    return not any(c.correct(require_format) for c in cands)
