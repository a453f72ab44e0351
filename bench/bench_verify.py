"""Verifications per second per core for typical R1-style math completions.

A synthetic RL batch: P problems × G completions each, every completion a few hundred characters of
`<think>…</think>` reasoning (with LaTeX and a decoy `\\boxed{}`) and an `<answer>…</answer>`, about
half right (in a random equivalent form: 3/4, 0.75, \\frac{3}{4}, \\dfrac{6}{8}) and half wrong. Gold
answers are plain numbers, fractions, decimals and LaTeX expressions (\\sqrt, \\pi, sets); only the
plain-number pairs can take the exact fast path, the rest go through math-verify.

Measured: (a) in process (`score_one`, one core), with and without the fast path, caches cleared first
(the verdict cache still dedupes equal (gold, answer) pairs within the batch, as it does in training),
and for the items the fast path leaves to math-verify alone; (b) through a `VerifierPool` with 1
worker (the parent pickles and waits, the worker verifies), wall clock; (c) plain numbers only, written
the way people write them (`1,234`, `1 234`, thin spaces, decimal commas `12,5`, `\\$18.90`, `€20`), gold
and answers alike: plain_numbers_per_s, in process with the fast path; (d) with `--hostile N`: N hostile
completions (tags, hedges, hidden characters, brace bombs, power towers, huge numbers, random LaTeX,
random Unicode) through every verifier, each under the pool's 2 s soft deadline: the number tried, the
worst latency per verifier and the reasons counted. One JSON object on stdout; per_core_per_s is the
in-process rate with the fast path on the mixed batch.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_verify.py [--problems 250] [--group 8] [--hostile 1000]
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


def _human_number(v: Fraction, rng: random.Random) -> str:
    """`v` (a multiple of 1/100) written as a person might: grouped thousands, decimal comma, money."""
    sign, v = ("-" if v < 0 else ""), abs(v)
    whole, cents = int(v), int((v - int(v)) * 100)
    sep = rng.choice([",", " ", "\u2009", "\u202f", ""])
    digits = f"{whole:,}".replace(",", sep) if whole >= 1000 else str(whole)
    mark = "," if sep not in (",", "") or (whole >= 1000 and sep == "") else "."
    body = digits + (f"{mark}{cents:02d}" if cents else "")
    return sign + rng.choice(["", "", "\\$", "€"]) + body


def make_plain_batch(problems: int, group: int, seed: int = 1) -> list:
    """Gold and answers that are one number each, in human formats; about half right."""
    from mmreason.rewards import VerifyRequest

    rng = random.Random(seed)
    reqs = []
    for _ in range(problems):
        v = Fraction(rng.randint(-10 ** 6, 10 ** 6), rng.choice([1, 1, 100]))
        gold = _human_number(v, rng)
        for _ in range(group):
            answer = _human_number(v if rng.random() < 0.5 else v + rng.randint(1, 50), rng)
            think = REASONING.format(a=rng.randint(2, 99), b=rng.randint(2, 99), decoy=rng.randint(0, 99)) * 2
            reqs.append(VerifyRequest(f"<think>{think}</think>\n<answer>{answer}</answer>", gold, "math", {}))
    return reqs


def _clear_caches() -> None:
    from mmreason.rewards import math_answers

    math_answers._parse.cache_clear()
    math_answers._verdict.cache_clear()
    math_answers.normalize_math.cache_clear()
    math_answers._gold_text.cache_clear()


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


HOSTILE_GOLDS = {"math": "\\frac{1}{2}", "numeric": "2.5", "integer": "51", "choice": "B", "exact": "paris",
                 "ocr_exact": "Total 42", "ocr_anls": "invoice", "ocr_cer": "invoice", "box_iou": "[0, 0, 10, 10]"}
HOSTILE_BITS = ["<think>", "</think>", "<answer>", "</answer>", "\\boxed{", "{", "}", "(", ")", "\\frac{", "\\sqrt{",
                "^", "^{", "!", "\\sum_{i=1}^{", "\\{", "\\}", ",", ".", " ", "\n", "%", "1", "0,500", "1 000",
                "12 5", "-", "x", "=", "\\pi", "1e999", "\u202e", "\u200b", "\ufeff", "\u0338", "\u00a0", "\x00",
                "\\$", "€", "B", "Paris", "[0, 0, 10, 10]", "\\int", "\\lim", "\\infty", "\\cup", "\\le"]
HOSTILE_BOMBS = ["{" * 10_000 + "1" + "}" * 10_000, "\\boxed{" * 5_000, "10^{10^{10}}", "2**10**10", "9" * 20_000,
                 "<answer>" * 2_000, "5 " * 10_000, "\\frac{" * 60 + "1" + "}{2}" * 60, "(123456)!", "x^" * 3_000,
                 "\\sqrt{" * 20 + "2" + "}" * 20, "1+" * 490 + "1", "\\left(" * 30 + "1" + "\\right)" * 30]


def _random_expr(rng: random.Random, depth: int = 0) -> str:
    """A random LaTeX expression (sympy has to work on these: the slow path's worst cases)."""
    if depth > 3 or rng.random() < 0.3:
        decimal = f"{rng.randint(1, 99)}.{rng.randint(0, 99)}"
        return rng.choice([str(rng.randint(0, 999)), "x", "y", "\\pi", "e", decimal])
    a, b = _random_expr(rng, depth + 1), _random_expr(rng, depth + 1)
    return rng.choice([f"{a}+{b}", f"{a}-{b}", f"{a}{b}", f"\\frac{{{a}}}{{{b}}}", f"\\sqrt{{{a}}}", f"({a})^{{{b}}}",
                       f"{a}^{rng.randint(2, 9)}", f"\\sin({a})", f"\\log({a})", f"\\{{{a}, {b}\\}}", f"[{a}, {b})"])


def hostile_completions(n: int, seed: int = 0) -> list[str]:
    """n hostile completions: random fragments, bombs, hedges, hidden characters, random Unicode, LaTeX."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            body = "".join(rng.choice(HOSTILE_BITS) for _ in range(rng.randint(1, 40)))
        elif kind == 1:
            body = rng.choice(HOSTILE_BOMBS)
        elif kind == 2:
            body = "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 60)))
        elif kind == 3:
            body = _random_expr(rng)
        else:
            body = f"{_random_expr(rng)}</answer><answer>{rng.choice(HOSTILE_BITS)}\\boxed{{{_random_expr(rng)}}}"
        wrap = rng.randrange(3)
        out.append(body if wrap == 0 else f"<think>{rng.choice(HOSTILE_BITS)}</think><answer>{body}</answer>"
                   if wrap == 1 else f"<think>r</think> so \\boxed{{{body}}}")
    return out


def run_hostile(n: int) -> dict:
    """Every verifier on n hostile completions under the pool's 2 s soft deadline: count, worst latency, reasons."""
    from collections import Counter

    from mmreason.rewards import VerifyRequest, score_one

    completions = hostile_completions(n)
    worst, reasons, bad = {}, Counter(), 0
    for name, gold in HOSTILE_GOLDS.items():
        options = {"choices": ["London", "Paris", "Berlin"]} if name == "choice" else {}
        for c in completions:
            t = time.perf_counter()
            s = score_one(VerifyRequest(c, gold, name, options), timeout_s=2.0)
            dt = time.perf_counter() - t
            if dt > worst.get(name, (0.0, ""))[0]:
                worst[name] = (dt, c[:60])
            reasons[s.error or "none"] += 1
            bad += not 0.0 <= s.accuracy <= 1.0
    return {"completions": n, "verifications": n * len(HOSTILE_GOLDS), "out_of_range": bad,
            "worst_latency_s": {k: round(v[0], 4) for k, v in worst.items()},
            "worst_latency_input": {k: v[1] for k, v in worst.items()}, "reasons": dict(reasons.most_common())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=250)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--hostile", type=int, default=0, help="also run N hostile completions through every verifier")
    args = ap.parse_args()
    from mmreason.rewards.extract import extract_answer
    from mmreason.rewards.math_answers import fast_equal, normalize_math

    reqs = make_batch(args.problems, args.group)
    undecided = [r for r in reqs
                 if fast_equal(normalize_math(r.gold), normalize_math(extract_answer(r.completion))) is None]
    fast, acc = bench_in_process(reqs, fast_path=True)
    slow, acc_slow = bench_in_process(reqs, fast_path=False)
    residual, _ = bench_in_process(undecided, fast_path=True) if undecided else (0.0, 0.0)
    plain, plain_acc = bench_in_process(make_plain_batch(args.problems, args.group), fast_path=True)
    pooled = bench_pool(reqs, workers=1)
    out = {"bench": "verify", "items": len(reqs),
           "mean_completion_chars": round(sum(len(r.completion) for r in reqs) / len(reqs)),
           "fast_path_share": round(1 - len(undecided) / len(reqs), 3), "accuracy": round(acc, 3),
           "accuracy_without_fast_path": round(acc_slow, 3),
           "per_core_per_s": round(fast), "in_process_per_s": round(fast),
           "in_process_no_fast_path_per_s": round(slow),
           "math_verify_path_per_s": round(residual),  # the items the fast path leaves to math-verify
           "plain_numbers_per_s": round(plain), "plain_numbers_accuracy": round(plain_acc, 3),
           "pool_1_worker_per_s": round(pooled)}
    if args.hostile:
        out["hostile"] = run_hostile(args.hostile)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
