"""The RL step: rollout → reward → logprobs (π_old, reference) → advantages → update → sync, each phase timed.

Read top to bottom: `step()` is the whole algorithm; the helpers below it are one phase each. The reward phase
hands the update one typed object (`ScoredGroups`, (P, G) tensors); the update works on a token batch
(`RolloutBatch`). The math (advantages, losses, aggregation, KL, shaping) lives in mmreason.algorithms as pure
functions chosen by name; how a loss becomes an update (one process, or DeepSpeed ZeRO across ranks) lives
behind the backend.

With several ranks, every rank draws the same global batch of P prompts and keeps its own contiguous slice, so
each prompt's G samples stay on one rank; rewards are gathered so advantages are computed over the global
(P, G) tensor exactly as in one process; the loss is normalised by global token/sequence totals.

Departures from the papers, on purpose: π_old logprobs are not recomputed when there is a single optimizer step
per rollout batch (they equal the current policy's, detached, exactly); a dynamic-sampling batch still short of
informative groups after `max_sampling_rounds` extra rounds is filled up with dropped groups (zero advantage),
so that every rank trains on the same number of rows.
"""

from __future__ import annotations

import functools
import time

import torch

from ..algorithms import ADVANTAGES, AGGREGATIONS, POLICY_LOSSES, minibatch_totals
from ..algorithms.advantages import normalize_per_label
from ..algorithms.kl import kl_in_reward, kl_penalty
from ..algorithms.losses import tis_weights
from ..algorithms.sampling import informative_groups
from ..distributed import comm
from ..model import NOT_IN_POLICY_DIR
from ..registry import declared_options
from ..rollout.base import SamplingParams
from ..types import Metrics
from .batch import RolloutBatch, rollout_batch
from .logprobs import batched_logprobs, forward_response, without_dropout
from .metrics import PhaseTimer
from .scored import LengthShaping, ScoredGroups, score_groups


