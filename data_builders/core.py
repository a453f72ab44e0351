"""The vocabulary of the data builders: a family's Puzzle, the per-item RNG, state hashes, the split rule.

Every item is drawn from its own `random.Random`, seeded by a blake2b hash of (item stream, kind, family, split,
level, stream index, seed, attempt): never the global RNG and never `seed + index`, so neighbouring seeds share no
items. The item stream is not the generator version: a change to one family bumps GENERATOR_VERSION (every manifest
records it, so a build made before is told apart) without redrawing any other family's items. The train/heldout split
is a function of the item's canonical latent state (`state_hash`), so the two splits can never hold the same puzzle
whatever seeds built them.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from mmreason.errors import MMReasonError
from mmreason.registry import Registry

GENERATOR_VERSION = "1.1.0"  # 1.1.0: glyph_count level 1 always asks for A
ITEM_STREAM = "1.0.0"  # part of every item's RNG key; change it only to redraw every family's items
KINDS = ("puzzles", "ocr", "text", "video")
SPLITS = ("train", "heldout")
LEVELS = (1, 2, 3, 4, 5)
HELDOUT_MODULUS = 10  # a state is heldout iff int(state_hash) % 10 == 0 (10% of all states)
SPLIT_RULE = f"heldout iff int(state_hash, 16) % {HELDOUT_MODULUS} == 0"


class BuildError(MMReasonError):
    """Bad builder options (difficulty, n, families, output dir) or a generator that cannot meet its checks."""


class SelfCheckError(RuntimeError):
    """A gold answer that its own verifier rejects (or a wrong answer it accepts): a bug, never user error."""


@dataclass
class Puzzle:
    """What a family's `sample` returns: the latent state and everything derived from it.

    `state` is the canonical latent state of the *scene* (JSON-able, quantised, order-free): only what the image
    shows, never the question, so that identical images always share a state and hence a split (two questions about
    one picture must not straddle train and heldout). `scene` holds whatever `render` needs (not serialised). `distractors` are
    plausible wrong answers of the answer's type (for multiple choice and for the self-check's wrong answer);
    integer answers get a run of neighbouring values as options unless `options_from_distractors` is set.
    """
    state: Any
    question: str
    answer: str
    answer_type: str
    verifier: str
    reasoning: str
    scene: Any = None
    distractors: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    options_from_distractors: bool = False  # multiple choice: sample options from `distractors` even for integers
    # checkable intermediate steps of `reasoning` ([{"name": "die 1", "value": "3"}, ...]); rows carry them as
    # `meta.steps` only when the build asks for steps (see data_builders.trust and mmreason.rewards.steps)
    steps: list[dict[str, str]] = field(default_factory=list)


class Family(Protocol):
    """One puzzle/OCR family. `knobs[level]` names what each difficulty level sets (monotone in level)."""
    name: str
    kind: str
    knobs: dict[int, dict[str, Any]]

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        """A puzzle (state first, answer from the state); None when the draw is degenerate (counted, retried)."""

    def render(self, puzzle: Puzzle, rng: random.Random, view) -> "Rendered":
        """Draw the puzzle at `view.size` and check that its answer-carrying details survive `view`'s resize."""


@dataclass
class Rendered:
    """A drawn image and, when it fails the legibility check at the model's input size, the reason."""
    image: Any
    reject: str | None = None


FAMILIES: dict[str, Registry] = {kind: Registry(f"{kind} family") for kind in KINDS}


def register(cls):
    """Class decorator: instantiate the family and register it under its kind and name."""
    obj = cls()
    for level in LEVELS:
        if level not in obj.knobs:
            raise ValueError(f"family {obj.name} lacks knobs for level {level}")
    FAMILIES[obj.kind].register(obj.name, obj)
    return cls


def item_rng(kind: str, family: str, split: str, level: int, index: int, seed: int, attempt: int) -> random.Random:
    """The item's own RNG, from a hash of everything that identifies the draw."""
    key = repr((ITEM_STREAM, kind, family, split, level, index, seed, attempt)).encode()
    return random.Random(int.from_bytes(hashlib.blake2b(key, digest_size=16).digest(), "big"))


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def state_hash(kind: str, family: str, state: Any) -> str:
    """Hash of the canonical latent state (level and rendering nuisance excluded): 32 hex digits."""
    return hashlib.blake2b(canonical_json([kind, family, state]).encode(), digest_size=16).hexdigest()


def split_of(h: str) -> str:
    return "heldout" if int(h, 16) % HELDOUT_MODULUS == 0 else "train"


def parse_difficulty(difficulty: str | int) -> list[int]:
    """'3' → [3]; '1-5' → [1, 2, 3, 4, 5]; anything outside 1–5 is a BuildError."""
    text = str(difficulty).strip()
    try:
        lo, hi = (int(p) for p in text.split("-", 1)) if "-" in text else (int(text), int(text))
    except ValueError:
        raise BuildError(f"difficulty must be a level 1-5 or a range like '1-5', got '{difficulty}'") from None
    if not (1 <= lo <= hi <= 5):
        raise BuildError(f"difficulty must lie within 1-5 (low ≤ high), got '{difficulty}'")
    return list(range(lo, hi + 1))


def resolve_families(kind: str, families: list[str] | str | None) -> list[str]:
    """Validate family names for `kind` (empty = all, in registry order); unknown names raise did-you-mean."""
    if kind not in FAMILIES:
        raise BuildError(f"unknown dataset kind '{kind}' (valid: {', '.join(KINDS)})")
    load_families()
    reg = FAMILIES[kind]
    if isinstance(families, str):
        families = [f for f in families.split(",")]
    names = [f.strip() for f in (families or []) if f and f.strip()]
    if not names:
        return reg.names()
    out = []
    for name in names:
        reg.get(name)  # raises UnknownNameError (an MMReasonError) with a did-you-mean
        if name not in out:
            out.append(name)
    return out


def load_families() -> None:
    """Import the family modules (each registers itself)."""
    from . import ocr, puzzles, text, video  # noqa: F401


def get_family(kind: str, name: str) -> Family:
    load_families()
    return FAMILIES[kind].get(name)


