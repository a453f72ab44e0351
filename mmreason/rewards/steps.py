"""`steps`: score a completion's reasoning against the checkable intermediate steps of its puzzle.

Contract (a pure function, registered as verifier `steps`):

    verify_steps(completion: str, gold: str, options: Mapping) -> Score

Inputs
    completion   the model's whole output (R1 style: `<think>…</think><answer>…</answer>`).
    options["steps"]
                 the reference steps: a list of records {"name": str, "value": str} — a dataset row's
                 `meta.steps` as `data_builders` writes it with `--steps` — or that list as a JSON string.
                 When absent, `gold` is read as that JSON list (so a request may carry the steps as its gold).
    options["think_tag"] ("think"), options["answer_tag"] ("answer")
                 where the reasoning is: the text of every `<think>…</think>` section (an unclosed one runs to
                 the end); with no such section, the completion with its `<answer>…</answer>` pairs removed.
Output
    Score(accuracy = correct steps / all steps, in [0, 1]; extracted = "correct/total";
          details = {"steps": n, "correct": c, "wrong": w, "missing": m}; error as below).
    The final answer is not looked at: score it with the row's own verifier; this scores the way there.

When is a step stated, and stated correctly? Text is compared after NFKC, case folding and whitespace collapsing.
    - A statement is the step's name (whole words) followed by at most two connectors (`:` `=` `is` `are` `was`
      `has` `have` `shows` `points at` `at` `between` `of` `→`) and a value. For a numeric step the value is an
      expression `a (op b)* [= c]` whose stated value is the number after `=` (or the lone number when there is no
      operator: `3 + 5` with no result states nothing); numbers may carry `$`, thousands commas, `¢`, `%` or a
      short unit (`kg`, `cm`, `min`, …) and compare exactly as decimals (`2.40` = `2.4`). For a text step the
      value is the next as many words as the reference value has. A number right before the name also states a
      numeric step (`7 minutes`).
    - List form: a step named `<label> <k>` (`row 3`, `difference 2`) is also stated by `<label>s: v1, v2, …`
      (or `<label>: v1, …`) as its k-th item (`Rows: 1, 0, 2, 0.` states row 3 = 2).
    - A step is correct when it is stated at least once and every statement gives the reference value; a step
      stated once with another value is wrong (hedging `row 1: 0, row 1: 1` earns nothing); never stated is
      missing.
Errors (accuracy 0): `bad_gold` (no steps, or steps that are not name/value records), `too_long` (a completion
over 20,000 characters or more than 64 steps), `empty_answer` (no reasoning text at all), `hidden_characters`
(invisible or bidirectional-control characters in the reasoning).
"""

from __future__ import annotations

import json
import re
import unicodedata
from fractions import Fraction
from typing import Any, Mapping

from ..types import Score
from .base import VERIFIERS
from .textguard import hidden_character

MAX_CHARS = 20_000
MAX_STEPS = 64
_NUM = r"[-+]?\$?\d+(?:,\d{3})*(?:\.\d+)?"
_UNIT = r"(?:\s?[¢%]|\s?(?:kg|mg|g|km|cm|mm|m|ml|l|min|h|s|cents?|pips?)(?![\w]))?"
_OP = r"\s*(?:[-+×*/·]|(?<=\s)x(?=\s))\s*"
_EXPR = re.compile(rf"({_NUM}){_UNIT}((?:{_OP}{_NUM}{_UNIT})*)(?:\s*=\s*({_NUM}){_UNIT})?")
_CONNECT = re.compile(r"(?:\s*(?::|=|→|->|\bis\b|\bare\b|\bwas\b|\bhas\b|\bhave\b|\bshows?\b|\bpoints at\b|"
                      r"\bat\b|\bbetween\b|\bof\b))?(?:\s*(?::|\bis\b|\bat\b|\bbetween\b|\bof\b))?\s*")
_INDEXED = re.compile(r"^(.*\S)\s+(\d+)$")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2212", "-")
    return " ".join(text.split())


def number(text: str) -> Fraction | None:
    """The exact value of a number token ('$1,250.50', '35¢', '-4') or None."""
    m = re.fullmatch(rf"\s*({_NUM}){_UNIT}\s*", text)
    if not m:
        return None
    return Fraction(m.group(1).replace("$", "").replace(",", ""))


