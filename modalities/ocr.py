"""`ocr`: text-in-image transcription and document QA.

Reads the same layouts as `vqa` (columns or LLaVA conversations) with OCR defaults: the question column
(question|problem) may be absent or empty, then the question is "What text is shown in the image?"; the answer
column is answer|text; a list of gold answers (DocVQA style) keeps the others as `meta["options"]["alternatives"]`.
Verifier, unless the `verifier` option names one: the row's `verifier` column if any, else `ocr_anls` for a
question about a document and `ocr_exact` for plain transcription.

A directory written by the OCR data builder (it holds `manifest.json`) is read exactly as `puzzles` reads it.
"""

from __future__ import annotations

from pathlib import Path

from .base import ADAPTERS
from .puzzles import PuzzlesAdapter
from .vqa import VQAAdapter

DEFAULT_QUESTION = "What text is shown in the image?"


@ADAPTERS.register("ocr")
class OCRAdapter(VQAAdapter):
    name = "ocr"
    verifier = "ocr_exact"
    QUESTION_KEYS = ("question", "problem")
    ANSWER_KEYS = ("answer", "text")

    def __init__(self, image_key: str | None = None, question_key: str | None = None,
                 answer_key: str | None = None, options_key: str | None = None, verifier: str | None = None,
                 verifier_options: dict | None = None, default_question: str = DEFAULT_QUESTION,
                 require_images: bool = True, check_images: bool = True):
        super().__init__(image_key=image_key, question_key=question_key, answer_key=answer_key,
                         options_key=options_key, verifier=verifier, verifier_options=verifier_options,
                         require_images=require_images, check_images=check_images)
        self.default_question = default_question
        self.builder: PuzzlesAdapter | None = None

    def load(self, path, split=None, limit=None):
        p = Path(path).expanduser()
        if p.is_dir() and (p / "manifest.json").is_file():
            self.builder = PuzzlesAdapter(verifier=self.verifier_override, verifier_options=self.verifier_options,
                                          check_images=self.check_images)
            return self.builder.load(path, split=split, limit=limit)
        self.builder = None
        return super().load(path, split=split, limit=limit)

    @property
    def file(self):
        return self.builder.file if self.builder else super().file

    def to_sample(self, row, index):
        if self.builder is not None:
            return self.builder.to_sample(row, index)
        return super().to_sample(row, index)

    def has_question(self, row) -> bool:
        key = self.key(row, self.question_key, self.QUESTION_KEYS)
        return isinstance(row.get(key), str) and bool(row[key].strip())

    def doc_to_text(self, row) -> str:
        if not self.is_llava(row) and not self.has_question(row):
            return self.default_question
        return super().doc_to_text(row)

    def fallback_verifier(self, row) -> str:
        return "ocr_anls" if self.is_llava(row) or self.has_question(row) else "ocr_exact"
