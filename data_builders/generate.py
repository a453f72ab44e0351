"""The generation loop of one (family, level) stream: draw, check the split, balance, render, check legibility.

Each attempt draws from its own hashed RNG (`item_rng`), so an item depends only on its key and on the answers
accepted before it in its stream (the balancer's history). Rejections are counted by reason; the counts become the
manifest's acceptance rates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

from .balance import Balancer, ChoiceMaker, choice_question
from .core import GENERATOR_VERSION, BuildError, Family, Puzzle, item_rng, split_of, state_hash
from .visibility import View

MAX_ATTEMPTS = 3000


@dataclass
class StreamStats:
    attempts: int = 0
    rendered: int = 0
    accepted: int = 0
    rejections: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "rendered": self.rendered, "accepted": self.accepted,
                "rejections": dict(sorted(self.rejections.items()))}


@dataclass
class Item:
    """One accepted item: its row (without dataset-level fields), image (or list of images, one per entry of
    `row["images"]`) and the distractors for self-checks."""
    row: dict[str, Any]
    image: Any
    distractors: list[str]


def item_id(family: str, split: str, seed: int, level: int, index: int) -> str:
    return f"{family}-{split}-s{seed}-L{level}-{index:05d}"


def image_paths(iid: str, n: int) -> list[str]:
    """Relative paths of an item's images: one image is images/<id>.png, several are images/<id>-<k>.png."""
    return [f"images/{iid}.png"] if n == 1 else [f"images/{iid}-{k}.png" for k in range(1, n + 1)]


def _to_row(fam: Family, pz: Puzzle, split: str, level: int, index: int, seed: int, h: str, attempts: int) -> dict:
    iid = item_id(fam.name, split, seed, level, index)
    return {"id": iid, "kind": fam.kind, "family": fam.name, "split": split, "difficulty": level,
            "images": [f"images/{iid}.png"], "question": pz.question, "answer": pz.answer,
            "answer_type": pz.answer_type, "verifier": pz.verifier, "options": None, "reasoning": pz.reasoning,
            "state_hash": h, "generator_version": GENERATOR_VERSION, "config_hash": "",
            "meta": {**pz.meta, "attempts": attempts}}


def _as_choice(row: dict, pz: Puzzle, options: list[str], letter: str) -> None:
    row["meta"].update(answer_value=pz.answer, open_verifier=pz.verifier, stem=pz.question)
    row.update(question=choice_question(pz.question, options), answer=letter, answer_type="choice",
               verifier="choice", options=options)


def generate_stream(fam: Family, split: str, level: int, seed: int, count: int, view: View,
                    multiple_choice: bool = False, stats: StreamStats | None = None) -> Iterator[Item]:
    """Yield `count` accepted items of one family at one level, in stream-index order."""
    stats = stats if stats is not None else StreamStats()
    balancer, chooser = Balancer(), ChoiceMaker()
    for index in range(count):
        for attempt in range(MAX_ATTEMPTS):
            stats.attempts += 1
            rng = item_rng(fam.kind, fam.name, split, level, index, seed, attempt)
            pz = fam.sample(rng, level)
            if pz is None:
                stats.rejections["degenerate"] += 1
                continue
            h = state_hash(fam.kind, fam.name, pz.state)
            if split_of(h) != split:
                stats.rejections["split"] += 1
                continue
            if not balancer.admits(pz.answer):
                stats.rejections["balance"] += 1
                continue
            plan = chooser.prepare(pz.answer, pz.distractors, pz.options_from_distractors) if multiple_choice else None
            if multiple_choice and plan is None:
                stats.rejections["choice"] += 1
                continue
            stats.rendered += 1
            rendered = fam.render(pz, rng, view)
            if rendered.reject:
                stats.rejections[f"visibility:{rendered.reject}"] += 1
                continue
            row = _to_row(fam, pz, split, level, index, seed, h, attempt + 1)
            if isinstance(rendered.image, list):  # a multi-image item: images/<id>-1.png, images/<id>-2.png, ...
                row["images"] = image_paths(row["id"], len(rendered.image))
            elif rendered.image is None:  # a text-only item
                row["images"] = []
            if plan is not None:
                _as_choice(row, pz, *plan(rng))
            balancer.add(pz.answer)
            stats.accepted += 1
            yield Item(row, rendered.image, pz.distractors)
            break
        else:
            raise BuildError(f"family '{fam.name}' could not make item {index} of level {level} ({split}) in "
                             f"{MAX_ATTEMPTS} attempts; rejections: {dict(stats.rejections)}. If most are "
                             f"visibility rejections, use a larger --image-size or --max-pixels.")


def sample_states(fam: Family, split: str, level: int, seed: int, count: int) -> set[str]:
    """State hashes of `count` draws that land in `split` (no rendering): the probe of the overlap check."""
    out: set[str] = set()
    attempt = 0
    while len(out) < count and attempt < count * 60:
        rng = item_rng(fam.kind, fam.name, split, level, 10**6 + attempt, seed, 0)
        attempt += 1
        pz = fam.sample(rng, level)
        if pz is not None:
            h = state_hash(fam.kind, fam.name, pz.state)
            if split_of(h) == split:
                out.add(h)
    return out
