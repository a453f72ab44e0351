"""The RL step: rollout → reward → logprobs (π_old, reference) → advantages → update → sync, each phase timed.

Read top to bottom: `step()` is the whole algorithm; the helpers below it are one phase each. The math (advantages,
losses, aggregation, KL, shaping) lives in mmreason.algorithms as pure functions chosen by name; how a loss becomes
an update (one process, or DeepSpeed ZeRO across ranks) lives behind the backend.

With several ranks, every rank draws the same global batch of P prompts and keeps its own contiguous slice, so
each prompt's G samples stay on one rank; rewards are gathered so advantages are computed over the global
(P, G) tensor exactly as in one process; the loss is normalised by global token/sequence totals.

Departures from the papers, on purpose: π_old logprobs are not recomputed when there is a single optimizer step
per rollout batch (they equal the current policy's, detached, exactly); a dynamic-sampling batch still short of
informative groups after `max_sampling_rounds` extra rounds is filled up with dropped groups (zero advantage),
so that every rank trains on the same number of rows.
"""

from __future__ import annotations

import time

import torch

from ..algorithms import ADVANTAGES, AGGREGATIONS, POLICY_LOSSES, minibatch_totals
from ..algorithms.kl import kl_in_reward, kl_penalty
from ..algorithms.losses import tis_weights
from ..algorithms.sampling import informative_groups
from ..distributed import comm
from ..rollout.base import SamplingParams
from .batch import RolloutBatch, make_batch
from .logprobs import batched_logprobs, response_logprobs
from .metrics import PhaseTimer
from .rewarding import group_metrics, score_groups


