"""`text_math`: text-only math word problems (no images), verifier `math`.

- GSM8K style: `question` + `answer` ending in "#### 42" → gold "42"; the worked solution before "####" (with
  the `<<48/2=24>>` calculator notes removed) becomes the reference reasoning.
- MATH style: `problem` + `solution` with a final `\\boxed{...}` → gold = the last boxed expression, reasoning =
  the solution. An `answer` column, when present, wins over the boxed one. `level: "Level 3"` → difficulty 3.
"""

from __future__ import annotations

import re

from .base import ADAPTERS, BaseAdapter, check_verifier_option
from .text import last_boxed, unwrap_answer

_CALC = re.compile(r"<<[^<>]*>>")
_LEVEL = re.compile(r"(\d+)")


@ADAPTERS.register("text_math")
class TextMathAdapter(BaseAdapter):
    name = "text_math"
    verifier = "math"

    def __init__(self, question_key: str | None = None, answer_key: str = "answer",
                 solution_key: str = "solution", verifier: str | None = None, verifier_options: dict | None = None):
        super().__init__(check_images=False, verifier_options=verifier_options)
        self.question_key, self.answer_key, self.solution_key = question_key, answer_key, solution_key
        self.verifier = check_verifier_option(self.name, verifier) or self.verifier

    def doc_to_text(self, row) -> str:
        key = self.question_key or next((k for k in ("question", "problem") if row.get(k) is not None), "question")
        return self.text_field(row, key, "question")

    def doc_to_answer(self, row) -> str:
        if row.get(self.answer_key) is not None:
            answer = unwrap_answer(self.text_field(row, self.answer_key, "answer"))
            field = self.answer_key
        else:
            if row.get(self.solution_key) is None:
                raise self.bad("missing column", f"no '{self.answer_key}' or '{self.solution_key}'", self.answer_key)
            answer = last_boxed(self.text_field(row, self.solution_key, "solution")) or ""
            field = self.solution_key
        if not answer:
            raise self.bad("empty answer", "no final answer ('#### x', \\boxed{x})", field)
        return answer

    def doc_to_reasoning(self, row) -> str | None:
        solution = row.get(self.solution_key)
        if isinstance(solution, str) and solution.strip():
            return solution.strip()
        answer = row.get(self.answer_key)
        if isinstance(answer, str) and "####" in answer:
            return _CALC.sub("", answer.rsplit("####", 1)[0]).strip() or None
        return None

    def doc_to_difficulty(self, row) -> int | None:
        for key in ("difficulty", "level"):
            value = row.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and _LEVEL.search(value):
                return int(_LEVEL.search(value).group(1))
        return None
