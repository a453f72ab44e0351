"""Verifications per second per core for typical R1-style math completions.

A synthetic RL batch: P problems × G completions each, every completion a few hundred characters of
`<think>…</think>` reasoning (with LaTeX and a decoy `\\boxed{}`) and an `<answer>…</answer>`, about
half right (in a random equivalent form: 3/4, 0.75, \\frac{3}{4}, \\dfrac{6}{8}) and half wrong. Gold
answers are plain numbers, fractions, decimals and LaTeX expressions (\\sqrt, \\pi, sets); only the
plain-number pairs can take the exact fast path, the rest go through math-verify.

Measured: (a) in process (`score_one`, one core), with and without the fast path, caches cleared first
(the verdict cache still dedupes equal (gold, answer) pairs within the batch, as it does in training),
and for the items the fast path leaves to math-verify alone; (b) through a `VerifierPool` with 1
worker (the parent pickles and waits, the worker verifies), wall clock. One JSON object on stdout;
per_core_per_s is the in-process rate with the fast path.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_verify.py [--problems 250] [--group 8]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from fractions import Fraction

REASONING = ("Let me set up the problem. We have $x^2 - 5x + 6 = 0$, so $(x-2)(x-3) = 0$. "
             "Checking the constraint \\(x > 0\\) both roots work. Then the ratio is $\\frac{a}{b}$ where "
             "$a = {a}$ and $b = {b}$. Wait, I should double check: {a} / {b} simplifies. Hmm, earlier I "
             "thought the answer was \\boxed{{{decoy}}} but that ignored the second case. ")


def _number_forms(v: Fraction, rng: random.Random) -> str:
    forms = [f"{v.numerator}/{v.denominator}" if v.denominator != 1 else str(v.numerator),
             (f"-\\frac{{{-v.numerator}}}{{{v.denominator}}}" if v < 0
              else f"\\frac{{{v.numerator}}}{{{v.denominator}}}"),
             f"\\dfrac{{{2 * v.numerator}}}{{{2 * v.denominator}}}"]
    if (v * 10000).denominator == 1:
        forms.append(f"{float(v):g}")
    return rng.choice(forms)


def _latex_problem(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """(gold, right answers, wrong answers) for a LaTeX-valued problem."""
    k, m = rng.randint(2, 9), rng.choice([2, 3, 5, 7])
    kind = rng.randrange(3)
    if kind == 0:
        return (f"{k}\\sqrt{{{m}}}", [f"{k}\\sqrt{{{m}}}", f"\\sqrt{{{k * k * m}}}"],
                [f"{k + 1}\\sqrt{{{m}}}", f"{k}\\sqrt{{{m + 1}}}"])
    if kind == 1:
        return (f"\\frac{{{k}\\pi}}{{{m}}}", [f"\\frac{{{k}\\pi}}{{{m}}}", f"{k}\\pi/{m}"],
                [f"\\frac{{{k + 1}\\pi}}{{{m}}}", f"{k}\\pi"])
    return (f"\\{{{k}, {m}\\}}", [f"\\{{{m}, {k}\\}}", f"\\{{{k}, {m}\\}}"], [f"\\{{{k}, {m + 1}\\}}", f"{k}"])


def make_batch(problems: int, group: int, seed: int = 0) -> list:
    from mmreason.rewards import VerifyRequest

    rng = random.Random(seed)
    reqs = []
    for _ in range(problems):
        if rng.random() < 0.7:
            v = Fraction(rng.randint(-500, 500), rng.choice([1, 1, 2, 3, 4, 5, 8, 12]))
            gold = _number_forms(v, rng)
            right = lambda: _number_forms(v, rng)  # noqa: E731
            wrong = lambda: _number_forms(v + Fraction(rng.randint(1, 9), rng.choice([1, 2, 4])), rng)  # noqa: E731
        else:
            gold, rights, wrongs = _latex_problem(rng)
            right, wrong = (lambda r=rights: rng.choice(r)), (lambda w=wrongs: rng.choice(w))
        for _ in range(group):
            answer = right() if rng.random() < 0.5 else wrong()
            think = REASONING.format(a=rng.randint(2, 99), b=rng.randint(2, 99), decoy=rng.randint(0, 99)) * 2
            reqs.append(VerifyRequest(f"<think>{think}</think>\n<answer>{answer}</answer>", gold, "math", {}))
    return reqs


def _clear_caches() -> None:
    from mmreason.rewards import math_answers

    math_answers._parse.cache_clear()
    math_answers._verdict.cache_clear()


def _warm_up():
    from mmreason.rewards import VerifyRequest

    return VerifyRequest("<answer>\\sqrt{2}</answer>", "\\frac{1}{2}", "math", {"fast_path": False})


def bench_in_process(reqs: list, fast_path: bool) -> tuple[float, float]:
    from dataclasses import replace

    from mmreason.rewards import score_one

    if not fast_path:
        reqs = [replace(r, options={"fast_path": False}) for r in reqs]
    score_one(_warm_up())  # math-verify's one-time warm-up is not what we measure
    _clear_caches()
    t = time.perf_counter()
    scores = [score_one(r) for r in reqs]
    dt = time.perf_counter() - t
    return len(reqs) / dt, sum(s.accuracy for s in scores) / len(scores)


def bench_pool(reqs: list, workers: int) -> float:
    from mmreason.rewards import VerifierPool

    with VerifierPool(workers=workers, timeout_s=5.0) as pool:
        pool.score_many([_warm_up()] * 2)  # (the workers also warm up math-verify before they say ready)
        t = time.perf_counter()
        pool.score_many(reqs)
        return len(reqs) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=250)
    ap.add_argument("--group", type=int, default=8)
    args = ap.parse_args()
    from mmreason.rewards.math_answers import fast_equal
    from mmreason.rewards.extract import extract_answer

    reqs = make_batch(args.problems, args.group)
    undecided = [r for r in reqs if fast_equal(r.gold, extract_answer(r.completion)) is None]
    fast, acc = bench_in_process(reqs, fast_path=True)
    slow, acc_slow = bench_in_process(reqs, fast_path=False)
    residual, _ = bench_in_process(undecided, fast_path=True) if undecided else (0.0, 0.0)
    pooled = bench_pool(reqs, workers=1)
    print(json.dumps({"bench": "verify", "items": len(reqs),
                      "mean_completion_chars": round(sum(len(r.completion) for r in reqs) / len(reqs)),
                      "fast_path_share": round(1 - len(undecided) / len(reqs), 3), "accuracy": round(acc, 3),
                      "accuracy_without_fast_path": round(acc_slow, 3),
                      "per_core_per_s": round(fast), "in_process_per_s": round(fast),
                      "in_process_no_fast_path_per_s": round(slow),
                      "math_verify_path_per_s": round(residual),  # the items the fast path leaves to math-verify
                      "pool_1_worker_per_s": round(pooled)}))


if __name__ == "__main__":
    main()
