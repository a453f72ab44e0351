"""Score grouped completions: verifier rewards (accuracy + format) plus the length terms, and reward metrics."""

from __future__ import annotations

from collections import defaultdict

import torch

from ..algorithms.shaping import kimi_length_reward, overlong_penalty
from ..rewards import VerifyRequest


def requests_for(samples, completions) -> list[VerifyRequest]:
    return [VerifyRequest(completion=c.text, gold=s.answer, verifier=s.verifier, options=dict(s.meta.get("options") or {}))
            for s, comps in zip(samples, completions) for c in comps]


def score_groups(reward_fn, samples, prompts, completions, reward_cfg, step: int, max_new_tokens: int) -> list[dict]:
    """One dict per prompt: sample, prompt, completions, breakdowns, rewards (G,) with length terms added."""
    breakdowns = reward_fn(requests_for(samples, completions))
    G = len(completions[0]) if completions else 0
    acc = torch.tensor([b.accuracy for b in breakdowns], dtype=torch.float32).reshape(len(samples), G)
    rewards = torch.tensor([b.reward for b in breakdowns], dtype=torch.float32).reshape(len(samples), G)
    lengths = torch.tensor([[len(c.token_ids) for c in comps] for comps in completions], dtype=torch.float32)
    shaping = torch.zeros_like(rewards)
    if reward_cfg.overlong_max is not None:
        shaping += overlong_penalty(lengths.reshape(-1), reward_cfg.overlong_max,
                                    reward_cfg.overlong_cache).reshape(rewards.shape)
    if reward_cfg.length_weight > 0 and step >= reward_cfg.length_warmup_steps:
        shaping += reward_cfg.length_weight * kimi_length_reward(lengths, acc >= 0.5)
    rewards = rewards + shaping
    out = []
    for i, (s, p, comps) in enumerate(zip(samples, prompts, completions)):
        out.append({"sample": s, "prompt": p, "completions": comps, "breakdowns": breakdowns[i * G:(i + 1) * G],
                    "rewards": rewards[i], "shaping": shaping[i]})
    return out


def group_metrics(groups: list[dict]) -> dict[str, float]:
    """Reward/accuracy/format means, per verifier and per source, error reasons, lengths, zero-variance groups."""
    if not groups:
        return {}
    rewards = torch.stack([g["rewards"] for g in groups])
    rows = [(g["sample"], b, c) for g in groups for b, c in zip(g["breakdowns"], g["completions"])]
    n = len(rows)
    m = {"reward/mean": float(rewards.mean()), "reward/std": float(rewards.std()) if rewards.numel() > 1 else 0.0,
         "accuracy/mean": sum(b.accuracy for _, b, _ in rows) / n,
         "format/mean": sum(b.format for _, b, _ in rows) / n,
         "response_length/mean": sum(len(c.token_ids) for *_, c in rows) / n,
         "response_length/max": float(max(len(c.token_ids) for *_, c in rows)),
         "truncated_frac": sum(c.finish_reason == "length" for *_, c in rows) / n,
         "zero_std_groups_frac": float((rewards.max(1).values - rewards.min(1).values <= 1e-8).float().mean()),
         "shaping/mean": float(torch.stack([g["shaping"] for g in groups]).mean())}
    by: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for s, b, _ in rows:
        by[f"accuracy/verifier/{s.verifier}"].append(b.accuracy)
        by[f"accuracy/source/{s.source or 'default'}"].append(b.accuracy)
        by[f"reward/source/{s.source or 'default'}"].append(b.reward)
        if b.error:
            errors[f"reward_errors/{b.error.split(':')[0]}"] += 1
    m.update({k: sum(v) / len(v) for k, v in by.items()})
    m.update({k: float(v) for k, v in errors.items()})
    return m
