"""The hand-off from the reward phase to the update: P prompts with G scored completions each, as one typed object.

Groups live in the shape: every tensor is (P, G), so the group size is `ScoredGroups.group_size` and group
statistics are `mean(1)` / `std(1)`. A prompt sampler learns from `results()` (prompt id, source, difficulty and
the accuracy of each sample).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..algorithms.sampling import informative_groups
from ..algorithms.shaping import kimi_length_reward, overlong_penalty
from ..prompts import EncodedPrompt
from ..rewards import RewardBreakdown, VerifyRequest, summarize_rewards
from ..types import Completion, Metrics, Sample


@dataclass(frozen=True)
class PromptResult:
    """What one prompt's group says about that prompt (what curriculum / prioritized samplers consume)."""
    prompt_id: str
    source: str
    difficulty: int | None
    accuracy: tuple[float, ...]      # (G,) accuracy of each sampled completion

    @property
    def success_rate(self) -> float:
        return sum(self.accuracy) / len(self.accuracy) if self.accuracy else 0.0


@dataclass(frozen=True)
class LengthShaping:
    """Length terms added to the verifier reward (the settings of `reward.*`)."""
    overlong_max: int | None = None     # DAPO overlong shaping L_max (None = off)
    overlong_cache: int = 16            # DAPO L_cache
    length_weight: float = 0.0          # Kimi k1.5 length reward weight (0 = off)
    length_warmup_steps: int = 0        # Kimi: on from this step

    def __call__(self, lengths: torch.Tensor, correct: torch.Tensor, step: int) -> torch.Tensor:
        """(P, G) shaping for (P, G) lengths and correctness at RL step `step`."""
        out = torch.zeros(lengths.shape, dtype=torch.float32)
        if self.overlong_max is not None:
            out += overlong_penalty(lengths.reshape(-1), self.overlong_max, self.overlong_cache).reshape(out.shape)
        if self.length_weight > 0 and step >= self.length_warmup_steps:
            out += self.length_weight * kimi_length_reward(lengths, correct)
        return out


@dataclass
class ScoredGroups:
    samples: list[Sample]                       # (P) the prompts' samples
    prompts: list[EncodedPrompt]                # (P) encoded prompts
    completions: list[list[Completion]]         # (P, G) sampled completions
    breakdowns: list[list[RewardBreakdown]]     # (P, G) verifier verdicts (accuracy, format, error, extracted)
    rewards: torch.Tensor                       # (P, G) total reward: verifier reward + length shaping
    accuracy: torch.Tensor                      # (P, G) verifier accuracy in [0, 1]
    shaping: torch.Tensor                       # (P, G) length terms included in `rewards`
    lengths: torch.Tensor                       # (P, G) response lengths in tokens

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def group_size(self) -> int:
        return self.rewards.shape[1]

    def select(self, idx: list[int]) -> "ScoredGroups":
        t = torch.as_tensor(idx, dtype=torch.long)
        return ScoredGroups([self.samples[i] for i in idx], [self.prompts[i] for i in idx],
                            [self.completions[i] for i in idx], [self.breakdowns[i] for i in idx],
                            self.rewards[t], self.accuracy[t], self.shaping[t], self.lengths[t])

    @staticmethod
    def cat(parts: list["ScoredGroups"]) -> "ScoredGroups":
        parts = [p for p in parts if len(p)]
        if not parts:
            raise ValueError("no groups to concatenate")
        return ScoredGroups([s for p in parts for s in p.samples], [x for p in parts for x in p.prompts],
                            [c for p in parts for c in p.completions], [b for p in parts for b in p.breakdowns],
                            *(torch.cat([getattr(p, k) for p in parts]) for k in ("rewards", "accuracy", "shaping",
                                                                                   "lengths")))

    def results(self) -> list[PromptResult]:
        return [PromptResult(s.id, s.source, s.difficulty, tuple(float(a) for a in acc))
                for s, acc in zip(self.samples, self.accuracy)]

    def metrics(self) -> Metrics:
        """Reward metrics (per verifier and source) plus group statistics."""
        rows = [(s, c) for s, comps in zip(self.samples, self.completions) for c in comps]
        m = summarize_rewards([b for bs in self.breakdowns for b in bs], rewards=self.rewards.reshape(-1).tolist(),
                              lengths=[len(c.token_ids) for _, c in rows],
                              truncated=[c.finish_reason == "length" for _, c in rows],
                              labels={"verifier": [s.verifier for s, _ in rows],
                                      "source": [s.source or "default" for s, _ in rows]})
        m["zero_std_groups_frac"] = float((~informative_groups(self.accuracy)).float().mean())  # no signal in accuracy
        m["zero_std_reward_groups_frac"] = float((~informative_groups(self.rewards)).float().mean())
        m["shaping/mean"] = float(self.shaping.mean())
        return m


def requests_for(samples: list[Sample], completions: list[list[Completion]]) -> list[VerifyRequest]:
    """One verification request per completion, in order (sample 0's completions first)."""
    return [VerifyRequest(completion=c.text, gold=s.answer, verifier=s.verifier,
                          options=dict(s.meta.get("options") or {}))
            for s, comps in zip(samples, completions) for c in comps]


def score_groups(reward_fn, samples: list[Sample], prompts: list[EncodedPrompt],
                 completions: list[list[Completion]], shaping: LengthShaping, step: int) -> ScoredGroups:
    """Verify every completion (one pool call for the whole batch) and add the length terms."""
    flat = reward_fn(requests_for(samples, completions))
    P, G = len(samples), len(completions[0]) if completions else 0
    breakdowns = [flat[i * G:(i + 1) * G] for i in range(P)]
    accuracy = torch.tensor([b.accuracy for b in flat], dtype=torch.float32).reshape(P, G)
    verifier_reward = torch.tensor([b.reward for b in flat], dtype=torch.float32).reshape(P, G)
    lengths = torch.tensor([[len(c.token_ids) for c in comps] for comps in completions],
                           dtype=torch.float32).reshape(P, G)
    extra = shaping(lengths, accuracy >= 0.5, step)
    return ScoredGroups(list(samples), list(prompts), [list(c) for c in completions], breakdowns,
                        verifier_reward + extra, accuracy, extra, lengths)
