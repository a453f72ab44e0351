"""Loss aggregations: per-token loss (B, T) and mask (B, T) -> scalar, registered in AGGREGATIONS by name.

    fn(per_token_loss, mask, *, <the totals it divides by>) -> scalar Tensor

Each takes only the totals it uses (num_seqs, num_tokens, norm_constant); the trainer offers what each declares.

With l the per-token loss, m the mask and n_i = Σ_t m_it the valid tokens of sequence i:

    seq_mean_token_mean      Σ_i [Σ_t l m / n_i] / num_seqs        GRPO (DeepSeekMath): mean of token-means
    token_mean               Σ_i Σ_t l m / num_tokens              DAPO: every token of the batch weighs the same
    seq_mean_token_sum_norm  Σ_i Σ_t l m / norm_constant / num_seqs  Dr. GRPO: the constant is the generation budget
    seq_mean_token_sum       Σ_i Σ_t l m / num_seqs                Kimi k1.5: mean of per-sequence objectives

Gradient accumulation: every aggregation is a *sum* over the rows divided by batch totals, so when a minibatch
is split into micro-batches and each call is given the minibatch totals (`minibatch_totals(minibatch_mask)`),
the micro-batch results add up exactly to the full-minibatch loss; call backward on each and the accumulated
gradient is the full-minibatch gradient. Left as None, a total is taken from the given batch itself.

Conventions:
- A sequence with no valid token (e.g. a truncated response removed by mask_truncated, or a padding row)
  contributes 0 and is NOT counted in the default num_seqs, which is the number of rows with at least one
  valid token — the sequence analogue of token_mean's num_tokens = Σ m. Removing a response therefore
  leaves the weight of the others unchanged. A caller wanting it counted passes num_seqs = B.
- A total of 0 (nothing valid in the whole minibatch) gives a loss of exactly 0, still attached to the graph
  so that backward works on every rank.
- Masked entries are selected out with torch.where, so NaN/inf under the mask cannot leak.
- A float mask counts every non-zero entry as a valid token (weights are not supported).
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import AGGREGATIONS


def _masked(per_token_loss: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    if per_token_loss.dim() != 2 or mask.shape != per_token_loss.shape:
        raise ValueError(f"per_token_loss and mask must share one (B, T) shape, got "
                         f"{tuple(per_token_loss.shape)} and {tuple(mask.shape)}")
    m = mask if mask.dtype == torch.bool else mask != 0
    return torch.where(m, per_token_loss, 0.0), m


def minibatch_totals(mask: Tensor) -> dict[str, float]:
    """The totals to pass to every micro-batch call: {"num_seqs": rows with a valid token, "num_tokens": Σ m}."""
    m = mask if mask.dtype == torch.bool else mask != 0
    return {"num_seqs": float(m.any(dim=1).sum()), "num_tokens": float(m.sum())}


def _divide(total: Tensor, denom) -> Tensor:
    denom = float(denom)
    return total / denom if denom > 0 else total * 0.0


@AGGREGATIONS.register("seq_mean_token_mean")
def seq_mean_token_mean(per_token_loss: Tensor, mask: Tensor, *, num_seqs: float | None = None) -> Tensor:
    """GRPO: Σ_i (Σ_t l m / n_i) / num_seqs."""
    loss, m = _masked(per_token_loss, mask)
    n = m.sum(dim=1)
    per_seq = loss.sum(dim=1) / n.clamp(min=1).to(loss.dtype)
    return _divide(per_seq.sum(), (n > 0).sum() if num_seqs is None else num_seqs)


@AGGREGATIONS.register("token_mean")
def token_mean(per_token_loss: Tensor, mask: Tensor, *, num_tokens: float | None = None) -> Tensor:
    """DAPO: Σ l m / num_tokens."""
    loss, m = _masked(per_token_loss, mask)
    return _divide(loss.sum(), m.sum() if num_tokens is None else num_tokens)


@AGGREGATIONS.register("seq_mean_token_sum_norm")
def seq_mean_token_sum_norm(per_token_loss: Tensor, mask: Tensor, *, norm_constant: float | None = None,
                            num_seqs: float | None = None) -> Tensor:
    """Dr. GRPO: Σ_i Σ_t l m / norm_constant / num_seqs; norm_constant (the generation budget) is required."""
    if norm_constant is None or norm_constant <= 0:
        raise ValueError(f"seq_mean_token_sum_norm needs norm_constant > 0 (the generation budget), got {norm_constant}")
    loss, m = _masked(per_token_loss, mask)
    return _divide(loss.sum() / float(norm_constant), m.any(dim=1).sum() if num_seqs is None else num_seqs)


@AGGREGATIONS.register("seq_mean_token_sum")
def seq_mean_token_sum(per_token_loss: Tensor, mask: Tensor, *, num_seqs: float | None = None) -> Tensor:
    """Kimi k1.5: Σ_i Σ_t l m / num_seqs (mean over sequences of the per-sequence objective)."""
    loss, m = _masked(per_token_loss, mask)
    return _divide(loss.sum(), m.any(dim=1).sum() if num_seqs is None else num_seqs)
