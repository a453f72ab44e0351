"""Answer extraction and format checks for R1-style completions (`<think>…</think><answer>…</answer>`).

Everything here is plain `str.find`/`str.rfind` scanning: linear in the input, no regex that can
backtrack, so a megabyte of adversarial text costs milliseconds. Rules:

- The reasoning section is never a source of answers. It spans from each `<think>` to the next
  `</think>` (to the end of the text when unclosed); a `</think>` with no `<think>` before it (chat
  templates that put `<think>` into the prompt) makes everything before it reasoning.
- The answer is the content of the LAST `<answer>…</answer>` pair outside the reasoning, stripped.
  An empty pair yields `""` (an answer that is empty, never a match for anything), not `None`.
- Fallbacks, tried in order only when no answer pair exists: `"boxed"` (last `\\boxed{…}` with
  balanced braces), `"last_number"`, `"last_line"` — all outside the reasoning.
"""

from __future__ import annotations

import re
from typing import Iterable

FALLBACKS = ("boxed", "last_number", "last_line")
_MAX_BOXED_TRIES = 16      # unbalanced \boxed{ candidates tried from the end before giving up
_MAX_BOXED_CHARS = 10_000  # a \boxed{…} whose braces do not close within this many characters is ignored
_NUMBER = re.compile(r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+)?", re.ASCII)  # linear: no nested quantifiers


def outside_spans(text: str, think_tag: str | None = "think") -> list[tuple[int, int]]:
    """(start, end) spans of `text` that lie outside the reasoning section, in order."""
    if not think_tag:
        return [(0, len(text))]
    open_t, close_t = f"<{think_tag}>", f"</{think_tag}>"
    pos, spans = 0, []
    first_close = text.find(close_t)
    first_open = text.find(open_t)
    if first_close != -1 and (first_open == -1 or first_close < first_open):
        pos = first_close + len(close_t)  # reasoning opened in the prompt: everything before </think>
    while pos <= len(text):
        start = text.find(open_t, pos)
        if start == -1:
            spans.append((pos, len(text)))
            break
        spans.append((pos, start))
        end = text.find(close_t, start + len(open_t))
        if end == -1:
            break  # unclosed reasoning runs to the end
        pos = end + len(close_t)
    return [(a, b) for a, b in spans if b > a]


def _last_tag_pair(text: str, a: int, b: int, tag: str) -> str | None:
    open_t, close_t = f"<{tag}>", f"</{tag}>"
    close = text.rfind(close_t, a, b)
    op = text.rfind(open_t, a, close) if close != -1 else -1
    # a close tag with no opener before it means no earlier pair exists either
    return text[op + len(open_t):close] if op != -1 else None


def _last_boxed(text: str, a: int, b: int) -> str | None:
    key = "\\boxed{"
    end = b
    for _ in range(_MAX_BOXED_TRIES):
        start = text.rfind(key, a, end)
        if start == -1:
            return None
        i, depth, stop = start + len(key), 1, min(b, start + _MAX_BOXED_CHARS)
        while i < stop:
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[start + len(key):i]
            i += 1
        end = start  # unbalanced: try the previous \boxed{
    return None


def _last_number(text: str, a: int, b: int) -> str | None:
    last = None
    for m in _NUMBER.finditer(text, a, b):
        last = m.group(0)
    return last


def _last_line(text: str, a: int, b: int) -> str | None:
    end = b
    while end > a:
        start = text.rfind("\n", a, end)
        line = text[start + 1:end].strip()
        if line:
            return line
        if start == -1:
            break
        end = start
    return None


_FINDERS = {"boxed": _last_boxed, "last_number": _last_number, "last_line": _last_line}


def extract_answer(completion: str, answer_tag: str = "answer", fallbacks: Iterable[str] = ("boxed",),
                   think_tag: str | None = "think") -> str | None:
    """The answer text of `completion` (stripped), `""` for an empty answer block, None when there is none."""
    spans = outside_spans(completion, think_tag)
    for a, b in reversed(spans):
        found = _last_tag_pair(completion, a, b, answer_tag)
        if found is not None:
            return found.strip()
    for name in fallbacks:
        try:
            finder = _FINDERS[name]
        except KeyError:
            raise ValueError(f"unknown answer fallback '{name}' (valid: {', '.join(FALLBACKS)})") from None
        for a, b in reversed(spans):
            found = finder(completion, a, b)
            if found is not None:
                return found.strip()
    return None


def format_score(completion: str, think_tag: str = "think", answer_tag: str = "answer") -> float:
    """1.0 iff the completion is exactly `<think>…</think>` then `<answer>…</answer>` (whitespace around and
    between allowed), each tag exactly once and the answer non-empty; else 0.0."""
    ot, ct = f"<{think_tag}>", f"</{think_tag}>"
    if any(completion.count(t) != 1 for t in (ot, ct, f"<{answer_tag}>", f"</{answer_tag}>")):
        return 0.0
    s = completion.strip()
    if not s.startswith(ot):
        return 0.0
    return format_score_plain(s[s.index(ct) + len(ct):], answer_tag)


def format_score_plain(completion: str, answer_tag: str = "answer") -> float:
    """Template "plain" ("give only the final answer"): 1.0 iff the completion is exactly one
    `<answer>…</answer>` block with a non-empty answer (whitespace around allowed); else 0.0."""
    ot, ct = f"<{answer_tag}>", f"</{answer_tag}>"
    s = completion.strip()
    if completion.count(ot) != 1 or completion.count(ct) != 1 or not (s.startswith(ot) and s.endswith(ct)):
        return 0.0
    return 1.0 if s[len(ot):-len(ct)].strip() else 0.0
