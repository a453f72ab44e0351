"""The answer format: one object owns how an answer must be written, asked for, taught and checked.

    fmt = AnswerFormat("r1", think_tag="think", answer_tag="answer")
    fmt.instruction                      # the text appended to every question
    fmt.target("3", "Rows: 1, 2. 1 + 2 = 3.")   # the SFT target a perfect policy writes
    fmt.format_score(completion)         # 1.0 when the completion follows the template
    fmt.extract(completion)              # the answer a verifier reads
    fmt.verifier_options()               # the tags every verifier request carries

Templates:
    r1     `<think>reasoning</think><answer>final answer</answer>` (DeepSeek-R1 / R1-Zero)
    plain  `<answer>final answer</answer>` only

The prompt encoder receives `instruction` as plain text and the reward function receives the whole object, so the
prompt layer never imports the rewards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .extract import extract_answer, format_score, format_score_plain

TEMPLATES = ("r1", "plain")


@dataclass(frozen=True)
class AnswerFormat:
    template: str = "r1"                # r1 | plain
    think_tag: str = "think"            # tag holding the reasoning (r1)
    answer_tag: str = "answer"          # tag holding the final answer
    custom_instruction: str | None = None  # None = the template's default instruction; "" = none

    def __post_init__(self):
        if self.template not in TEMPLATES:
            raise ValueError(f"unknown answer template '{self.template}' (valid: {', '.join(TEMPLATES)})")

    @property
    def instruction(self) -> str:
        """What the prompt asks for, appended to the last user turn."""
        if self.custom_instruction is not None:
            return self.custom_instruction
        t, a = self.think_tag, self.answer_tag
        if self.template == "r1":
            return f"Think step by step inside <{t}> </{t}> tags, then give the final answer inside <{a}> </{a}> tags."
        return f"Give only the final answer inside <{a}> </{a}> tags."

    def target(self, answer: str, reasoning: str | None = None) -> str:
        """The completion text a perfect policy writes (the SFT target)."""
        a = f"<{self.answer_tag}>{answer}</{self.answer_tag}>"
        if self.template == "r1":
            return f"<{self.think_tag}>{reasoning or ''}</{self.think_tag}>{a}"
        return a

    def format_score(self, completion: str) -> float:
        """1.0 when `completion` follows the template exactly (see rewards.extract), else 0.0."""
        if self.template == "r1":
            return format_score(completion, self.think_tag, self.answer_tag)
        return format_score_plain(completion, self.answer_tag)

    def extract(self, completion: str, fallbacks: Iterable[str] = ("boxed",)) -> str | None:
        """The answer text a verifier reads ("" for an empty answer block, None when there is none)."""
        return extract_answer(completion, answer_tag=self.answer_tag, fallbacks=fallbacks,
                              think_tag=self.think_tag)

    def verifier_options(self) -> dict[str, str]:
        """The tags every verification request carries (a request's own options take precedence)."""
        return {"answer_tag": self.answer_tag, "think_tag": self.think_tag}
