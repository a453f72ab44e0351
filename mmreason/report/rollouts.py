"""The rollout browser of a report: recorded prompt groups with their G completions, and the two views for spotting
reward hacking and over-thinking ("longest responses", "reward without accuracy").

Each completion shows its verdict (correct / wrong / a verifier error), the extracted answer, the reasoning and the
answer split out of the template's tags, its length and finish reason, and its reward split into components:
accuracy_weight × accuracy + format_weight × format + length shaping = total. A completion carries the classes
`correct` / `wrong` and `truncated`, which the page's filter buttons act on.
"""

from __future__ import annotations

import re
from html import escape

from .data import RunData, image_uri

CORRECT_AT = 0.5
IMAGE_PX = 280   # the widest an image is shown in a group (wider ones are scaled down by the page's CSS)


def split_answer(text: str, think_tag: str = "think", answer_tag: str = "answer") -> tuple[str | None, str | None]:
    """(reasoning, answer) read from the last <think>…</think> and <answer>…</answer> blocks (None when absent;
    text before an unclosed or missing think block counts as reasoning when an answer block follows)."""
    def last(tag):
        found = re.findall(rf"<{re.escape(tag)}>(.*?)</{re.escape(tag)}>", text, flags=re.S)
        return found[-1].strip() if found else None

    answer = last(answer_tag)
    reasoning = last(think_tag)
    if reasoning is None and answer is not None:
        before = text.split(f"<{answer_tag}>")[0].replace(f"<{think_tag}>", "").strip()
        reasoning = before or None
    return reasoning, answer


def verdict(c: dict) -> tuple[str, str]:
    """(css class, label) of a completion's verifier verdict."""
    if c.get("error"):
        return "wrong", f"✗ {c['error']}"
    if float(c.get("accuracy", 0.0)) >= CORRECT_AT:
        acc = float(c["accuracy"])
        return "correct", "✓ correct" if acc == 1.0 else f"✓ {acc:.2f}"
    return "wrong", "✗ wrong"


def reward_split(c: dict, acc_w: float | None, fmt_w: float | None) -> str:
    """`1.0×1 + 0.5×1 + shaping −0.10 = 1.40` (the weights from the run's config; raw values without them)."""
    acc, fmt, shaping = float(c.get("accuracy", 0)), float(c.get("format", 0)), float(c.get("shaping", 0))
    if acc_w is None or fmt_w is None:
        parts = [f"accuracy {acc:.2f}", f"format {fmt:.2f}"]
    else:
        parts = [f"accuracy {acc_w:g}×{acc:.2f}", f"format {fmt_w:g}×{fmt:.2f}"]
    if shaping:
        parts.append(f"shaping {shaping:+.2f}")
    return " + ".join(parts) + f" = <b>{float(c.get('reward', 0)):.3f}</b>"


