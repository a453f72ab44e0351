"""A seeded, resumable mixture of weighted sample sources.

Each draw first picks a source with probability weight / sum(weights), then takes that source's next sample in
its current epoch order. A source's order for epoch e is a permutation seeded by hashing (seed, source name, e)
— not seed + e, which would make epoch 1 of seed 0 equal epoch 0 of seed 1 — so adding a source or changing
one weight leaves every other source's orders unchanged. When a source runs out, its epoch advances on its own.

The source choice is a counter-based generator: draw k uses a uniform number hashed from (seed, k). The whole
position is therefore a few integers (`state_dict()`), and a mixture restored with `load_state_dict()` yields
exactly the samples the uninterrupted one would have, across epoch boundaries too.

Sources are any sequence of `Sample` (a list, or a lazy dataset with `__len__`/`__getitem__`); the mixture
holds only one index permutation per source.
"""

from __future__ import annotations

import bisect
import hashlib
from typing import Iterator, Sequence

import numpy as np

from ..errors import MMReasonError
from ..types import Sample

STATE_VERSION = 1


def derive_seed(seed: int, *parts) -> int:
    """A 63-bit seed hashed from a seed and stream parts: derive_seed(0, "rl"), derive_seed(0, name, epoch).
    Stable across processes and Python versions; never seed + k."""
    key = ":".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") >> 1


def uniform(seed: int, *parts) -> float:
    """A uniform number in [0, 1) hashed from the seed and parts."""
    return (derive_seed(seed, *parts) >> 10) / float(1 << 53)


class Mixture:
    """Weighted, seeded, resumable sampling over several sources: `Mixture([(name, weight, samples), ...], seed)`."""

    def __init__(self, sources: Sequence[tuple], seed: int = 0):
        if not sources:
            raise MMReasonError("a mixture needs at least one source")
        self.seed = int(seed)
        self.names: list[str] = []
        self.weights: list[float] = []
        self.samples: dict[str, Sequence[Sample]] = {}
        for src in sources:
            name, weight, samples = src[0], float(src[1]), src[2]
            if name in self.samples:
                raise MMReasonError(f"duplicate source name '{name}' in the mixture")
            if not weight > 0:
                raise MMReasonError(f"source '{name}': weight must be > 0, got {weight}")
            if len(samples) == 0:
                raise MMReasonError(f"source '{name}' has no samples")
            self.names.append(name)
            self.weights.append(weight)
            self.samples[name] = samples
        self.base_weights = list(self.weights)           # the configured weights (checked on resume)
        self._set_cum()
        self.drawn = 0                                   # draws so far (the source-choice counter)
        self.epoch = {n: 0 for n in self.names}          # current epoch of each source
        self.pos = {n: 0 for n in self.names}            # next position in that epoch's order
        self._orders: dict[str, tuple[int, np.ndarray]] = {}

    def __len__(self) -> int:
        """Samples in one pass over every source."""
        return sum(len(s) for s in self.samples.values())

    def order(self, name: str, epoch: int) -> np.ndarray:
        """The permutation of source `name` for `epoch` (cached for the current epoch)."""
        cached = self._orders.get(name)
        if cached is None or cached[0] != epoch:
            rng = np.random.default_rng(derive_seed(self.seed, name, epoch))
            cached = (epoch, rng.permutation(len(self.samples[name])))
            self._orders[name] = cached
        return cached[1]

    def _set_cum(self) -> None:
        total = sum(self.weights)
        self._cum = list(np.cumsum([w / total for w in self.weights]))
        self._cum[-1] = 1.0

    def set_weights(self, weights: dict[str, float]) -> None:
        """Change the source weights for the draws that follow (schedules, success balancing); every source keeps
        a weight > 0. The weights in force are part of the state."""
        new = [float(weights.get(n, w)) for n, w in zip(self.names, self.weights)]
        if not all(w > 0 for w in new):
            raise MMReasonError(f"source weights must stay > 0, got {dict(zip(self.names, new))}")
        self.weights = new
        self._set_cum()

    def choose_source(self, k: int) -> str:
        return self.names[bisect.bisect_right(self._cum, uniform(self.seed, "source", k))]

    def next_sample(self) -> Sample:
        name = self.choose_source(self.drawn)
        self.drawn += 1
        samples = self.samples[name]
        if self.pos[name] >= len(samples):
            self.epoch[name] += 1
            self.pos[name] = 0
        sample = samples[int(self.order(name, self.epoch[name])[self.pos[name]])]
        self.pos[name] += 1
        if not sample.source:
            sample.source = name
        return sample

    def next_batch(self, n: int) -> list[Sample]:
        return [self.next_sample() for _ in range(n)]

    def __iter__(self) -> Iterator[Sample]:
        while True:
            yield self.next_sample()

    def progress(self) -> dict[str, float]:
        """Fractional epochs consumed per source (for logging)."""
        return {n: self.epoch[n] + self.pos[n] / len(self.samples[n]) for n in self.names}

    # --- resume --------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The position: plain ints and strings (JSON-serialisable)."""
        return {"version": STATE_VERSION, "seed": self.seed, "drawn": self.drawn,
                "sources": {n: {"epoch": self.epoch[n], "pos": self.pos[n], "size": len(self.samples[n]),
                                "weight": self.base_weights[i], "current_weight": self.weights[i]}
                            for i, n in enumerate(self.names)}}

    def load_state_dict(self, state: dict) -> None:
        """Continue from `state`; refuses a state saved for other sources, sizes, weights or seed."""
        if state.get("version") != STATE_VERSION:
            raise MMReasonError(f"mixture state version {state.get('version')!r} is not {STATE_VERSION}")
        if state["seed"] != self.seed:
            raise MMReasonError(f"mixture state was saved with seed {state['seed']}, this mixture has {self.seed}")
        saved = state["sources"]
        if list(saved) != self.names:
            raise MMReasonError(f"mixture state has sources {list(saved)}, this mixture has {self.names} "
                                "(same names in the same order are needed to continue)")
        for i, n in enumerate(self.names):
            if saved[n]["size"] != len(self.samples[n]) or saved[n]["weight"] != self.base_weights[i]:
                raise MMReasonError(f"source '{n}' changed since the state was saved (size {saved[n]['size']} → "
                                    f"{len(self.samples[n])}, weight {saved[n]['weight']} → {self.base_weights[i]})")
        self.drawn = int(state["drawn"])
        self.epoch = {n: int(saved[n]["epoch"]) for n in self.names}
        self.pos = {n: int(saved[n]["pos"]) for n in self.names}
        self.set_weights({n: saved[n].get("current_weight", saved[n]["weight"]) for n in self.names})
        self._orders.clear()
