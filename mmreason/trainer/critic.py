"""PPO's critic: a value head on the policy's last hidden state, on the policy's own trunk (shared, the default) or
on a separate copy of the policy with its own optimizer (`critic.separate`).

The value V(s_t) of the state before response token t is read from the hidden state at the position that predicts
token t (where the token's logit is read). With a shared trunk the value comes out of the same forward as the
policy's logprobs, and the value loss is added to the policy loss with weight `vf_coef`; during the critic's
warm-up steps the policy loss is off and the value loss reaches only the head (the trunk is the policy's). The
head's weights are zero at the start (V = 0 everywhere), so nothing random is drawn for it. It lives on the model
as `value_head`; the policy's saved Hugging Face directory never holds it (`mmreason.model.NOT_IN_POLICY_DIR`).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..algorithms.gae import (clipped_value_loss, explained_variance, gae, masked_moments, token_rewards,
                              whiten)
from ..distributed import comm
from .batch import RolloutBatch
from .logprobs import forward_response, without_dropout


def attach_value_head(model: nn.Module) -> nn.Linear:
    """A zero-initialised Linear(H, 1) on `model` as `value_head` (H = the output embedding's width)."""
    weight = model.get_output_embeddings().weight
    head = nn.Linear(weight.shape[-1], 1, dtype=weight.dtype, device=weight.device)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
    model.value_head = head
    return head


def head_of(module: nn.Module) -> nn.Module:
    """The value head of a model, a DeepSpeed engine or a PEFT wrapper around it."""
    for m in (module, getattr(module, "module", None)):
        if m is not None and isinstance(getattr(m, "value_head", None), nn.Module):
            return m.value_head
    raise AttributeError("the critic's model has no value_head")


class Critic:
    """Values (V_old), GAE advantages and the value loss, for one shared trunk or a separate value model."""

    def __init__(self, cfg, policy_model: nn.Module, separate_backend=None, forward_kwargs: dict | None = None):
        """`separate_backend`: the update backend of a separate critic model (None = the head on the policy);
        `forward_kwargs`: image-token checks and the vision keep-alive, as the policy's forwards get them."""
        self.cfg = cfg.critic
        self.kl_beta = cfg.algorithm.kl_beta if cfg.algorithm.kl_in_reward else 0.0
        self.backend = separate_backend
        self.policy_model = policy_model
        self.fwd = dict(forward_kwargs or {})

    @property
    def shared(self) -> bool:
        return self.backend is None

    def values_of(self, hidden: torch.Tensor, module: nn.Module) -> torch.Tensor:
        return head_of(module)(hidden).squeeze(-1).float()

    @torch.no_grad()
    def batched_values(self, batch: RolloutBatch, micro_batch_size: int) -> torch.Tensor:
        """(B, Tr) V_old of every response token, in the update's mode (train mode, dropout off)."""
        model = self.policy_model if self.shared else self.backend.module
        was = model.training
        model.train()
        parts = []
        try:
            with without_dropout(model):
                for s in range(0, len(batch), micro_batch_size):
                    micro = batch.select(list(range(s, min(len(batch), s + micro_batch_size))))
                    _, _, hidden = forward_response(model, micro, with_hidden=True, **self.fwd)
                    parts.append(self.values_of(hidden, model).cpu())
        finally:
            model.train(was)
        return torch.cat(parts)

    def advantages(self, batch: RolloutBatch, rewards: torch.Tensor, kl: torch.Tensor | None) -> dict:
        """Per-token GAE advantages (whitened over the global batch) and returns into `batch`; metrics."""
        c, mask = self.cfg, batch.response_mask
        r_tok = token_rewards(rewards.reshape(-1), mask, kl, self.kl_beta)
        adv, ret = gae(r_tok, batch.values, mask, c.gamma, c.lam)
        metrics = {"critic/explained_variance": explained_variance(batch.values, ret, mask),
                   "critic/values_mean": _mean(batch.values, mask), "critic/returns_mean": _mean(ret, mask)}
        if c.whiten_advantages:
            s, sq, n = (sum(x) for x in zip(*comm.all_gather_object(masked_moments(adv, mask))))
            mean = s / max(n, 1.0)
            std = max(sq / max(n, 1.0) - mean * mean, 0.0) ** 0.5
            adv = whiten(adv, mask, mean, std)
        batch.advantages, batch.returns = adv, ret
        return metrics

    def value_loss(self, micro: RolloutBatch, values: torch.Tensor, num_tokens: float) -> tuple[torch.Tensor, dict]:
        """The minibatch's clipped value loss share of this micro-batch: Σ_t loss / the minibatch's token count."""
        per_token, m = clipped_value_loss(values, micro.values, micro.returns, micro.response_mask,
                                          self.cfg.value_clip)
        loss = per_token.sum() / max(num_tokens, 1.0)
        return loss, m

    def separate_micro_step(self, micro: RolloutBatch, num_tokens: float) -> dict:
        """A separate critic's forward/backward on one micro-batch (its optimizer steps per minibatch)."""
        model = self.backend.module
        _, _, hidden = forward_response(model, micro, with_hidden=True, **self.fwd)
        loss, m = self.value_loss(micro, self.values_of(hidden, model), num_tokens)
        self.backend.backward(loss * self.backend.data_parallel_size)
        return {"critic/value_loss": float(loss.detach()), **{f"critic/{k}": v for k, v in m.items()}}


def _mean(x: torch.Tensor, mask: torch.Tensor) -> float:
    s, _, n = masked_moments(x, mask)
    return s / n if n else 0.0


def separate_value_model(policy_model: nn.Module) -> nn.Module:
    """A copy of the policy (trunk and all) with its own value head: the separate critic."""
    model = copy.deepcopy(policy_model)
    model.requires_grad_(True)
    attach_value_head(model)
    return model
