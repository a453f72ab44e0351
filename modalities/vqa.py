"""`vqa`: open-ended and multiple-choice questions over one or more images.

Two row layouts, told apart per row:
- LLaVA: `image` (path or list) + `conversations` [{"from": "human", "value": "<image>\\nQ"}, {"from": "gpt",
  "value": "A"}]. The last gpt turn is the gold answer; earlier turns become the chat history. `<image>` markers
  place the images; with no marker the images go first in the first user turn.
- Columns (R1-style VLM data, HF datasets, parquet): an image column (path, bytes, {"bytes","path"} or PIL;
  single or list) and question / answer / options columns, names mapped by options. A column option left at
  None tries the usual names in order (images|image, problem|question, answer, options|choices).

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

from mmreason.types import ImagePart, Message, TextPart

from .base import ADAPTERS, BaseAdapter, check_verifier_option
from .io import as_list
from .text import choice_letter, choices_in_text, count_markers, format_choices, parts_with_images, unwrap_answer

_MATHY = re.compile(r"^[-+−]?\s*(\d[\d,]*(\.\d+)?|\.\d+)(\s*/\s*\d+)?\s*%?$|\\[a-zA-Z]+")
ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


def auto_verifier(answer: str) -> str:
    return "math" if _MATHY.search(answer.strip()) else "exact"


@ADAPTERS.register("vqa")
class VQAAdapter(BaseAdapter):
    name = "vqa"
    verifier = "exact"
    IMAGE_KEYS = ("images", "image")
    QUESTION_KEYS = ("problem", "question")
    ANSWER_KEYS = ("answer",)
    OPTION_KEYS = ("options", "choices")

    def __init__(self, image_key: str | None = None, question_key: str | None = None,
                 answer_key: str | None = None, options_key: str | None = None, verifier: str | None = None,
                 verifier_options: dict | None = None, require_images: bool = True, check_images: bool = True):
        super().__init__(check_images=check_images, verifier_options=verifier_options)
        self.image_key, self.question_key, self.answer_key, self.options_key = (
            image_key, question_key, answer_key, options_key)
        self.verifier_override = check_verifier_option(self.name, verifier)
        self.require_images = require_images

    # --- column resolution ---------------------------------------------------------------------------------
    def key(self, row: dict, explicit: str | None, candidates: tuple[str, ...]) -> str:
        """The explicit column name, else the first candidate present in the row (else the first candidate,
        so that the 'missing column' error names it)."""
        if explicit:
            return explicit
        return next((k for k in candidates if row.get(k) is not None), candidates[0])

    def is_llava(self, row) -> bool:
        return isinstance(row, dict) and "conversations" in row

    def choices(self, row) -> list[str] | None:
        key = self.key(row, self.options_key, self.OPTION_KEYS)
        if row.get(key) is None:
            return None
        choices = as_list(row[key])
        if not choices or not all(isinstance(c, (str, int, float)) for c in choices):
            raise self.bad("bad options", "expected a non-empty list of strings", key)
        if len(choices) > 26:
            raise self.bad("bad options", f"{len(choices)} options (at most 26)", key)
        return [str(c).strip() for c in choices]

    # --- hooks ---------------------------------------------------------------------------------------------
    def doc_to_images(self, row) -> list:
        key = "image" if self.is_llava(row) and not self.image_key else self.key(row, self.image_key, self.IMAGE_KEYS)
        self.image_field = key
        values = [v for v in as_list(self.field(row, key, object, required=self.require_images)) if v is not None]
        if self.require_images and not values:
            raise self.bad("missing image", "empty image list", key)
        return values

    def doc_to_text(self, row) -> str:
        question = self.text_field(row, self.key(row, self.question_key, self.QUESTION_KEYS), "question")
        choices = self.choices(row)
        if choices and not choices_in_text(question, choices):
            question = format_choices(question, choices)
        return question

    def raw_answers(self, row) -> list[str]:
        if self.is_llava(row):
            return [self.conversation(row)[1]]
        key = self.key(row, self.answer_key, self.ANSWER_KEYS)
        value = self.field(row, key, (str, int, float, list))
        answers = [unwrap_answer(a) for a in as_list(value) if isinstance(a, (str, int, float))
                   and not isinstance(a, bool)]
        if not answers or not answers[0]:
            raise self.bad("empty answer", field=key)
        return answers

    def doc_to_answer(self, row) -> str:
        answers = self.raw_answers(row)
        choices = None if self.is_llava(row) else self.choices(row)
        if choices:
            letter = choice_letter(answers[0], choices)
            if letter is None:
                raise self.bad("answer not among choices", f"{answers[0]!r} vs {choices}",
                               self.key(row, self.answer_key, self.ANSWER_KEYS))
            return letter
        return answers[0]

    def doc_to_verifier(self, row) -> str:
        if self.verifier_override:
            return self.verifier_override
        if isinstance(row.get("verifier"), str) and row["verifier"]:
            return row["verifier"]
        if not self.is_llava(row) and self.choices(row):
            return "choice"
        return self.fallback_verifier(row)

    def fallback_verifier(self, row) -> str:
        return auto_verifier(self.doc_to_answer(row))

    def doc_to_meta(self, row) -> dict:
        options = {}
        if not self.is_llava(row):
            choices = self.choices(row)
            if choices:
                options["choices"] = choices
            answers = self.raw_answers(row)
            if len(answers) > 1 and not choices:
                options["alternatives"] = answers[1:]
        return {"options": options} if options else {}

    # --- LLaVA conversations -------------------------------------------------------------------------------
    def conversation(self, row) -> tuple[list[tuple[str, str]], str]:
        """(turns before the answer as (role, text), the unwrapped gold answer)."""
        conv = self.field(row, "conversations", list)
        turns = []
        for k, turn in enumerate(conv):
            if not isinstance(turn, dict) or turn.get("from") not in ROLES or not isinstance(turn.get("value"), str):
                raise self.bad("bad conversation turn", "expected {'from': human|gpt|system, 'value': str}",
                               f"conversations[{k}]")
            turns.append((ROLES[turn["from"]], turn["value"]))
        if len(turns) < 2 or turns[-1][0] != "assistant" or turns[-2][0] != "user":
            raise self.bad("bad conversation", "must end with a human turn then a gpt turn (the answer)",
                           "conversations")
        if not turns[-2][1].replace("<image>", "").strip():
            raise self.bad("empty question", field=f"conversations[{len(turns) - 2}]")
        answer = unwrap_answer(turns[-1][1])
        if not answer:
            raise self.bad("empty answer", field=f"conversations[{len(turns) - 1}]")
        return turns[:-1], answer

    def doc_to_messages(self, row, n_images: int) -> list[Message]:
        if not self.is_llava(row):
            return super().doc_to_messages(row, n_images)
        turns, _ = self.conversation(row)
        images_first = count_markers([t for _, t in turns]) == 0
        messages = []
        for role, text in turns:
            parts = parts_with_images(text, n_images) if role == "user" else None
            if parts is None:
                parts = [TextPart(text.strip())]
                if images_first and role == "user":
                    parts = [ImagePart() for _ in range(n_images)] + parts
                    images_first = False
            messages.append(Message(role, tuple(parts)))
        return messages
