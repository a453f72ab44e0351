"""Prompt samplers that adapt to the data and to the policy: a difficulty curriculum and Kimi k1.5's prioritized
sampling. Both implement the `PromptSampler` seam of `mmreason.data.samplers` and are chosen by `data.sampler`.

`CurriculumSampler` — easy before hard. The prompts of all sources are grouped into levels by a key: the sample's
`difficulty` (the builders' levels 1–5) or a column of its `meta` (e.g. `pass_rate`, written by `mmreason sample`'s
difficulty estimate), ordered easy → hard (`order`: ascending values are easy; `descending` for a pass rate). A
position p(step) in [0, L−1] moves over the L levels:
    staged   p = the number of switch steps ≤ step (at `steps[0]` the second level takes over, ...);
    gradual  p = (L−1)·clip((step − steps[0]) / (steps[1] − steps[0]), 0, 1): the mix shifts continuously.
Level i is drawn with weight max(0, 1 − |i − p|) (one level when p is whole, two neighbours in between), and a
level already passed (i < p) keeps at least `replay`. Within a level the sources mix by their weights (a seeded,
resumable `Mixture` per level). The level of draw k is chosen by a uniform number hashed from (seed, k), so the
weights depend only on the step and the state is a few integers.

`PrioritizedSampler` — sample prompt i ∝ base_i · max(floor, 1 − s_i), s_i its running success rate (the mean
accuracy of its rollouts, an exponential moving average with weight `ema` per observation; `prior` before any),
base_i = source weight / source size (so with equal priorities the sources mix as configured). The floor keeps
solved prompts in the draw. A batch is drawn without replacement (Efraimidis–Spirakis: the n smallest E_i / w_i
with E_i exponential draws from a generator seeded by (seed, batch number)); the state is the batch counter and
the success of every observed prompt.
"""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np

from ..errors import ConfigError, MMReasonError
from ..types import Sample
from .mixture import Mixture, derive_seed, uniform

SCHEDULES = ("staged", "gradual")
ORDERS = ("ascending", "descending")


def level_of(sample: Sample, key: str, source: str):
    """The sample's curriculum value: `difficulty` or `meta[key]`; a sample without one is an error naming it."""
    value = sample.difficulty if key == "difficulty" else sample.meta.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        where = "difficulty" if key == "difficulty" else f"meta.{key}"
        raise ConfigError(f"data.curriculum.key={key}: sample '{sample.id}' of source '{source}' has no numeric "
                          f"{where} (got {value!r})")
    return value


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _check_state_kind(state: dict, kind: str) -> None:
    if state.get("kind") != kind:
        raise MMReasonError(f"the checkpoint's prompt sampler state is {state.get('kind', 'mixture')!r}, this run "
                            f"uses data.sampler={kind}; resume with the sampler it was saved with")


class CurriculumSampler:
    """Levels easy → hard by `key`, drawn by a staged or gradual schedule (see the module docstring)."""
    kind = "curriculum"

    def __init__(self, sources: Sequence[tuple], seed: int, key: str = "difficulty", order: str = "ascending",
                 schedule: str = "staged", steps: Sequence[int] = (), replay: float = 0.0, ema: float = 0.2):
        if schedule not in SCHEDULES or order not in ORDERS:
            raise ConfigError(f"data.curriculum: schedule must be one of {SCHEDULES} and order one of {ORDERS}")
        self.seed, self.key, self.schedule = int(seed), key, schedule
        self.steps, self.replay, self.ema = [int(s) for s in steps], float(replay), float(ema)
        by_level: dict = {}
        self.level_of_id: dict[str, int] = {}
        for name, weight, samples in sources:
            for s in samples:
                by_level.setdefault(level_of(s, key, name), {}).setdefault(name, (weight, []))[1].append(s)
        self.values = sorted(by_level, reverse=order == "descending")
        self.labels = [_label(v) for v in self.values]
        self.mixtures = []
        for i, v in enumerate(self.values):
            srcs = [(name, w, group) for name, (w, group) in by_level[v].items()]
            self.mixtures.append(Mixture(srcs, seed=derive_seed(self.seed, "level", self.labels[i])))
            for _, _, group in srcs:
                self.level_of_id.update({s.id: i for s in group})
        if schedule == "gradual" and (len(self.steps) != 2 or self.steps[1] <= self.steps[0]):
            raise ConfigError(f"data.curriculum.steps: gradual needs [start, end] with end > start, got {self.steps}")
        if schedule == "staged" and not self.steps and len(self.values) > 1:
            raise ConfigError("data.curriculum.steps: staged needs the steps at which the next level takes over")
        self.drawn, self._step = 0, 0
        self.success: dict[str, float] = {}     # running rollout accuracy per level label (for metrics)

    def position(self, step: int) -> float:
        """p(step) in [0, L−1]: which level the schedule is at."""
        last = len(self.values) - 1
        if last == 0:
            return 0.0
        if self.schedule == "staged":
            return float(min(last, sum(step >= s for s in self.steps)))
        start, end = self.steps
        return last * min(1.0, max(0.0, (step - start) / (end - start)))

    def level_weights(self, step: int) -> list[float]:
        """The probability of each level (easy → hard) at `step`."""
        p = self.position(step)
        w = [max(0.0, 1.0 - abs(i - p)) for i in range(len(self.values))]
        w = [max(x, self.replay) if i < p else x for i, x in enumerate(w)]
        total = sum(w)
        return [x / total for x in w]

    def next_batch(self, n: int, step: int) -> list[Sample]:
        weights = self.level_weights(step)
        self._step = step
        last = max(i for i, w in enumerate(weights) if w > 0)
        cum = [float(c) if i < last else 1.0 for i, c in enumerate(np.cumsum(weights))]  # no draw past `last`
        out = []
        for _ in range(n):
            i = bisect.bisect_right(cum, uniform(self.seed, "curriculum", self.drawn))
            self.drawn += 1
            out.append(self.mixtures[i].next_sample())
        return out

    def observe(self, results: Sequence) -> None:
        by_level: dict[int, list[float]] = {}
        for r in results:
            if r.prompt_id in self.level_of_id:
                by_level.setdefault(self.level_of_id[r.prompt_id], []).append(r.success_rate)
        for i, rates in sorted(by_level.items()):
            mean, old = sum(rates) / len(rates), self.success.get(self.labels[i])
            self.success[self.labels[i]] = mean if old is None else (1 - self.ema) * old + self.ema * mean

    def metrics(self) -> dict[str, float]:
        """The schedule's position and level weights at the last batch, and the running success per level."""
        out = {"sampler/curriculum_position": self.position(self._step)}
        out.update({f"sampler/weight/level_{k}": w for k, w in zip(self.labels, self.level_weights(self._step))})
        out.update({f"sampler/success/level_{k}": v for k, v in self.success.items()})
        return out

    def state_dict(self) -> dict:
        return {"kind": self.kind, "drawn": self.drawn, "levels": list(self.labels),
                "mixtures": [m.state_dict() for m in self.mixtures], "success": dict(self.success)}

    def load_state_dict(self, state: dict) -> None:
        _check_state_kind(state, self.kind)
        if state["levels"] != self.labels:
            raise MMReasonError(f"curriculum state has levels {state['levels']}, this data has {self.labels} "
                                f"(by data.curriculum.key={self.key})")
        self.drawn = int(state["drawn"])
        for m, s in zip(self.mixtures, state["mixtures"]):
            m.load_state_dict(s)
        self.success = {k: float(v) for k, v in state["success"].items()}


