"""Transcription verifiers: `ocr_exact` (default for short rendered text), `ocr_anls`, `ocr_cer`.

Edit distance is Myers' bit-parallel algorithm (Hyyrö's formulation for global distance) on Python
integers: O(min(n, m) · ⌈max(n, m)/64⌉) word operations done in C, so a 2,000 × 20,000 comparison takes
~0.1 s where the two-row DP would take ~10 s. `levenshtein_reference` is the plain two-row DP the
tests check it against. An answer longer than 10·len(gold) + 100 characters scores 0 with reason
too_long before any distance is computed (such an answer cannot be a transcription anyway).

Normalisation: NFC (canonical; compatibility folding like NFKC would equate `²` with `2`, which are
different glyphs to transcribe), whitespace stripped and collapsed. `ocr_anls` is case-insensitive
(DocVQA); `ocr_exact` and `ocr_cer` are case-sensitive unless `case_sensitive: false`.

Options: alternatives (extra acceptable gold strings; the best one counts), case_sensitive,
threshold (ANLS cut-off, 0.5: score 1 − NL when NL < threshold, else 0 — strict `<` as in the
DocVQA evaluation; some implementations use ≤).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..types import Score
from .base import VERIFIERS, answer_or_score, string_list
from .parsing import normalize_text


def levenshtein_reference(a: str, b: str) -> int:
    """Plain two-row dynamic programme (the reference the fast version is tested against)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions). The longer string is the bit vector, so the
    Python-level loop runs over the shorter one."""
    if len(a) > len(b):
        a, b = b, a
    m = len(b)
    if not a:
        return m
    peq: dict[str, int] = {}
    for i, c in enumerate(b):
        peq[c] = peq.get(c, 0) | (1 << i)
    mask, last = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for c in a:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | ~(xh | pv)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & mask  # the top row of the DP grows by one per column: shift in a 1
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def _golds(gold: str, options: Mapping[str, Any], case_sensitive: bool) -> list[str]:
    raw = [gold, *string_list(options.get("alternatives"), "alternatives")]
    return [normalize_text(g, case_sensitive=case_sensitive, form="NFC", strip_period=False) for g in raw]


def _prepare(completion: str, gold: str, options: Mapping[str, Any], case_default: bool):
    """(answer, normalised answer, normalised golds, None) or (…, zero Score) when it cannot be scored."""
    ans, zero = answer_or_score(completion, options, gold)
    if zero:
        return None, None, None, zero
    cs = bool(options.get("case_sensitive", case_default))
    golds = _golds(gold, options, cs)
    if not any(golds):
        return ans, None, None, Score(0.0, ans, "bad_gold")
    if len(ans) > 10 * max(len(g) for g in golds) + 100:
        return ans, None, None, Score(0.0, ans, "too_long")
    return ans, normalize_text(ans, case_sensitive=cs, form="NFC", strip_period=False), golds, None


@VERIFIERS.register("ocr_exact")
def verify_ocr_exact(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, pred, golds, zero = _prepare(completion, gold, options, case_default=True)
    if zero:
        return zero
    return Score(float(pred in [g for g in golds if g]), ans, None)


@VERIFIERS.register("ocr_anls")
def verify_ocr_anls(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, pred, golds, zero = _prepare(completion, gold, options, case_default=False)
    if zero:
        return zero
    threshold = float(options.get("threshold", 0.5))
    best, best_nl = 0.0, 1.0
    for g in golds:
        if not g:
            continue
        nl = levenshtein(pred, g) / max(len(pred), len(g))
        best_nl = min(best_nl, nl)
        best = max(best, 1.0 - nl if nl < threshold else 0.0)
    return Score(best, ans, None, {"nl": best_nl})


@VERIFIERS.register("ocr_cer")
def verify_ocr_cer(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, pred, golds, zero = _prepare(completion, gold, options, case_default=True)
    if zero:
        return zero
    cer = min(levenshtein(pred, g) / len(g) for g in golds if g)
    return Score(min(1.0, max(0.0, 1.0 - cer)), ans, None, {"cer": cer})