class RolloutHtml:
    """Renders groups and completions of one run (images embedded once per image file as data URIs)."""

    def __init__(self, data: RunData):
        self.data = data
        self.think = data.cfg("prompt.think_tag", "think")
        self.answer = data.cfg("prompt.answer_tag", "answer")
        self.acc_w = data.cfg("reward.accuracy_weight")
        self.fmt_w = data.cfg("reward.format_weight")
        self._images: dict = {}

    def images(self, group: dict, cls: str = "pimg") -> str:
        """The group's images; small ones shown at an integer scale (pixelated) up to `IMAGE_PX` wide."""
        out = []
        for rel in group.get("images") or []:
            found = image_uri(self.data.run_dir, rel, self._images)
            if found is None:
                out.append(f'<span class="missing">image missing: {escape(rel)}</span>')
                continue
            uri, w, h = found
            scale = max(1, IMAGE_PX // w) if cls == "pimg" else 1
            size = f' width="{w * scale}" height="{h * scale}"' if w * scale <= IMAGE_PX else ""
            out.append(f'<img class="{cls}" src="{uri}"{size} alt="{escape(rel)}" data-scale="{scale}">')
        return "".join(out)

    def completion(self, c: dict, index: int) -> str:
        cls, label = verdict(c)
        truncated = c.get("finish_reason") == "length"
        reasoning, answer = split_answer(c.get("text", ""), self.think, self.answer)
        classes = f"comp {cls}" + (" truncated" if truncated else "")
        extracted = c.get("extracted")
        rows = [f'<div class="chead"><span class="badge {cls}">{escape(label)}</span> #{index} · '
                f'{int(c.get("length", 0))} tokens · {escape(str(c.get("finish_reason", "")))}'
                + (' <span class="badge trunc">truncated</span>' if truncated else "")
                + f' · extracted: <code>{escape(str(extracted)) if extracted is not None else "—"}</code></div>',
                f'<div class="reward">reward: {reward_split(c, self.acc_w, self.fmt_w)}</div>']
        if reasoning is not None:
            rows.append(f'<div class="think"><span class="lbl">reasoning</span><pre>{escape(reasoning)}</pre></div>')
        if answer is not None:
            rows.append(f'<div class="answer"><span class="lbl">answer</span><pre>{escape(answer)}</pre></div>')
        rows.append(f'<details><summary>raw text</summary><pre>{escape(c.get("text", ""))}</pre></details>')
        return f'<div class="{classes}">' + "".join(rows) + "</div>"

    def group_meta(self, g: dict) -> str:
        bits = [f"step {g.get('step')}", f"prompt <code>{escape(str(g.get('prompt_id')))}</code>"]
        for key in ("source", "family", "difficulty", "verifier"):
            if g.get(key) not in (None, ""):
                bits.append(f"{key} <b>{escape(str(g[key]))}</b>")
        bits.append(f"gold <code>{escape(str(g.get('gold')))}</code>")
        return " · ".join(bits)

    def group(self, g: dict) -> str:
        comps = g.get("completions") or []
        acc = sum(float(c.get("accuracy", 0)) >= CORRECT_AT for c in comps)
        head = (f'<div class="ghead">{self.group_meta(g)} · {acc}/{len(comps)} correct</div>'
                f'<div class="gbody"><div class="gleft">{self.images(g)}'
                f'<details open><summary>prompt</summary><pre class="prompt">{escape(g.get("prompt", ""))}</pre>'
                '</details></div><div class="gright">')
        body = "".join(self.completion(c, i) for i, c in enumerate(comps))
        return f'<div class="group">{head}{body}</div></div></div>'

    def picked(self, g: dict, c: dict, index: int) -> str:
        """One completion out of its group (the longest / reward-without-accuracy views)."""
        return (f'<div class="group pick"><div class="ghead">{self.group_meta(g)}</div><div class="gbody">'
                f'<div class="gleft">{self.images(g, "thumb")}</div><div class="gright">'
                f"{self.completion(c, index)}</div></div></div>")


def all_completions(rollouts: dict[int, list[dict]]):
    """(group, completion, index) over every recorded step, in step order."""
    for step in sorted(rollouts):
        for g in rollouts[step]:
            for i, c in enumerate(g.get("completions") or []):
                yield g, c, i


def longest(rollouts: dict[int, list[dict]], n: int = 20) -> list[tuple[dict, dict, int]]:
    """The n longest completions (ties: the earlier step first)."""
    items = list(all_completions(rollouts))
    return sorted(items, key=lambda t: -int(t[1].get("length", 0)))[:n]


def reward_without_accuracy(rollouts: dict[int, list[dict]], n: int = 30) -> list[tuple[dict, dict, int]]:
    """Wrong completions that still earned a positive reward (format or shaping terms), highest reward first:
    where a policy learns to please the reward without solving the task."""
    items = [t for t in all_completions(rollouts)
             if float(t[1].get("accuracy", 0)) < CORRECT_AT and float(t[1].get("reward", 0)) > 0]
    return sorted(items, key=lambda t: -float(t[1].get("reward", 0)))[:n]


def rollout_sections(data: RunData, steps: list[int], n_longest: int = 20, n_hacking: int = 30) -> str:
    """The three views of the browser (by step, longest responses, reward without accuracy)."""
    r = RolloutHtml(data)
    if not steps:
        note = ("no rollouts recorded (train.record_rollouts_every=0, or no RL steps)" if not data.rollouts else
                "no recorded step chosen")
        return f'<p class="note">{note}</p>'
    chosen = {s: data.rollouts[s] for s in steps}
    options = "".join(f'<option value="{s}"{" selected" if s == steps[-1] else ""}>step {s}</option>'
                      for s in steps)
    by_step = "".join(f'<div class="stepgroups" data-step="{s}"{"" if s == steps[-1] else " hidden"}>'
                      + "".join(r.group(g) for g in chosen[s]) + "</div>" for s in steps)
    long_items = longest(chosen, n_longest)
    hack_items = reward_without_accuracy(chosen, n_hacking)
    views = (f'<div class="view" data-view="steps"><label>recorded step <select id="stepsel">{options}</select>'
             f"</label>{by_step}</div>"
             f'<div class="view" data-view="longest" hidden><p class="note">The {len(long_items)} longest responses '
             f"of the steps shown (over-thinking, truncation).</p>"
             + "".join(r.picked(g, c, i) for g, c, i in long_items) + "</div>"
             f'<div class="view" data-view="hacking" hidden><p class="note">{len(hack_items)} wrong responses that '
             "still earned reward (format or shaping terms): what a policy learns when it pleases the reward "
             "without solving the task.</p>"
             + ("".join(r.picked(g, c, i) for g, c, i in hack_items) or '<p class="note">none</p>') + "</div>")
    return views
