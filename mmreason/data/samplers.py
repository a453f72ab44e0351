"""Prompt samplers for RL: which prompts the next step trains on, learning from the rollouts' results.

The `PromptSampler` seam: `next_batch(n, step)`, `observe(results)` (the scored groups' per-prompt results of a
step, gathered over all ranks, so every rank's sampler stays identical), `state_dict()` / `load_state_dict()`
(exact on resume).

`MixtureSampler` draws from the weighted mixture of sources and moves the source weights:
- a schedule per source: weight w(step) piecewise-linear between `[step, weight]` points (constant outside);
- success balancing (`balance="success"`): weight × max(floor, 1 − s), s the source's running rollout accuracy
  (an exponential moving average over its prompts, weight `ema` per observed step), so an easy source cannot
  starve the others of prompts.

`CurriculumSampler` (easy before hard, staged or gradual) and `PrioritizedSampler` (Kimi k1.5: ∝ 1 − running
success, with a floor) live in `mmreason.data.adaptive`; `data.sampler` chooses (`mmreason.wiring.prompt_sampler`).
"""

from __future__ import annotations

from typing import Protocol, Sequence

from ..errors import ConfigError
from ..types import Sample
from .mixture import Mixture


class PromptSampler(Protocol):
    def next_batch(self, n: int, step: int) -> list[Sample]:
        """The next n prompts for RL step `step` (the same on every rank)."""

    def observe(self, results: Sequence) -> None:
        """Learn from the step's `PromptResult`s (prompt id, source, difficulty, per-sample accuracy)."""

    def metrics(self) -> dict[str, float]:
        """What the sampler wants logged each step (weights in force, running success, …)."""

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


def scheduled_weight(points: Sequence[Sequence[float]], step: int) -> float:
    """Piecewise-linear interpolation of [(step, weight), ...] (sorted by step) at `step`; constant outside."""
    pts = sorted((float(s), float(w)) for s, w in points)
    if step <= pts[0][0]:
        return pts[0][1]
    for (s0, w0), (s1, w1) in zip(pts, pts[1:]):
        if step <= s1:
            return w0 + (w1 - w0) * (step - s0) / (s1 - s0) if s1 > s0 else w1
    return pts[-1][1]


def check_schedule(points, key: str) -> None:
    ok = isinstance(points, (list, tuple)) and points and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p) for p in points)
    if not ok:
        raise ConfigError(f"{key}: must be a list of [step, weight] pairs, got {points!r}")
    if any(p[0] < 0 or p[1] <= 0 for p in points):
        raise ConfigError(f"{key}: steps must be >= 0 and weights > 0, got {points!r}")


class MixtureSampler:
    """The mixture of sources with scheduled and success-balanced source weights."""

    def __init__(self, mixture: Mixture, schedules: dict[str, list] | None = None, balance: str = "none",
                 floor: float = 0.1, ema: float = 0.2):
        if balance not in ("none", "success"):
            raise ConfigError(f"data.balance: must be none or success, got {balance!r}")
        self.mixture, self.schedules = mixture, dict(schedules or {})
        self.balance, self.floor, self.ema = balance, float(floor), float(ema)
        self.success: dict[str, float] = {}      # running rollout accuracy per source (observed sources only)

    def weights(self, step: int) -> dict[str, float]:
        out = {}
        for name, base in zip(self.mixture.names, self.mixture.base_weights):
            w = scheduled_weight(self.schedules[name], step) if name in self.schedules else base
            if self.balance == "success":
                w *= max(self.floor, 1.0 - self.success.get(name, 0.0))
            out[name] = w
        return out

    def next_batch(self, n: int, step: int) -> list[Sample]:
        if self.schedules or self.balance != "none":
            self.mixture.set_weights(self.weights(step))
        return self.mixture.next_batch(n)

    def observe(self, results: Sequence) -> None:
        by_source: dict[str, list[float]] = {}
        for r in results:
            by_source.setdefault(r.source, []).append(r.success_rate)
        for name, rates in sorted(by_source.items()):
            mean = sum(rates) / len(rates)
            old = self.success.get(name)
            self.success[name] = mean if old is None else (1 - self.ema) * old + self.ema * mean

    def metrics(self) -> dict[str, float]:
        """Epochs consumed per source; with several sources also the weights in force and the running success."""
        out = {f"data/epochs/{n}": e for n, e in self.mixture.progress().items()}
        if len(self.mixture.names) < 2:
            return out
        total = sum(self.mixture.weights)
        out.update({f"sampler/weight/{n}": w / total for n, w in zip(self.mixture.names, self.mixture.weights)})
        out.update({f"sampler/success/{n}": s for n, s in self.success.items()})
        return out

    def state_dict(self) -> dict:
        return {"mixture": self.mixture.state_dict(), "success": dict(self.success)}

    def load_state_dict(self, state: dict) -> None:
        if "mixture" not in state:  # a checkpoint from before samplers: the mixture's state alone
            state = {"mixture": state, "success": {}}
        self.mixture.load_state_dict(state["mixture"])
        self.success = {k: float(v) for k, v in state["success"].items()}