class RLTrainer:
    """Owns the policy's update; talks to the rollout engine, the reward function and the prompt sampler."""

    def __init__(self, cfg, policy, engine, encoder, reward_fn, sampler, backend, scheduler, ref_model=None,
                 keep_vision_alive: bool = False, critic=None):
        """`sampler`: a PromptSampler (mmreason.data.samplers) — `next_batch(n, step)`, `observe(results)`;
        `critic`: PPO's critic (trainer.critic.Critic), None for the critic-free group methods."""
        self.cfg, self.policy, self.engine, self.encoder = cfg, policy, engine, encoder
        self.reward_fn, self.sampler = reward_fn, sampler
        self.backend, self.scheduler = backend, scheduler
        self.keep_vision_alive = keep_vision_alive
        self.step_count = 0
        self.shuffle_gen = torch.Generator().manual_seed(cfg.run.seed + 1)
        a, r, rw = cfg.algorithm, cfg.rollout, cfg.reward
        hyper = dict(eps=a.adv_eps, clip_low=a.clip_low, clip_high=a.clip_high, kimi_tau=a.kimi_tau,
                     norm_constant=float(a.norm_constant or r.max_new_tokens))
        # GAE (PPO) advantages come from the critic, per token; the others are registered group estimators
        self.advantage_fn = None if a.advantage == "gae" else self._bind(ADVANTAGES.get(a.advantage), hyper)
        self.loss_fn = self._bind(POLICY_LOSSES.get(a.loss), hyper)
        self.aggregate = self._bind(AGGREGATIONS.get(a.aggregation), hyper)
        self.shaping = LengthShaping(rw.overlong_max, rw.overlong_cache, rw.length_weight, rw.length_warmup_steps)
        self.sampling = SamplingParams(n=r.group_size, temperature=r.temperature, top_p=r.top_p, top_k=r.top_k,
                                       max_new_tokens=r.max_new_tokens, stop=tuple(r.stop))
        self.world, self.rank = comm.world_size(), comm.rank()
        if r.prompts_per_step % self.world:
            raise ValueError(f"rollout.prompts_per_step={r.prompts_per_step} must be divisible by the "
                             f"{self.world} ranks")
        self.local_prompts = r.prompts_per_step // self.world
        self.ref_model = ref_model  # a frozen plain copy of the initial policy; None when β = 0
        self.critic = critic
        self.last_scored: ScoredGroups | None = None  # this rank's groups of the last step (rollout recording)
        self._seen: list = []                          # PromptResults of this step's groups (all rounds)

    @staticmethod
    def _bind(fn, hyper: dict):
        """`fn` with the hyper-parameters it declares bound (each variant takes only what it uses)."""
        return functools.partial(fn, **declared_options(fn, hyper))

    @property
    def model(self):
        """What forwards run on: the DeepSpeed engine or the plain model."""
        return self.backend.module

    # ------------------------------------------------------------------ the step
    def step(self) -> Metrics:
        t_start = time.perf_counter()
        timer = PhaseTimer()
        scored, metrics = self.collect(timer)                             # rollout + reward (+ dynamic sampling)
        self.last_scored = scored
        self._observe()                                                   # the sampler learns from every group seen
        metrics.update(self.sampler.metrics())
        metrics.merge(self.train_on(scored, timer))                       # logprobs → advantages → update → sync
        metrics.merge(timer.metrics())
        metrics["time/step"] = time.perf_counter() - t_start
        metrics.add_sum("tokens_per_s", float(scored.lengths.sum()) / max(timer.totals.get("rollout", 0.0), 1e-9))
        return comm.reduce_metrics(metrics)

    def train_on(self, scored: ScoredGroups, timer: PhaseTimer | None = None) -> Metrics:
        """Everything after the rollout: logprobs → advantages → update → sync (this rank's groups)."""
        timer = timer or PhaseTimer()
        with timer("logprobs"):
            batch = rollout_batch(scored.prompts, scored.completions, self.policy.tokenizer.pad_token_id,
                                  self.cfg.algorithm.mask_truncated)
            self._fill_logprobs(batch)
        with timer("advantages"):
            metrics = self._advantages(batch, scored)
        with timer("update"):
            self.engine.sleep()  # an engine with a sleep mode (vLLM on GPUs) frees its memory during the update
            metrics.merge(self._update(batch))
        with timer("sync"):
            self.engine.wake()   # its weights come back before the sync (no-ops for the others)
            self.sync_weights()
        self.step_count += 1
        self._maybe_reset_reference()
        metrics["lr"] = self.scheduler.get_last_lr()[0]
        return metrics

    # ------------------------------------------------------------------ phases
    def _next_prompts(self) -> list:
        """This rank's slice of the next global batch (every rank advances the sampler identically)."""
        samples = self.sampler.next_batch(self.cfg.rollout.prompts_per_step, self.step_count)
        return samples[self.rank * self.local_prompts:(self.rank + 1) * self.local_prompts]

    def _observe(self) -> None:
        """Every rank's results of the groups seen this step, in rank order, to every rank's sampler."""
        seen, self._seen = self._seen, []
        self.sampler.observe([r for part in comm.all_gather_object(seen) for r in part])

    def rollout(self, timer: PhaseTimer) -> ScoredGroups:
        """One round: draw prompts, generate G completions each, score them."""
        samples = self._next_prompts()
        with timer("rollout"):
            prompts = [self.encoder.encode(s) for s in samples]
            completions = self.engine.generate(prompts, self.sampling)
        with timer("reward"):
            scored = score_groups(self.reward_fn, samples, prompts, completions, self.shaping, self.step_count)
        self._seen.extend(scored.results())
        return scored

    def collect(self, timer: PhaseTimer) -> tuple[ScoredGroups, Metrics]:
        """The groups to train on; with dynamic sampling only groups whose rewards differ, generating more (up to
        max_sampling_rounds extra rounds) until enough are kept."""
        a, want = self.cfg.algorithm, self.local_prompts
        if not a.dynamic_sampling:
            scored = self.rollout(timer)
            return scored, scored.metrics()
        kept, dropped, seen, rounds = [], [], [], 0
        while True:
            new = self.rollout(timer)
            seen.append(new)
            mask = informative_groups(new.accuracy if a.informative_by == "accuracy" else new.rewards).tolist()
            kept.append(new.select([i for i, m in enumerate(mask) if m]))
            dropped.append(new.select([i for i, m in enumerate(mask) if not m]))
            n_kept = sum(len(k) for k in kept)
            # every rank must agree on stopping (each round is a global draw from the mixture)
            if all(comm.all_gather_object(n_kept >= want or rounds >= a.max_sampling_rounds)):
                break
            rounds += 1
        everything = ScoredGroups.cat(seen)
        metrics = everything.metrics()
        metrics["dynamic/rounds"] = float(rounds)
        metrics.add_sum("dynamic/groups_kept", float(min(n_kept, want)))
        metrics.add_sum("dynamic/groups_seen", float(len(everything)))
        pool = ScoredGroups.cat(kept + dropped)
        return pool.select(list(range(want))), metrics

    def _logprob_kwargs(self) -> dict:
        return dict(temperature=self.cfg.rollout.temperature, image_token_id=self.encoder.image_token_id,
                    merge_size=self.encoder.merge_size, keep_vision_alive=self.keep_vision_alive,
                    packing=self.cfg.train.packing, share_prompts=self.cfg.train.share_prompts)

    def _updates_per_batch(self) -> int:
        return self.cfg.train.epochs_per_batch * self.cfg.train.minibatches

    def _fill_logprobs(self, batch: RolloutBatch) -> None:
        mb = self.cfg.train.micro_batch_size
        if self._updates_per_batch() > 1 or self.cfg.algorithm.tis_cap is not None:
            batch.old_logprobs = batched_logprobs(self.model, batch, mb, **self._logprob_kwargs())
        if self.ref_model is not None:
            kw = dict(self._logprob_kwargs(), keep_vision_alive=False)  # a plain module: no collectives
            batch.ref_logprobs = batched_logprobs(self.ref_model, batch, mb, **kw)
        if self.critic is not None:
            batch.values = self.critic.batched_values(batch, mb)

    def _advantages(self, batch: RolloutBatch, scored: ScoredGroups) -> Metrics:
        a = self.cfg.algorithm
        rewards = scored.rewards.clone()                                  # (P, G)
        metrics = Metrics()
        kl = None
        if batch.ref_logprobs is not None and a.kl_in_reward:  # −β·KL_t: per token (PPO) or summed per sequence
            cur = batch.old_logprobs
            if cur is None:
                cur = batched_logprobs(self.model, batch, self.cfg.train.micro_batch_size, **self._logprob_kwargs())
            kl = kl_penalty(cur, batch.ref_logprobs, a.kl_estimator, mask=batch.response_mask)
            metrics["kl_reward_penalty"] = float(a.kl_beta * kl.sum() / max(len(batch), 1))
        if self.critic is not None:  # PPO: GAE over per-token rewards with the critic's values
            metrics.update(self.critic.advantages(batch, rewards, kl))
            return metrics
        if kl is not None:
            folded = kl_in_reward(rewards, kl, a.kl_beta, batch.response_mask)
            rewards = folded
        global_rewards = comm.gather_rewards(rewards)                   # (P_global, G), rank order
        adv, adv_metrics = self.advantage_fn(global_rewards)
        if a.normalize_by_source:
            sources = [x for part in comm.all_gather_object([s.source for s in scored.samples]) for x in part]
            adv, norm_metrics = normalize_per_label(adv, sources, a.adv_eps)
            metrics.update(norm_metrics)
        P = len(scored)
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

    def _update(self, batch: RolloutBatch) -> Metrics:
        t = self.cfg.train
        sums: dict[str, float] = {}
        weight = loss_sum = value_sum = 0.0
        grad_norms = []
        self.model.train()
        with without_dropout(self.model):  # the same function π_old was computed with
            for epoch in range(t.epochs_per_batch):
                perm = torch.randperm(len(batch), generator=self.shuffle_gen)
                for mb_rows in torch.tensor_split(perm, t.minibatches):
                    if len(mb_rows) == 0:
                        continue
                    if t.share_prompts:  # a group's rows side by side, so micro-batches share their prompts
                        mb_rows = mb_rows.sort().values
                    mb = batch.select(mb_rows)
                    all_totals = self._global_totals(mb.response_mask)
                    totals = declared_options(self.aggregate.func, all_totals)
                    for s in range(0, len(mb), t.micro_batch_size):
                        micro = mb.select(list(range(s, min(len(mb), s + t.micro_batch_size))))
                        m, w = self._micro_step(micro, totals, first_pass=(epoch == 0),
                                                num_tokens=all_totals["num_tokens"])
                        loss_sum += m.pop("loss")  # this rank's share of the minibatch loss
                        value_sum += m.pop("critic/value_loss", 0.0)  # the same for the critic's value loss
                        for k, v in m.items():
                            sums[k] = sums.get(k, 0.0) + v * w
                        weight += w
                    grad_norms.append(self.backend.step())
                    if self.critic is not None and not self.critic.shared:
                        self.critic.backend.step()
        self.scheduler.step()
        out = Metrics({k: v / max(weight, 1e-9) for k, v in sums.items()})
        out.add_sum("loss", loss_sum / max(len(grad_norms), 1))  # mean over optimizer steps, summed over ranks
        if self.critic is not None:
            out.add_sum("critic/value_loss", value_sum / max(len(grad_norms), 1))
        out["grad_norm"] = sum(grad_norms) / max(len(grad_norms), 1)
        out["optimizer_steps"] = float(len(grad_norms))
        return out

    def _micro_step(self, micro: RolloutBatch, totals: dict, first_pass: bool, num_tokens: float
                    ) -> tuple[dict, float]:
        """Forward, per-token loss (+ KL), aggregation with global minibatch totals, (+ value loss), backward."""
        a = self.cfg.algorithm
        mask = micro.response_mask
        shared_critic = self.critic is not None and self.critic.shared
        logprobs, entropy, hidden = forward_response(self.model, micro, with_entropy=first_pass,
                                                     with_hidden=shared_critic, **self._logprob_kwargs())
        old = micro.old_logprobs if micro.old_logprobs is not None else logprobs.detach()
        is_w = None
        if a.tis_cap is not None and micro.rollout_logprobs is not None:
            is_w = tis_weights(old, micro.rollout_logprobs, a.tis_cap)
        per_token, m = self.loss_fn(logprobs, old, micro.advantages, mask, is_weights=is_w)
        metrics = {k: float(v) for k, v in m.items()}
        n_tok = float(mask.sum())
        if is_w is not None:
            metrics["tis/weight_mean"] = float((is_w * mask).sum() / max(n_tok, 1.0))
        if micro.ref_logprobs is not None:
            kl = kl_penalty(logprobs, micro.ref_logprobs, a.kl_estimator, mask=mask)
            metrics["kl"] = float(kl.detach().sum() / max(n_tok, 1.0))
            if not a.kl_in_reward:
                per_token = per_token + a.kl_beta * kl
        loss = self.aggregate(per_token, mask, **totals)
        metrics["loss"] = float(loss.detach())
        if self.critic is not None:
            loss, critic_metrics = self._with_critic(loss, micro, hidden, num_tokens)
            metrics.update(critic_metrics)
        # each rank's share of the global loss; the backend averages gradients over ranks, hence × ranks
        self.backend.backward(loss * self.backend.data_parallel_size)
        if first_pass:
            if entropy is not None:
                metrics["entropy"] = float((entropy * mask).sum() / max(n_tok, 1.0))
            if micro.rollout_logprobs is not None:
                gap = (old - micro.rollout_logprobs).abs()
                metrics["logprob_gap/trainer_vs_rollout"] = float((gap * mask).sum() / max(n_tok, 1.0))
        return metrics, max(n_tok, 1.0)

    def _with_critic(self, loss: torch.Tensor, micro: RolloutBatch, hidden, num_tokens: float):
        """PPO: the policy loss plus vf_coef × the value loss on a shared trunk; a separate critic's own backward.
        During the critic's warm-up the policy loss is off and a shared trunk's hidden state is detached."""
        c = self.critic
        warm = self.step_count < c.cfg.warmup_steps
        if warm:
            loss = loss * 0.0
        if not c.shared:
            return loss, c.separate_micro_step(micro, num_tokens)
        values = c.values_of(hidden.detach() if warm else hidden, self.model)
        value_loss, vm = c.value_loss(micro, values, num_tokens)
        metrics = {"critic/value_loss": float(value_loss.detach()), "critic/warmup": float(warm),
                   **{f"critic/{k}": v for k, v in vm.items()}}
        return loss + c.cfg.vf_coef * value_loss, metrics

    def sync_weights(self) -> None:
        """Push the updated weights to an engine that holds its own copy (nothing to do for one that shares)."""
        if not self.engine.needs_weight_sync:
            return
        with self.backend.gathered_weights():  # the policy's own weights (never a value head)
            self.engine.load_weights((n, p.detach()) for n, p in self.policy.model.named_parameters()
                                     if not n.startswith(NOT_IN_POLICY_DIR))

    def _maybe_reset_reference(self) -> None:
        every = self.cfg.algorithm.ref_reset_every
        if self.ref_model is not None and every and self.step_count % every == 0:
            with self.backend.gathered_weights():
                self.ref_model.load_state_dict({k: v for k, v in self.policy.model.state_dict().items()
                                                if not k.startswith(NOT_IN_POLICY_DIR)})

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """Trainer state beyond the weights (the optimizer is the backend's: torch here, DeepSpeed's own files)."""
        return {"step": self.step_count, "scheduler": self.scheduler.state_dict(),
                "mixture": self.sampler.state_dict(), "shuffle_gen": self.shuffle_gen.get_state(),
                "ref_model": self.ref_model.state_dict() if self.ref_model is not None else None}

    def load_state_dict(self, state: dict) -> None:
        self.step_count = state["step"]
        self.scheduler.load_state_dict(state["scheduler"])
        self.sampler.load_state_dict(state["mixture"])
        self.shuffle_gen.set_state(state["shuffle_gen"])
        if self.ref_model is not None and state.get("ref_model") is not None:
            self.ref_model.load_state_dict(state["ref_model"])
