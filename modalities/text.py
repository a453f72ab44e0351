"""Text helpers shared by adapters: gold-answer unwrapping, multiple-choice rendering, <image> marker placement."""

from __future__ import annotations

import re
import string

from mmreason.types import ImagePart, Message, Part, TextPart

IMAGE_MARKER = "<image>"
LETTERS = string.ascii_uppercase

_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_LETTER = re.compile(r"^\(?\s*([A-Za-z])\s*[).:]?$")


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}) with balanced braces; None when there is none."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, j = 1, i
    while j < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        j += 1
    return text[i:j - 1].strip() if depth == 0 else None


def unwrap_answer(text: str) -> str:
    """A gold answer as stored in R1-style data → the bare answer: `<answer>3</answer>`, `\\boxed{3}` and a
    GSM8K-style `... #### 3` all give "3". Plain answers come back stripped."""
    text = str(text).strip()
    tags = _ANSWER_TAG.findall(text)
    if tags:
        text = tags[-1].strip()
    boxed = last_boxed(text)
    if boxed is not None:
        text = boxed
    if "####" in text:
        text = text.rsplit("####", 1)[1].strip()
    if len(text) >= 2 and text[0] == text[-1] == "$":
        text = text.strip("$").strip()
    return text


def format_choices(question: str, choices: list[str]) -> str:
    """The question followed by one "A. choice" line per option."""
    lines = [f"{LETTERS[i]}. {c}" for i, c in enumerate(choices)]
    return question.rstrip() + "\n" + "\n".join(lines)


def choices_in_text(question: str, choices: list[str]) -> bool:
    """Whether the question already lists the options as "A. …" / "(A) …" lines (builders may render them)."""
    return all(re.search(rf"(^|\n)\s*\(?{LETTERS[i]}[.):]\s*{re.escape(str(c).strip())}", question)
               for i, c in enumerate(choices))


def choice_letter(gold: str, choices: list[str]) -> str | None:
    """The letter of a multiple-choice gold given as a letter ("B", "(b)", "B.") or as the option's text;
    None when it matches no option."""
    g = str(gold).strip()
    m = _LETTER.match(g)
    if m and LETTERS.index(m.group(1).upper()) < len(choices):
        return m.group(1).upper()
    for i, c in enumerate(choices):
        if g.casefold() == str(c).strip().casefold():
            return LETTERS[i]
    return None


def parts_with_images(text: str, n_images: int) -> list[Part] | None:
    """Text split at `<image>` markers into parts with one ImagePart per marker (newlines next to a marker and
    blank chunks dropped, other spacing kept). None when the text holds no marker (then the images go first)."""
    if IMAGE_MARKER not in text:
        return None
    parts: list[Part] = []
    chunks = text.split(IMAGE_MARKER)
    last = len(chunks) - 1
    for k, chunk in enumerate(chunks):
        chunk = chunk.lstrip() if k == 0 else chunk.lstrip("\n")
        chunk = chunk.rstrip() if k == last else chunk.rstrip("\n")
        if chunk.strip():
            parts.append(TextPart(chunk))
        if k < last:
            parts.append(ImagePart())
    return parts


def user_turn(text: str, n_images: int) -> Message:
    """A user message: images where `<image>` markers stand, else all images first, then the text."""
    parts = parts_with_images(text, n_images)
    if parts is None:
        parts = [ImagePart() for _ in range(n_images)] + ([TextPart(text.strip())] if text.strip() else [])
    return Message("user", tuple(parts))


def count_markers(texts: list[str]) -> int:
    return sum(t.count(IMAGE_MARKER) for t in texts)
