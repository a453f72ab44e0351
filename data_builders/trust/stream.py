"""The generation loop of a (family, level) stream when a trust feature is on: each accepted draw yields a group of
rows (a minimal pair, three matched modalities, or a single row) whose members all pass the split, balance and
legibility checks together.

Every member is rendered from a copy of the same RNG state, so the two images of a minimal pair differ only in
the controlled change (and a matched image row is drawn exactly as the plain build would draw it). Balance is kept
per role (base/variant, image/text/text_image), so each role's answers are balanced on their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Iterator

from ..balance import Balancer, ChoiceMaker
from ..core import BuildError, Family, Puzzle, canonical_json, item_rng, split_of, state_hash
from ..generate import MAX_ATTEMPTS, Item, StreamStats, _as_choice, _to_row, image_paths
from . import matched as mt
from .hooks import describer, perturber, sealed_rule, steps_of

SEALED = "sealed"


@dataclass(frozen=True)
class TrustOptions:
    """Which trust features a build asks for (see data_builders.trust)."""
    minimal_pairs: bool = False
    matched: bool = False
    sealed: bool = False
    steps: bool = False

    @property
    def active(self) -> bool:
        return self.minimal_pairs or self.matched or self.sealed or self.steps

    def to_dict(self) -> dict[str, bool]:
        return {"minimal_pairs": self.minimal_pairs, "matched": self.matched, "sealed": self.sealed,
                "steps": self.steps}


@dataclass
class Member:
    role: str                 # "single" | "base" | "variant" | one of matched.MODALITIES
    pz: Puzzle
    change: str | None = None
    modality: str = "image"


@dataclass
class Streams:
    """Per-role balancers and multiple-choice makers of one stream."""
    balancers: dict[str, Balancer] = field(default_factory=dict)
    choosers: dict[str, ChoiceMaker] = field(default_factory=dict)


def effective_split(fam: Family, state, h: str, opts: TrustOptions) -> str:
    """'sealed' for a state the family's sealed rule matches (when sealing is on), else the hash split."""
    rule = sealed_rule(fam) if opts.sealed else None
    return SEALED if rule is not None and rule[2](state) else split_of(h)


def members(fam: Family, pz: Puzzle, rng: random.Random, level: int, opts: TrustOptions) -> list[Member] | None:
    if opts.minimal_pairs:
        made = perturber(fam)(pz, rng, level)
        if made is None or made[0] is None or made[0].answer == pz.answer:
            return None
        return [Member("base", pz, made[1]), Member("variant", made[0], made[1])]
    if opts.matched:
        words = describer(fam)(pz)
        return [Member("image", pz),
                Member("text", replace(pz, question=mt.text_question(pz.question, words)), modality="text"),
                Member("text_image", replace(pz, question=mt.text_image_question(pz.question)),
                       modality="text_image")]
    return [Member("single", pz)]


def _render(fam: Family, m: Member, base: Puzzle, state: tuple, view):
    rng = random.Random()
    rng.setstate(state)
    if m.modality == "text":
        return None, None
    if m.modality == "text_image":
        r = mt.render_text_image(describer(fam)(base), rng, view)
    else:
        r = fam.render(m.pz, rng, view)
    return r.image, r.reject


def _row(fam, m: Member, k: int, group: list[Member], ctx: dict, image) -> dict:
    split, level, index, seed, h, attempts, opts = ctx["row_args"]
    row = _to_row(fam, m.pz, split, level, index, seed, h[k], attempts)
    if len(group) > 1:
        gid = row["id"]
        row["id"] = f"{gid}-{m.role}"
        row["meta"].update(group_id=gid, group_role=m.role, change=m.change,
                           modality=m.modality if opts.matched else None)
    n_images = 0 if image is None else len(image) if isinstance(image, list) else 1
    row["images"] = image_paths(row["id"], n_images) if n_images else []
    row["meta"]["state"] = canonical_json(m.pz.state)
    if opts.sealed:
        row["meta"]["sealed"] = split == SEALED
    if opts.steps:
        row["meta"]["steps"] = steps_of(fam, m.pz, level) or None
    return row


def _attempt(fam, split, level, index, seed, attempt, view, multiple_choice, stats, opts, s: Streams):
    stats.attempts += 1
    rng = item_rng(fam.kind, fam.name, split, level, index, seed, attempt)
    pz = fam.sample(rng, level)
    if pz is None:
        stats.rejections["degenerate"] += 1
        return None
    group = members(fam, pz, rng, level, opts)
    if group is None:
        stats.rejections["no_variant"] += 1
        return None
    hashes = [state_hash(fam.kind, fam.name, m.pz.state) for m in group]
    if any(effective_split(fam, m.pz.state, h, opts) != split for m, h in zip(group, hashes)):
        stats.rejections["split"] += 1
        return None
    if not all(s.balancers.setdefault(m.role, Balancer()).admits(m.pz.answer) for m in group):
        stats.rejections["balance"] += 1
        return None
    plans = [s.choosers.setdefault(m.role, ChoiceMaker()).prepare(m.pz.answer, m.pz.distractors,
                                                                   m.pz.options_from_distractors)
             if multiple_choice else None for m in group]
    if multiple_choice and any(p is None for p in plans):
        stats.rejections["choice"] += 1
        return None
    stats.rendered += 1
    state = rng.getstate()
    drawn = [_render(fam, m, pz, state, view) for m in group]
    reject = next((r for _, r in drawn if r), None)
    if reject:
        stats.rejections[f"visibility:{reject}"] += 1
        return None
    ctx = {"row_args": (split, level, index, seed, hashes, attempt + 1, opts)}
    items = []
    for k, (m, (image, _), plan) in enumerate(zip(group, drawn, plans)):
        row = _row(fam, m, k, group, ctx, image)
        if plan is not None:
            _as_choice(row, m.pz, *plan(rng))
        s.balancers[m.role].add(m.pz.answer)
        items.append(Item(row, image if image is not None else [], m.pz.distractors))
    stats.accepted += 1
    return items


def group_stream(fam: Family, split: str, level: int, seed: int, count: int, view, multiple_choice: bool,
                 stats: StreamStats, opts: TrustOptions) -> Iterator[list[Item]]:
    """Yield `count` accepted groups of items of one family at one level, in stream-index order."""
    s = Streams()
    for index in range(count):
        for attempt in range(MAX_ATTEMPTS):
            items = _attempt(fam, split, level, index, seed, attempt, view, multiple_choice, stats, opts, s)
            if items is not None:
                yield items
                break
        else:
            raise BuildError(f"family '{fam.name}' could not make group {index} of level {level} ({split}) with "
                             f"{opts.to_dict()} in {MAX_ATTEMPTS} attempts; rejections: {dict(stats.rejections)}")


def probe_states(fam: Family, split: str, level: int, seed: int, count: int, opts: TrustOptions) -> set[str]:
    """State hashes of `count` draws that land in `split` under the build's split rule (sealing included)."""
    out: set[str] = set()
    attempt = 0
    while len(out) < count and attempt < count * 60:
        rng = item_rng(fam.kind, fam.name, split, level, 10**6 + attempt, seed, 0)
        attempt += 1
        pz = fam.sample(rng, level)
        if pz is not None:
            h = state_hash(fam.kind, fam.name, pz.state)
            if effective_split(fam, pz.state, h, opts) == split:
                out.add(h)
    return out
