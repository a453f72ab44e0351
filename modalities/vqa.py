"""`vqa`: open-ended and multiple-choice questions over one or more images.

Rows are LLaVA conversations or question/answer/options/image columns (see `qa_layout.py`); column names are
mapped by options, and a column option left at None tries the usual names in order (images|image,
problem|question, answer, options|choices).

Gold answers wrapped as `<answer>3</answer>` or `\\boxed{3}` are unwrapped. A list of gold answers keeps the first
as `answer` and the others as `meta["options"]["alternatives"]` (the exact and OCR verifiers accept any).
Multiple choice: the options are rendered into the question as "A. …" lines, the gold becomes its letter, the
verifier is `choice` and `meta["options"] = {"choices": [...]}`. `meta["options"]` is what the verifier
receives; the `verifier_options` option adds defaults to it (e.g. {relaxed: true} for ChartQA-style numbers).

Verifier, unless the `verifier` option names one: the row's `verifier` column if any, else `choice` for
multiple choice, `math` for a numeric or LaTeX gold, `exact` otherwise.
"""

from __future__ import annotations

import re
from typing import Callable

from mmreason.types import Message

from .base import ADAPTERS, BaseAdapter, check_verifier_option
from .qa_layout import QALayout

_MATHY = re.compile(r"^[-+−]?\s*(\d[\d,]*(\.\d+)?|\.\d+)(\s*/\s*\d+)?\s*%?$|\\[a-zA-Z]+")


def auto_verifier(answer: str) -> str:
    return "math" if _MATHY.search(answer.strip()) else "exact"


@ADAPTERS.register("vqa")
class VQAAdapter(BaseAdapter):
    name = "vqa"
    verifier = "exact"

    def __init__(self, image_key: str | None = None, question_key: str | None = None,
                 answer_key: str | None = None, options_key: str | None = None, verifier: str | None = None,
                 verifier_options: dict | None = None, require_images: bool = True, check_images: bool = True,
                 question_keys: list[str] | tuple[str, ...] = ("problem", "question"),
                 answer_keys: list[str] | tuple[str, ...] = ("answer",), default_question: str | None = None,
                 open_verifier: str | Callable | None = None):
        """Column options name the columns (None = the first of `question_keys` / `answer_keys` / images|image /
        options|choices present); `default_question` is asked when a row has no question (None = required);
        `open_verifier` scores open (not multiple-choice) answers: a verifier name, a function of the row, or
        None for `math` on numeric/LaTeX golds and `exact` otherwise."""
        super().__init__(check_images=check_images, verifier_options=verifier_options)
        self.layout = QALayout(image_key, question_key, answer_key, options_key,
                               question_keys=tuple(question_keys), answer_keys=tuple(answer_keys))
        self.verifier_override = check_verifier_option(self.name, verifier)
        self.require_images = require_images
        self.default_question = default_question
        self.open_verifier = open_verifier

    def images_field(self, row) -> str:
        return self.layout.images_field(row)

    def doc_to_images(self, row) -> list:
        return self.layout.images(self, row, self.require_images)

    def doc_to_text(self, row) -> str:
        if self.default_question is not None and not self.layout.is_llava(row) and not self.layout.has_question(row):
            return self.default_question
        return self.layout.question(self, row)

    def doc_to_answer(self, row) -> str:
        return self.layout.answer(self, row)

    def doc_to_verifier(self, row) -> str:
        if self.verifier_override:
            return self.verifier_override
        if isinstance(row.get("verifier"), str) and row["verifier"]:
            return row["verifier"]
        if self.layout.choices(self, row):
            return "choice"
        if callable(self.open_verifier):
            return self.open_verifier(row)
        return self.open_verifier or auto_verifier(self.doc_to_answer(row))

    def doc_to_meta(self, row) -> dict:
        options = self.layout.verifier_options(self, row)
        return {"options": options} if options else {}

    def doc_to_messages(self, row, n_images: int) -> list[Message]:
        if self.layout.is_llava(row):
            return self.layout.conversation_messages(self, row, n_images)
        return super().doc_to_messages(row, n_images)
