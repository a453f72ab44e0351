"""Answer extraction and format checks for R1-style completions (`<think>…</think><answer>…</answer>`).

Everything here is plain `str.find`/`str.rfind` scanning: linear in the input, no regex that can
backtrack, so a megabyte of adversarial text costs milliseconds. Rules:

- The reasoning section is never a source of answers. It spans from each `<think>` to the next
  `</think>` (to the end of the text when unclosed); a `</think>` with no `<think>` before it (chat
  templates that put `<think>` into the prompt) makes everything before it reasoning. Answer tags and
  `\\boxed{}` written inside the reasoning are text: they are neither answers nor second answers.
- The answer is the content of the `<answer>…</answer>` pair outside the reasoning, stripped (a pair is an
  opener and the first closer after it; a stray opener or closer is ignored). An empty pair yields `""`
  (an answer that is empty, never a match for anything), not `None`.
- Hedging: a completion that gives more than one answer — two answer pairs, or two `\\boxed{}` in the
  answer — whose texts differ (after stripping and collapsing whitespace) has no answer; `find_answer`
  says `multiple_answers` and every verifier scores it 0 with that counted reason. The same answer
  written twice is one answer. `\\boxed{}` nested in another box does not count separately.
- Fallbacks, tried in order only when no answer pair exists: `"boxed"` (the `\\boxed{…}` with balanced
  braces; several that differ are `multiple_answers`), `"last_number"`, `"last_line"` — all outside
  the reasoning.
- Format (`format_score`, `format_score_plain`): the template exactly, one answer block outside the
  reasoning, non-empty and not hedged (several differing `\\boxed{}` inside it fail the format too).
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple

FALLBACKS = ("boxed", "last_number", "last_line")
_MAX_BOXED_TRIES = 16      # unbalanced \boxed{ candidates skipped before giving up
_MAX_BOXED_CHARS = 10_000  # a \boxed{…} whose braces do not close within this many characters is ignored
_BOXED = "\\boxed{"
_NUMBER = re.compile(r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+)?", re.ASCII)  # linear: no nested quantifiers


class Found(NamedTuple):
    """What `find_answer` read: the answer (stripped; "" for an empty block) or None with the reason."""
    answer: str | None
    reason: str | None = None   # None, "no_answer" or "multiple_answers"
    source: str | None = None   # "tag", "boxed", "last_number" or "last_line"


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


def tag_pairs(text: str, a: int, b: int, tag: str) -> list[str]:
    """Contents of every `<tag>…</tag>` pair in text[a:b], in order (linear: the pairs are disjoint)."""
    open_t, close_t = f"<{tag}>", f"</{tag}>"
    out, pos = [], a
    while True:
        op = text.find(open_t, pos, b)
        if op == -1:
            return out
        close = text.find(close_t, op + len(open_t), b)
        if close == -1:
            return out
        op = text.rfind(open_t, op, close)  # the opener nearest the closer: earlier ones are stray
        out.append(text[op + len(open_t):close])
        pos = close + len(close_t)


def boxed_contents(text: str, a: int = 0, b: int | None = None) -> list[str]:
    """Contents of every top-level `\\boxed{…}` with balanced braces in text[a:b], in order. Boxes nested in
    a box are part of it; an unbalanced one is skipped (at most _MAX_BOXED_TRIES of them, each scanned at
    most _MAX_BOXED_CHARS characters), so the cost stays linear in the input."""
    b = len(text) if b is None else b
    out, pos, tries = [], a, 0
    while tries < _MAX_BOXED_TRIES:
        start = text.find(_BOXED, pos, b)
        if start == -1:
            break
        i, depth, stop = start + len(_BOXED), 1, min(b, start + _MAX_BOXED_CHARS)
        while i < stop:
            c = text[i]
            depth += (c == "{") - (c == "}")
            if depth == 0:
                break
            i += 1
        if i < stop:
            out.append(text[start + len(_BOXED):i])
            pos = i + 1
        else:
            tries += 1
            pos = start + len(_BOXED)  # unbalanced: a later (possibly nested) box may still close
    return out


def _distinct(texts: list[str]) -> int:
    """How many different answers `texts` holds (whitespace-insensitive)."""
    return len(texts) if len(texts) < 2 else len({" ".join(t.split()) for t in texts})


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


_FINDERS = {"last_number": _last_number, "last_line": _last_line}


def _fallback(completion: str, spans: list[tuple[int, int]], name: str) -> Found | None:
    if name == "boxed":
        boxes = [box for a, b in spans for box in boxed_contents(completion, a, b)]
        if not boxes:
            return None
        if _distinct(boxes) > 1:
            return Found(None, "multiple_answers", "boxed")
        return Found(boxes[-1].strip(), None, "boxed")
    try:
        finder = _FINDERS[name]
    except KeyError:
        raise ValueError(f"unknown answer fallback '{name}' (valid: {', '.join(FALLBACKS)})") from None
    for a, b in reversed(spans):
        found = finder(completion, a, b)
        if found is not None:
            return Found(found.strip(), None, name)
    return None


def find_answer(completion: str, answer_tag: str = "answer", fallbacks: Iterable[str] = ("boxed",),
                think_tag: str | None = "think") -> Found:
    """The answer of `completion` with the reason when there is none (see the module docstring)."""
    spans = outside_spans(completion, think_tag)
    pairs = [p for a, b in spans for p in tag_pairs(completion, a, b, answer_tag)]
    if pairs:
        if _distinct(pairs) > 1:
            return Found(None, "multiple_answers", "tag")
        answer = pairs[-1].strip()
        if _distinct(boxed_contents(answer)) > 1:
            return Found(None, "multiple_answers", "tag")
        return Found(answer, None, "tag")
    for name in fallbacks:
        found = _fallback(completion, spans, name)
        if found is not None:
            return found
    return Found(None, "no_answer", None)


def extract_answer(completion: str, answer_tag: str = "answer", fallbacks: Iterable[str] = ("boxed",),
                   think_tag: str | None = "think") -> str | None:
    """The answer text of `completion` (stripped), `""` for an empty answer block, None when there is none
    or when the completion gives several different answers (`find_answer` says which)."""
    return find_answer(completion, answer_tag, fallbacks, think_tag).answer


def format_score(completion: str, think_tag: str = "think", answer_tag: str = "answer") -> float:
    """1.0 iff the completion is exactly `<think>…</think>` then `<answer>…</answer>` (whitespace around and
    between allowed), each think tag exactly once, exactly one answer block after the reasoning, its answer
    non-empty and not hedged; else 0.0. Answer tags mentioned inside the reasoning are text."""
    ot, ct = f"<{think_tag}>", f"</{think_tag}>"
    if completion.count(ot) != 1 or completion.count(ct) != 1:
        return 0.0
    s = completion.strip()
    if not s.startswith(ot):
        return 0.0
    return format_score_plain(s[s.index(ct) + len(ct):], answer_tag)


def format_score_plain(completion: str, answer_tag: str = "answer") -> float:
    """Template "plain" ("give only the final answer"): 1.0 iff the completion is exactly one
    `<answer>…</answer>` block (whitespace around allowed) with a non-empty answer that is not hedged
    (several differing `\\boxed{}`); else 0.0."""
    ot, ct = f"<{answer_tag}>", f"</{answer_tag}>"
    s = completion.strip()
    if completion.count(ot) != 1 or completion.count(ct) != 1 or not (s.startswith(ot) and s.endswith(ct)):
        return 0.0
    inner = s[len(ot):-len(ct)]
    return 1.0 if inner.strip() and _distinct(boxed_contents(inner)) <= 1 else 0.0