def reasoning_text(completion: str, think_tag: str = "think", answer_tag: str = "answer") -> str:
    """The reasoning: all <think> sections (an unclosed one to the end), else the text outside <answer> pairs."""
    open_t, close_t = f"<{think_tag}>", f"</{think_tag}>"
    parts, pos = [], 0
    while (start := completion.find(open_t, pos)) != -1:
        end = completion.find(close_t, start + len(open_t))
        parts.append(completion[start + len(open_t):end if end != -1 else len(completion)])
        if end == -1:
            break
        pos = end + len(close_t)
    if parts:
        return " ".join(parts)
    open_a, close_a = f"<{answer_tag}>", f"</{answer_tag}>"
    out, pos = [], 0
    while (start := completion.find(open_a, pos)) != -1 and (end := completion.find(close_a, start)) != -1:
        out.append(completion[pos:start])
        pos = end + len(close_a)
    out.append(completion[pos:])
    return " ".join(out)


def read_steps(gold: str, options: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    """[(normalised name, normalised value)] from options["steps"] (or `gold` as JSON); None when malformed."""
    raw = options.get("steps", gold)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, (list, tuple)) or not raw:
        return None
    out = []
    for rec in raw:
        if not isinstance(rec, Mapping) or not isinstance(rec.get("name"), str) or not isinstance(
                rec.get("value"), (str, int, float)) or isinstance(rec.get("value"), bool):
            return None
        name, value = normalise(rec["name"]), normalise(str(rec["value"]))
        if not name or not value:
            return None
        out.append((name, value))
    return out


def _stated_after(text: str, pos: int, value: str, gold_num: Fraction | None) -> str | None:
    """The value stated right after position `pos` (after connectors), or None when nothing is stated there."""
    pos = _CONNECT.match(text, pos).end()
    if gold_num is not None:
        m = _EXPR.match(text, pos)
        if not m:
            return None
        if m.group(3) is not None:
            return m.group(3)
        return None if m.group(2) else m.group(1)
    words = re.match(r"[\w'-]+(?:\s+[\w'-]+){%d}" % (len(value.split()) - 1), text[pos:])
    return words.group(0) if words else None


def _agrees(stated: str, value: str, gold_num: Fraction | None) -> bool:
    if gold_num is not None:
        return number(stated) == gold_num
    return stated.strip(" .,;:") == value


def statements(text: str, name: str, value: str) -> list[bool]:
    """For each statement of step `name` in `text`: does it give `value`?"""
    gold_num = number(value)
    out = []
    for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", text):
        stated = _stated_after(text, m.end(), value, gold_num)
        if stated is not None:
            out.append(_agrees(stated, value, gold_num))
        if gold_num is not None:
            before = re.search(rf"({_NUM}){_UNIT}\s+$", text[max(0, m.start() - 40):m.start()])
            if before:
                out.append(_agrees(before.group(0).strip(), value, gold_num))
    indexed = _INDEXED.match(name)
    if indexed:
        label, k = indexed.group(1), int(indexed.group(2))
        for m in re.finditer(rf"(?<![\w]){re.escape(label)}(?:s|es)?\s*:\s*([^;\n]*?)(?:\.(?:\s|$)|;|\n|$)", text):
            items = [x.strip() for x in m.group(1).split(",")]
            if len(items) >= 2 and k <= len(items) and items[k - 1]:
                stated = items[k - 1] if gold_num is None else _first_value(items[k - 1])
                if stated is not None:
                    out.append(_agrees(stated, value, gold_num))
    return out


def _first_value(item: str) -> str | None:
    m = _EXPR.fullmatch(item.strip())
    return None if m is None or m.group(2) else (m.group(3) or m.group(1))


@VERIFIERS.register("steps")
def verify_steps(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    steps = read_steps(gold, options)
    if steps is None:
        return Score(0.0, None, "bad_gold")
    if len(completion) > MAX_CHARS or len(steps) > MAX_STEPS:
        return Score(0.0, None, "too_long")
    text = reasoning_text(completion, options.get("think_tag", "think"), options.get("answer_tag", "answer"))
    if not text.strip():
        return Score(0.0, "", "empty_answer")
    if hidden_character(text) is not None:
        return Score(0.0, None, "hidden_characters")
    text = normalise(text)
    correct = wrong = missing = 0
    for name, value in steps:
        verdicts = statements(text, name, value)
        if not verdicts:
            missing += 1
        elif all(verdicts):
            correct += 1
        else:
            wrong += 1
    n = len(steps)
    return Score(correct / n, f"{correct}/{n}", None,
                 {"steps": float(n), "correct": float(correct), "wrong": float(wrong), "missing": float(missing)})
