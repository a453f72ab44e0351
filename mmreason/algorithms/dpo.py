"""Direct preference optimisation (Rafailov et al. 2023): the sigmoid loss over sequence logprob sums.

For a pair (chosen y_w, rejected y_l) of one prompt x, with s(y) = Σ_t log π(y_t | x, y_<t) over the response
tokens (images in the prompt included in the conditioning):

    r_w = β·(s_θ(y_w) − s_ref(y_w))          the implicit reward of the chosen response
    r_l = β·(s_θ(y_l) − s_ref(y_l))          and of the rejected one
    L   = −log σ(r_w − r_l)                  per pair; the batch loss is the mean over pairs
    ∂L/∂s_θ(y_w) = −β·σ(r_l − r_w),  ∂L/∂s_θ(y_l) = +β·σ(r_l − r_w)

With `sft_weight` α > 0 the loss adds α·NLL(y_w), the chosen response's mean token negative log-likelihood
−s_θ(y_w)/|y_w| (RPO, Pang et al. 2024): plain DPO only needs the margin to grow, and on pairs that share a long
prefix (a short answer and the same answer with more after it) it can get there by pushing both likelihoods down
until the policy stops producing either — the NLL term keeps the chosen response likely.

The reference is the frozen starting policy: its sums are constants (detached). At the start (θ = ref) every
margin is 0 and the loss is log 2. Metrics: the mean implicit rewards, the margin r_w − r_l, and the accuracy
(share of pairs with r_w > r_l). This is Kimi k1.5's long-to-short DPO (shortest correct ≻ long or wrong) and
Align-Anything's preference learning, on one code path.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def dpo_loss(policy_chosen: Tensor, policy_rejected: Tensor, ref_chosen: Tensor, ref_rejected: Tensor,
             beta: float, sft_weight: float = 0.0, chosen_tokens: Tensor | None = None
             ) -> tuple[Tensor, dict[str, float]]:
    """Per-pair losses (B,) from (B,) sequence logprob sums, and metrics averaged over the B pairs; `sft_weight`
    α adds α·(−policy_chosen / chosen_tokens), the chosen response's mean token NLL."""
    if not (policy_chosen.shape == policy_rejected.shape == ref_chosen.shape == ref_rejected.shape):
        raise ValueError("dpo_loss: the four sequence logprob tensors must have the same shape (B,)")
    chosen = beta * (policy_chosen - ref_chosen.detach())
    rejected = beta * (policy_rejected - ref_rejected.detach())
    margin = chosen - rejected
    losses = -F.logsigmoid(margin)
    nll = None
    if sft_weight:
        if chosen_tokens is None or chosen_tokens.shape != policy_chosen.shape:
            raise ValueError("dpo_loss: sft_weight > 0 needs chosen_tokens, the (B,) token counts of the chosen")
        nll = -policy_chosen / chosen_tokens.clamp(min=1)
        losses = losses + sft_weight * nll
    with torch.no_grad():
        metrics = {"dpo/reward_chosen": float(chosen.mean()), "dpo/reward_rejected": float(rejected.mean()),
                   "dpo/margin": float(margin.mean()), "dpo/accuracy": float((margin > 0).float().mean()),
                   "dpo/logp_chosen": float(policy_chosen.mean()),
                   "dpo/logp_rejected": float(policy_rejected.mean())}
        if nll is not None:
            metrics["dpo/nll_chosen"] = float(nll.mean())
    return losses, metrics
