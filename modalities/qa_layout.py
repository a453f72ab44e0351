"""Where a question-answer row keeps its parts, shared by the `vqa` and `ocr` adapters (composition, not a base).

Two row layouts, told apart per row:
- LLaVA: `image` (path or list) + `conversations` [{"from": "human", "value": "<image>\\nQ"}, {"from": "gpt",
  "value": "A"}]. The last gpt turn is the gold answer; earlier turns become the chat history. `<image>` markers
  place the images; with no marker the images go first in the first user turn.
- Columns (R1-style VLM data, HF datasets, parquet): an image column (path, bytes, {"bytes","path"} or PIL;
  single or list) and question / answer / options columns. A column name left at None tries the layout's
  candidate names in order.

Every method takes the adapter whose `field` / `text_field` / `bad` build the errors naming file, row and field.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmreason.types import ImagePart, Message, TextPart

from .io import as_list
from .text import choice_letter, choices_in_text, count_markers, format_choices, parts_with_images, unwrap_answer

ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


@dataclass(frozen=True)
class QALayout:
    image_key: str | None = None        # explicit column names (None = the first candidate present)
    question_key: str | None = None
    answer_key: str | None = None
    options_key: str | None = None
    image_keys: tuple[str, ...] = ("images", "image")
    question_keys: tuple[str, ...] = ("problem", "question")
    answer_keys: tuple[str, ...] = ("answer",)
    option_keys: tuple[str, ...] = ("options", "choices")

    @staticmethod
    def key(row: dict, explicit: str | None, candidates: tuple[str, ...]) -> str:
        """The explicit column name, else the first candidate with a value, else the first candidate present but
        null (so that the 'missing value' error names it), else the first candidate ('missing column')."""
        if explicit:
            return explicit
        return next((k for k in candidates if row.get(k) is not None), next((k for k in candidates if k in row),
                                                                           candidates[0]))

    @staticmethod
    def is_llava(row) -> bool:
        return isinstance(row, dict) and "conversations" in row

    def images_field(self, row) -> str:
        if self.is_llava(row) and not self.image_key:
            return "image"
        return self.key(row, self.image_key, self.image_keys)

    def question_field(self, row) -> str:
        return self.key(row, self.question_key, self.question_keys)

    def answer_field(self, row) -> str:
        return self.key(row, self.answer_key, self.answer_keys)

    def has_question(self, row) -> bool:
        q = row.get(self.question_field(row))
        return isinstance(q, str) and bool(q.strip())

    def choices(self, a, row) -> list[str] | None:
        if self.is_llava(row):
            return None
        key = self.key(row, self.options_key, self.option_keys)
        if row.get(key) is None:
            return None
        choices = as_list(row[key])
        if not choices or not all(isinstance(c, (str, int, float)) for c in choices):
            raise a.bad("bad options", "expected a non-empty list of strings", key)
        if len(choices) > 26:
            raise a.bad("bad options", f"{len(choices)} options (at most 26)", key)
        return [str(c).strip() for c in choices]

    def images(self, a, row, required: bool) -> list:
        key = self.images_field(row)
        values = [v for v in as_list(a.field(row, key, object, required=required)) if v is not None]
        if required and not values:
            raise a.bad("missing image", "empty image list", key)
        return values

    def question(self, a, row) -> str:
        """The question text with multiple-choice options rendered in (unless already there)."""
        question = a.text_field(row, self.question_field(row), "question")
        choices = self.choices(a, row)
        if choices and not choices_in_text(question, choices):
            question = format_choices(question, choices)
        return question

    def raw_answers(self, a, row) -> list[str]:
        if self.is_llava(row):
            return [self.conversation(a, row)[1]]
        key = self.answer_field(row)
        value = a.field(row, key, (str, int, float, list))
        answers = [unwrap_answer(a.as_text(x, key)) for x in as_list(value) if isinstance(x, (str, int, float))]
        if not answers or not answers[0]:
            raise a.bad("empty answer", field=key)
        return answers

    def answer(self, a, row) -> str:
        """The gold answer (its letter for multiple choice)."""
        answers = self.raw_answers(a, row)
        choices = self.choices(a, row)
        if choices:
            letter = choice_letter(answers[0], choices)
            if letter is None:
                raise a.bad("answer not among choices", f"{answers[0]!r} vs {choices}", self.answer_field(row))
            return letter
        return answers[0]

    def verifier_options(self, a, row) -> dict:
        """`meta["options"]` for the verifier: the choices, or the alternative gold answers."""
        if self.is_llava(row):
            return {}
        choices = self.choices(a, row)
        if choices:
            return {"choices": choices}
        answers = self.raw_answers(a, row)
        return {"alternatives": answers[1:]} if len(answers) > 1 else {}

    def conversation(self, a, row) -> tuple[list[tuple[str, str]], str]:
        """LLaVA: (turns before the answer as (role, text), the unwrapped gold answer)."""
        conv = a.field(row, "conversations", list)
        turns = []
        for k, turn in enumerate(conv):
            if not isinstance(turn, dict) or turn.get("from") not in ROLES or not isinstance(turn.get("value"), str):
                raise a.bad("bad conversation turn", "expected {'from': human|gpt|system, 'value': str}",
                            f"conversations[{k}]")
            turns.append((ROLES[turn["from"]], a.as_text(turn["value"], f"conversations[{k}]")))
        if len(turns) < 2 or turns[-1][0] != "assistant" or turns[-2][0] != "user":
            raise a.bad("bad conversation", "must end with a human turn then a gpt turn (the answer)",
                        "conversations")
        if not turns[-2][1].replace("<image>", "").strip():
            raise a.bad("empty question", field=f"conversations[{len(turns) - 2}]")
        answer = unwrap_answer(turns[-1][1])
        if not answer:
            raise a.bad("empty answer", field=f"conversations[{len(turns) - 1}]")
        return turns[:-1], answer

    def conversation_messages(self, a, row, n_images: int) -> list[Message]:
        """LLaVA turns as messages, images placed at their markers (or first in the first user turn)."""
        turns, _ = self.conversation(a, row)
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