class RLTrainer:
    """Owns the policy's update; talks to the rollout engine, the reward function and the data mixture."""

    def __init__(self, cfg, policy, engine, encoder, reward_fn, mixture, backend, scheduler, ref_model=None,
                 keep_vision_alive: bool = False):
        self.cfg, self.policy, self.engine, self.encoder = cfg, policy, engine, encoder
        self.reward_fn, self.mixture = reward_fn, mixture
        self.backend, self.scheduler = backend, scheduler
        self.keep_vision_alive = keep_vision_alive
        self.step_count = 0
        self.shuffle_gen = torch.Generator().manual_seed(cfg.run.seed + 1)
        a, r = cfg.algorithm, cfg.rollout
        self.advantage_fn = ADVANTAGES.get(a.advantage)
        self.loss_fn = POLICY_LOSSES.get(a.loss)
        self.aggregate = AGGREGATIONS.get(a.aggregation)
        self.sampling = SamplingParams(n=r.group_size, temperature=r.temperature, top_p=r.top_p, top_k=r.top_k,
                                       max_new_tokens=r.max_new_tokens, stop=tuple(r.stop))
        self.world, self.rank = comm.world_size(), comm.rank()
        if r.prompts_per_step % self.world:
            raise ValueError(f"rollout.prompts_per_step={r.prompts_per_step} must be divisible by the "
                             f"{self.world} ranks")
        self.local_prompts = r.prompts_per_step // self.world
        self.ref_model = ref_model  # a frozen plain copy of the initial policy; None when β = 0

    @property
    def model(self):
        """What forwards run on: the DeepSpeed engine or the plain model."""
        return self.backend.module

    # ------------------------------------------------------------------ the step
    def step(self) -> dict:
        t_start = time.perf_counter()
        timer = PhaseTimer()
        groups, collect_metrics = self._collect(timer)                    # rollout + reward (+ dynamic sampling)
        metrics = {**collect_metrics, **self.train_on_groups(groups, timer)}
        n_tok = float(sum(len(c.token_ids) for g in groups for c in g["completions"]))
        metrics.update({**timer.metrics(), "time/step": time.perf_counter() - t_start,
                        "tokens_per_s": n_tok / max(timer.totals.get("rollout", 0.0), 1e-9)})
        return comm.reduce_metrics(metrics)

    def train_on_groups(self, groups: list[dict], timer: PhaseTimer | None = None) -> dict:
        """Everything after the rollout: logprobs → advantages → update → sync (this rank's groups)."""
        timer = timer or PhaseTimer()
        with timer("logprobs"):
            batch = self._make_batch(groups)
            self._fill_logprobs(batch)
        with timer("advantages"):
            adv_metrics = self._advantages(batch, groups)
        with timer("update"):
            update_metrics = self._update(batch)
        with timer("sync"):
            self._sync()
        self.step_count += 1
        self._maybe_reset_reference()
        return {**adv_metrics, **update_metrics, "lr": self.scheduler.get_last_lr()[0]}

    # ------------------------------------------------------------------ phases
    def _next_prompts(self) -> list:
        """This rank's slice of the next global batch (every rank advances the mixture identically)."""
        samples = self.mixture.next_batch(self.cfg.rollout.prompts_per_step)
        return samples[self.rank * self.local_prompts:(self.rank + 1) * self.local_prompts]

    def _collect(self, timer: PhaseTimer) -> tuple[list[dict], dict]:
        """Sample prompts, generate G completions each, score them; with dynamic sampling keep only groups
        whose rewards differ, generating more (up to max_sampling_rounds extra rounds) until enough are kept."""
        a, want = self.cfg.algorithm, self.local_prompts
        kept, dropped, seen, rounds = [], [], [], 0
        while True:
            samples = self._next_prompts()
            with timer("rollout"):
                prompts = [self.encoder.encode(s) for s in samples]
                completions = self.engine.generate(prompts, self.sampling)
            with timer("reward"):
                new = score_groups(self.reward_fn, samples, prompts, completions, self.cfg.reward,
                                   self.step_count, self.cfg.rollout.max_new_tokens)
            seen.extend(new)
            if not a.dynamic_sampling:
                kept = new
                break
            mask = informative_groups(torch.stack([g["rewards"] for g in new])).tolist()
            kept.extend(g for g, m in zip(new, mask) if m)
            dropped.extend(g for g, m in zip(new, mask) if not m)
            # every rank must agree on stopping (each round is a global draw from the mixture)
            done = all(comm.all_gather_object(len(kept) >= want or rounds >= a.max_sampling_rounds))
            if done:
                break
            rounds += 1
        n_informative = min(len(kept), want)
        kept = (kept + dropped)[:want]
        metrics = group_metrics(seen)
        metrics.update({"dynamic/rounds": float(rounds), "dynamic/groups_kept": float(n_informative),
                        "dynamic/groups_seen": float(len(seen))})
        return kept, metrics

    def _make_batch(self, groups: list[dict]) -> RolloutBatch:
        P, G = len(groups), self.cfg.rollout.group_size
        rewards = torch.stack([g["rewards"] for g in groups]).reshape(P, G)
        return make_batch([g["prompt"] for g in groups], [g["completions"] for g in groups], rewards,
                          torch.zeros(P, G), self.policy.tokenizer.pad_token_id,
                          mask_truncated=self.cfg.algorithm.mask_truncated)

    def _logprob_kwargs(self) -> dict:
        return dict(temperature=self.cfg.rollout.temperature, image_token_id=self.encoder.image_token_id,
                    merge_size=self.encoder.merge_size, keep_vision_alive=self.keep_vision_alive)

    def _updates_per_batch(self) -> int:
        return self.cfg.train.epochs_per_batch * self.cfg.train.minibatches

    def _fill_logprobs(self, batch: RolloutBatch) -> None:
        mb = self.cfg.train.micro_batch_size
        if self._updates_per_batch() > 1 or self.cfg.algorithm.tis_cap is not None:
            batch.old_logprobs = batched_logprobs(self.model, batch, mb, **self._logprob_kwargs())
        if self.ref_model is not None:
            kw = dict(self._logprob_kwargs(), keep_vision_alive=False)  # a plain module: no collectives
            batch.ref_logprobs = batched_logprobs(self.ref_model, batch, mb, **kw)

    def _advantages(self, batch: RolloutBatch, groups: list[dict]) -> dict:
        a = self.cfg.algorithm
        P, G = len(groups), self.cfg.rollout.group_size
        rewards = batch.rewards.reshape(P, G).clone()
        metrics = {}
        if batch.ref_logprobs is not None and a.kl_in_reward:  # fold −β·Σ_t KL_t into each sequence's reward
            cur = batch.old_logprobs
            if cur is None:
                cur = batched_logprobs(self.model, batch, self.cfg.train.micro_batch_size, **self._logprob_kwargs())
            kl = kl_penalty(cur, batch.ref_logprobs, a.kl_estimator, mask=batch.response_mask)
            folded = kl_in_reward(rewards, kl, a.kl_beta, batch.response_mask)
            metrics["kl_reward_penalty"] = float((rewards - folded).mean())
            rewards = folded
        global_rewards = comm.gather_rewards(rewards)                   # (P_global, G), rank order
        adv, adv_metrics = self.advantage_fn(global_rewards, eps=a.adv_eps)
        batch.advantages = adv[self.rank * P:(self.rank + 1) * P].reshape(-1).float()
        metrics.update(adv_metrics)
        return metrics

    def _global_totals(self, mask: torch.Tensor) -> dict:
        """Sequence/token counts of the minibatch over all ranks (the aggregation's denominators)."""
        local = minibatch_totals(mask)
        if self.world == 1:
            return dict(local)
        parts = comm.all_gather_object({k: float(v) for k, v in local.items()})
        return {k: sum(p[k] for p in parts) for k in local}

    def _update(self, batch: RolloutBatch) -> dict:
        t, a = self.cfg.train, self.cfg.algorithm
        sums: dict[str, float] = {}
        weight = loss_sum = 0.0
        grad_norms = []
        self.model.train()
        for epoch in range(t.epochs_per_batch):
            perm = torch.randperm(len(batch), generator=self.shuffle_gen)
            for mb_rows in torch.tensor_split(perm, t.minibatches):
                if len(mb_rows) == 0:
                    continue
                mb = batch.select(mb_rows)
                totals = dict(self._global_totals(mb.response_mask),
                              norm_constant=float(a.norm_constant or self.cfg.rollout.max_new_tokens))
                for s in range(0, len(mb), t.micro_batch_size):
                    micro = mb.select(list(range(s, min(len(mb), s + t.micro_batch_size))))
                    m, w = self._micro_step(micro, totals, first_pass=(epoch == 0))
                    loss_sum += m.pop("loss")  # this rank's share of the minibatch loss
                    for k, v in m.items():
                        sums[k] = sums.get(k, 0.0) + v * w
                    weight += w
                grad_norms.append(self.backend.step())
        self.scheduler.step()
        out = {k: v / max(weight, 1e-9) for k, v in sums.items()}
        out["loss"] = loss_sum / max(len(grad_norms), 1)  # mean over optimizer steps (summed over ranks later)
        out["grad_norm"] = sum(grad_norms) / max(len(grad_norms), 1)
        out["optimizer_steps"] = float(len(grad_norms))
        return out

    def _micro_step(self, micro: RolloutBatch, totals: dict, first_pass: bool) -> tuple[dict, float]:
        """Forward, per-token loss (+ KL), aggregation with global minibatch totals, backward."""
        a = self.cfg.algorithm
        mask = micro.response_mask
        logprobs, entropy = response_logprobs(self.model, micro, with_entropy=first_pass, **self._logprob_kwargs())
        old = micro.old_logprobs if micro.old_logprobs is not None else logprobs.detach()
        is_w = None
        if a.tis_cap is not None and micro.rollout_logprobs is not None:
            is_w = tis_weights(old, micro.rollout_logprobs, a.tis_cap)
        per_token, m = self.loss_fn(logprobs, old, micro.advantages, mask, clip_low=a.clip_low,
                                    clip_high=a.clip_high, kimi_tau=a.kimi_tau, is_weights=is_w)
        metrics = {k: float(v) for k, v in m.items()}
        n_tok = float(mask.sum())
        if micro.ref_logprobs is not None:
            kl = kl_penalty(logprobs, micro.ref_logprobs, a.kl_estimator, mask=mask)
            metrics["kl"] = float(kl.detach().sum() / max(n_tok, 1.0))
            if not a.kl_in_reward:
                per_token = per_token + a.kl_beta * kl
        loss = self.aggregate(per_token, mask, **totals)
        # each rank's share of the global loss; the backend averages gradients over ranks, hence × ranks
        self.backend.backward(loss * self.backend.data_parallel_size)
        metrics["loss"] = float(loss.detach())
        if first_pass:
            if entropy is not None:
                metrics["entropy"] = float((entropy * mask).sum() / max(n_tok, 1.0))
            if micro.rollout_logprobs is not None:
                gap = (old - micro.rollout_logprobs).abs()
                metrics["logprob_gap/trainer_vs_rollout"] = float((gap * mask).sum() / max(n_tok, 1.0))
        return metrics, max(n_tok, 1.0)

    def _sync(self) -> None:
        if getattr(self.engine, "shares_policy", False):
            return
        with self.backend.gathered_weights():
            self.engine.load_weights((n, p.detach()) for n, p in self.policy.model.named_parameters())

    def _maybe_reset_reference(self) -> None:
        every = self.cfg.algorithm.ref_reset_every
        if self.ref_model is not None and every and self.step_count % every == 0:
            with self.backend.gathered_weights():
                self.ref_model.load_state_dict(self.policy.model.state_dict())

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """Trainer state beyond the weights (the optimizer is the backend's: torch here, DeepSpeed's own files)."""
        return {"step": self.step_count, "scheduler": self.scheduler.state_dict(),
                "mixture": self.mixture.state_dict(), "shuffle_gen": self.shuffle_gen.get_state(),
                "ref_model": self.ref_model.state_dict() if self.ref_model is not None else None}

    def load_state_dict(self, state: dict) -> None:
        self.step_count = state["step"]
        self.scheduler.load_state_dict(state["scheduler"])
        self.mixture.load_state_dict(state["mixture"])
        self.shuffle_gen.set_state(state["shuffle_gen"])
        if self.ref_model is not None and state.get("ref_model") is not None:
            self.ref_model.load_state_dict(state["ref_model"])
