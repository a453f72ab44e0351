"""`puzzles`: the datasets `data_builders` writes (also the OCR builder's output, kind "ocr").

Layout: a directory with `data.jsonl` or `data.parquet`, `images/` and `manifest.json`; one row per item:
{"id", "kind", "family", "split", "difficulty": int, "images": ["images/<id>.png"] (relative to the dataset
dir), "question", "answer": str, "answer_type", "verifier", "options": list | null, "reasoning": str,
"state_hash", "generator_version", "config_hash", "meta": {...}}.

The row's `verifier`, `difficulty` and `reasoning` (the reference trace, for cold-start SFT) go to the Sample as
they are; `meta` holds the row's own meta plus family, kind, answer_type, state_hash and, when the row has
options, `meta["options"] = {"choices": options}`. Options are rendered into the question as "A. …" lines unless
the builder already wrote them there. With `split` set, rows of other splits are not read.
"""

from __future__ import annotations

from .base import ADAPTERS, BaseAdapter, check_verifier_option
from .text import choices_in_text, format_choices

META_FIELDS = ("family", "kind", "answer_type", "state_hash", "generator_version", "config_hash")


class BuilderFields:
    """The columns every `mmreason build` row carries beyond question and answer (puzzles, OCR, video)."""

    def doc_to_difficulty(self, row) -> int | None:
        value = self.field(row, "difficulty", int, required=False)
        if isinstance(value, bool):
            raise self.bad("wrong type", "expected int, got bool", "difficulty")
        return value

    def doc_to_reasoning(self, row) -> str | None:
        return self.field(row, "reasoning", str, required=False) or None

    def builder_meta(self, row) -> dict:
        """The row's `meta` plus the builder's provenance columns (family, kind, state hash, ...)."""
        meta = dict(self.field(row, "meta", dict, required=False, default={}))
        meta.update({k: row[k] for k in META_FIELDS if row.get(k) is not None})
        return meta


@ADAPTERS.register("puzzles")
class PuzzlesAdapter(BuilderFields, BaseAdapter):
    name = "puzzles"
    verifier = "exact"  # used only if a row has no verifier (builders always write one)

    def __init__(self, verifier: str | None = None, verifier_options: dict | None = None,
                 render_options: bool = True, check_images: bool = True):
        super().__init__(check_images=check_images, verifier_options=verifier_options)
        self.verifier_override = check_verifier_option(self.name, verifier)
        self.render_options = render_options

    def load(self, path, split=None, limit=None):
        rows = super().load(path, split=None, limit=limit)
        if split is None:
            return rows
        return ((i, row) for i, row in rows if not isinstance(row, dict) or row.get("split") in (None, split))

    def options(self, row) -> list[str] | None:
        options = self.field(row, "options", list, required=False)
        if options is not None and (not options or not all(isinstance(o, (str, int, float)) for o in options)):
            raise self.bad("bad options", "expected null or a non-empty list of strings", "options")
        return [str(o) for o in options] if options else None

    def doc_to_images(self, row) -> list:
        return self.field(row, "images", list)

    def doc_to_text(self, row) -> str:
        question = self.text_field(row, "question", "question")
        options = self.options(row)
        if options and self.render_options and not choices_in_text(question, options):
            question = format_choices(question, options)
        return question

    def doc_to_answer(self, row) -> str:
        return self.text_field(row, "answer", "answer")

    def doc_to_id(self, row, index) -> str:
        return self.text_field(row, "id", "id")

    def doc_to_verifier(self, row) -> str:
        return self.verifier_override or self.field(row, "verifier", str, required=False, default=self.verifier)

    def doc_to_meta(self, row) -> dict:
        meta = self.builder_meta(row)
        options = self.options(row)
        if options:
            meta["options"] = {"choices": options}
        return meta