class PrioritizedSampler:
    """Prompts drawn ∝ base · max(floor, 1 − running success) (see the module docstring)."""
    kind = "prioritized"

    def __init__(self, sources: Sequence[tuple], seed: int, floor: float = 0.1, ema: float = 0.5, prior: float = 0.0):
        if not 0 < floor <= 1 or not 0 < ema <= 1 or not 0 <= prior <= 1:
            raise ConfigError(f"data.prioritized: need 0 < floor <= 1, 0 < ema <= 1, 0 <= prior <= 1 "
                              f"(got floor={floor}, ema={ema}, prior={prior})")
        self.seed, self.floor, self.ema, self.prior = int(seed), float(floor), float(ema), float(prior)
        self.pool: list[Sample] = []
        base = []
        for name, weight, samples in sources:
            for s in samples:
                if not s.source:
                    s.source = name
                self.pool.append(s)
                base.append(float(weight) / len(samples))
        if not self.pool:
            raise MMReasonError("prioritized sampling needs at least one prompt")
        self.ids = [s.id for s in self.pool]
        if len(set(self.ids)) != len(self.ids):
            raise MMReasonError("prioritized sampling needs unique prompt ids across the training sources")
        self.index = {pid: i for i, pid in enumerate(self.ids)}
        self.base = np.asarray(base, dtype=np.float64)
        self.success: dict[str, float] = {}
        self.batches = 0

    def priority(self, prompt_id: str) -> float:
        return max(self.floor, 1.0 - self.success.get(prompt_id, self.prior))

    def probabilities(self) -> np.ndarray:
        """The probability of each prompt (in pool order) being the first of the next batch."""
        w = self.base * np.asarray([self.priority(pid) for pid in self.ids])
        return w / w.sum()

    def next_batch(self, n: int, step: int) -> list[Sample]:
        out: list[Sample] = []
        while len(out) < n:  # more prompts than the pool holds: further rounds, each without replacement
            p = self.probabilities()
            rng = np.random.default_rng(derive_seed(self.seed, "prioritized", self.batches))
            self.batches += 1
            keys = rng.exponential(size=len(p)) / p
            take = min(n - len(out), len(p))
            out.extend(self.pool[int(i)] for i in np.argsort(keys, kind="stable")[:take])
        return out

    def observe(self, results: Sequence) -> None:
        for r in results:
            if r.prompt_id not in self.index:
                continue
            old = self.success.get(r.prompt_id)
            rate = r.success_rate
            self.success[r.prompt_id] = rate if old is None else (1 - self.ema) * old + self.ema * rate

    def metrics(self) -> dict[str, float]:
        seen = list(self.success.values())
        p = self.probabilities()
        out = {"sampler/seen_frac": len(seen) / len(self.pool), "sampler/p_max_over_min": float(p.max() / p.min())}
        if seen:
            out["sampler/success_mean"] = sum(seen) / len(seen)
            out["sampler/solved_frac"] = sum(s >= 1.0 - self.floor for s in seen) / len(self.pool)
        return out

    def state_dict(self) -> dict:
        return {"kind": self.kind, "seed": self.seed, "batches": self.batches, "size": len(self.pool),
                "success": dict(self.success)}

    def load_state_dict(self, state: dict) -> None:
        _check_state_kind(state, self.kind)
        if state["seed"] != self.seed or state["size"] != len(self.pool):
            raise MMReasonError(f"prioritized sampler state was saved for seed {state['seed']} and "
                                f"{state['size']} prompts; this run has seed {self.seed} and {len(self.pool)}")
        unknown = [k for k in state["success"] if k not in self.index]
        if unknown:
            raise MMReasonError(f"prioritized sampler state names prompts not in the training data, e.g. "
                                f"{unknown[0]!r}")
        self.batches = int(state["batches"])
        self.success = {k: float(v) for k, v in state["success"].items()}
