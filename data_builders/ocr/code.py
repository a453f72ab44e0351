"""`code` (OCR + reasoning): short Python snippets rendered in a monospace font — transcribe them, or say what
they print.

Difficulty: one line → assignments → a `while` loop → a loop with a condition; smaller font, rotation, clutter.
The printed value is computed twice: from the template's own arithmetic and by executing the generated snippet
(our own code, never model output) with `print` captured; they must agree. Transcription of one or two lines is
scored exactly (`ocr_exact`), longer snippets by 1 − CER.
"""

from __future__ import annotations

import random

from .. import fonts
from ..core import Puzzle, Rendered, register
from . import _text as tx

KNOBS = {
    1: {"template": "print", "questions": ["output", "transcribe"], "lines": 1},
    2: {"template": "assign", "questions": ["output", "transcribe"], "lines": 2},
    3: {"template": "chain", "questions": ["output", "transcribe"], "lines": 3},
    4: {"template": "loop", "questions": ["output", "transcribe"], "lines": 6},
    5: {"template": "loop_if", "questions": ["output", "transcribe"], "lines": 7},
}
FONTS = [f for f in fonts.MONO if f.startswith("DejaVuSansMono")]  # cmtt10's 0/O and quotes are ambiguous
MAX_ANGLE = 4.0
ADVANCE = 0.61  # DejaVu Sans Mono advance width per em (0.602) with a little slack


def run_snippet(code: str) -> str:
    """Execute a generated snippet with `print` captured (only `range` available); the printed text."""
    out: list[str] = []
    exec(code, {"__builtins__": {"range": range}, "print": lambda *a: out.append(" ".join(map(str, a)))})  # noqa: S102
    return "\n".join(out)


def make_snippet(rng: random.Random, template: str) -> tuple[list[str], int, str]:
    """(lines, printed value, reasoning) for one template."""
    if template == "print":
        a, b = rng.randint(2, 20), rng.randint(2, 20)
        op = rng.choice(["+", "-", "*"])
        v = a + b if op == "+" else a - b if op == "-" else a * b
        return [f"print({a} {op} {b})"], v, f"print({a} {op} {b}) prints {a} {op} {b} = {v}."
    if template == "assign":
        a, b, c = rng.randint(2, 12), rng.randint(2, 9), rng.randint(1, 9)
        v = a * b + c
        return [f"x = {a}", f"print(x * {b} + {c})"], v, f"x = {a}, so x * {b} + {c} = {a * b} + {c} = {v}."
    if template == "chain":
        a, k, m = rng.randint(2, 9), rng.randint(1, 9), rng.randint(2, 5)
        b = a + k
        v = b * m - a
        return ([f"a = {a}", f"b = a + {k}", f"print(b * {m} - a)"], v,
                f"a = {a}, b = {a} + {k} = {b}, b * {m} - a = {b * m} - {a} = {v}.")
    n, k = rng.randint(3, 6), rng.randint(1, 5)
    if template == "loop":
        terms = [i * k for i in range(n)]
        lines = ["s = 0", "i = 0", f"while i < {n}:", f"    s += i * {k}", "    i += 1", "print(s)"]
        return lines, sum(terms), (f"i runs 0 to {n - 1}; s adds i * {k}: {' + '.join(map(str, terms))} = "
                                   f"{sum(terms)}.")
    odd = rng.random() < 0.5
    terms = [i * k for i in range(n) if (i % 2 == 1) == odd]
    cond = "i % 2 == 1" if odd else "i % 2 == 0"
    lines = ["s = 0", "i = 0", f"while i < {n}:", f"  if {cond}:", f"    s += i * {k}", "  i += 1", "print(s)"]
    kind = "odd" if odd else "even"
    return lines, sum(terms), (f"i runs 0 to {n - 1}; only {kind} i add i * {k}: "
                               f"{' + '.join(map(str, terms)) or '0'} = {sum(terms)}.")


@register
class Code:
    name, kind, knobs = "code", "ocr", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        lines, value, trace = make_snippet(rng, k["template"])
        code = "\n".join(lines)
        if run_snippet(code) != str(value):
            raise AssertionError(f"code template disagrees with execution: {code!r}")
        style = tx.pick_style(rng, level, code.replace("\n", ""), FONTS)
        if style is None:
            return None
        style.angle = max(-MAX_ANGLE, min(MAX_ANGLE, style.angle))
        style.size = min(style.size, 0.84 / (ADVANCE * max(len(line) for line in lines)))  # legibility checked later
        style.line_gap = 1.1
        qtype = rng.choice(k["questions"])
        if qtype == "output":
            question, answer, verifier = "What does the code in the image print?", str(value), "integer"
            reasoning = trace
            distractors = [str(value + d) for d in (-2, -1, 1, 2, 3)]
        else:
            question = "Transcribe the code in the image exactly."
            answer, verifier = code, ("ocr_exact" if len(lines) <= 2 else "ocr_cer")
            reasoning = f"The snippet has {len(lines)} line{'s' if len(lines) > 1 else ''}: " + " / ".join(lines)
            distractors = sorted({"\n".join(make_snippet(rng, k["template"])[0]) for _ in range(5)} - {code})
        return Puzzle(state={"code": code}, question=question, answer=answer,
                      answer_type="integer" if qtype == "output" else "text", verifier=verifier,
                      reasoning=reasoning, scene=(lines, style), distractors=distractors,
                      meta={"question_type": qtype, "font": style.font, "n_lines": len(lines), "code": code})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        lines, style = pz.scene
        if not tx.fits(lines, style, view.size, 0.9):
            return Rendered(None, "fit")
        return tx.render_block(rng, lines, style, view)
