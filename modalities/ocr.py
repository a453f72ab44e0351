"""`ocr`: text-in-image transcription and document QA.

Rows in the `vqa` layouts (columns or LLaVA conversations, see `qa_layout.py`) are read by a `vqa` reader this
adapter holds, configured with OCR defaults: the question column (question|problem) may be absent or empty, then
the question is "What text is shown in the image?"; the answer column is answer|text; a list of gold answers
(DocVQA style) keeps the others as `meta["options"]["alternatives"]`. Verifier, unless the `verifier` option names
one: the row's `verifier` column if any, else `ocr_anls` for a question about a document and `ocr_exact` for plain
transcription.

A directory written by the OCR data builder (it holds `manifest.json`) is read by a `puzzles` reader; its rows
(they carry `generator_version` and `state_hash`) become samples exactly as `puzzles` makes them.
"""

from __future__ import annotations

from pathlib import Path

from .base import ADAPTERS, check_verifier_option
from .puzzles import PuzzlesAdapter
from .vqa import VQAAdapter

DEFAULT_QUESTION = "What text is shown in the image?"


def is_builder_row(row) -> bool:
    return isinstance(row, dict) and "generator_version" in row and "state_hash" in row


@ADAPTERS.register("ocr")
class OCRAdapter:
    name = "ocr"
    verifier = "ocr_exact"

    def __init__(self, image_key: str | None = None, question_key: str | None = None,
                 answer_key: str | None = None, options_key: str | None = None, verifier: str | None = None,
                 verifier_options: dict | None = None, default_question: str = DEFAULT_QUESTION,
                 require_images: bool = True, check_images: bool = True):
        verifier = check_verifier_option(self.name, verifier)
        self.rows = VQAAdapter(image_key, question_key, answer_key, options_key, verifier, verifier_options,
                               require_images, check_images, question_keys=("question", "problem"),
                               answer_keys=("answer", "text"), default_question=default_question,
                               open_verifier=self._open_verifier)
        self.builder_reader = PuzzlesAdapter(verifier=verifier, verifier_options=verifier_options,
                                             check_images=check_images)

    def _open_verifier(self, row) -> str:
        layout = self.rows.layout
        return "ocr_anls" if layout.is_llava(row) or layout.has_question(row) else "ocr_exact"

    @property
    def file(self) -> str | None:
        """The data file being read (named in errors)."""
        return self.builder_reader.file or self.rows.file

    def load(self, path, split=None, limit=None):
        p = Path(path).expanduser()
        if p.is_dir() and (p / "manifest.json").is_file():
            return self.builder_reader.load(path, split=split, limit=limit)
        return self.rows.load(path, split=split, limit=limit)

    def to_sample(self, row, index):
        reader = self.builder_reader if is_builder_row(row) else self.rows
        return reader.to_sample(row, index)
