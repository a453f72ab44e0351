"""Helpers shared by the tests (fixtures live in conftest.py; plain functions live here)."""


def rl_overrides(run_dir, model_dir, data, *extra):
    """key=value overrides for a tiny, fast RL run on the count puzzles."""
    return [f"run.out_dir={run_dir}", f"model.path={model_dir}",
            f"data.train=[{{name: count, adapter: puzzles, path: '{data['train']}'}}]",
            f"data.eval=[{{name: held, adapter: puzzles, path: '{data['heldout']}'}}]",
            "rollout.group_size=4", "rollout.prompts_per_step=4", "rollout.max_new_tokens=48",
            "train.micro_batch_size=8", "eval.n=8", "reward.workers=1", *extra]


def prompt_encoder(processor, max_prompt_length: int = 512, template: str = "r1", system_prompt: str | None = None,
                   **format_kw):
    """A PromptEncoder asking for the answer format's instruction (as the wiring builds it)."""
    from mmreason.prompts import PromptEncoder
    from mmreason.rewards import AnswerFormat

    fmt = AnswerFormat(template, **format_kw)
    return PromptEncoder(processor, instruction=fmt.instruction, system_prompt=system_prompt,
                         max_prompt_length=max_prompt_length)


class ScriptedEngine:
    """A rollout engine with known output, registered as "scripted": completion k of every prompt reasons with k
    words and answers k (`<think>a a</think><answer>2</answer>`), so lengths differ within a group. Token ids come
    from the tokenizer; `logprob` (when set) is reported for every sampled token, as an engine would.
    `separate_weights=True` makes it want weight pushes, which it records."""

    def __init__(self, policy, *, separate_weights: bool = False, logprob: float | None = None):
        self.policy, self.needs_weight_sync, self.logprob = policy, separate_weights, logprob
        self.calls, self.pushed = [], []

    def generate(self, prompts, sampling):
        from mmreason.types import Completion

        self.calls.append((len(prompts), sampling))
        tok = self.policy.tokenizer
        out = []
        for _ in prompts:
            group = []
            for k in range(sampling.n):
                text = f"<think>{' '.join(['a'] * k)}</think><answer>{k}</answer>"
                ids = tok(text, add_special_tokens=False)["input_ids"] + [tok.convert_tokens_to_ids("<|im_end|>")]
                lps = None if self.logprob is None else [self.logprob] * len(ids)
                group.append(Completion(token_ids=ids, text=text, logprobs=lps, finish_reason="stop"))
            out.append(group)
        return out

    def load_weights(self, named_tensors):
        self.pushed.append({n: t.clone() for n, t in named_tensors})
        return 0.0

    def sleep(self):
        pass

    def wake(self):
        pass

    def close(self):
        pass


def rule_reward(requests):
    """accuracy 1 when the completion's answer block is the gold; reward = accuracy; format 1."""
    from mmreason.rewards import RewardBreakdown

    out = []
    for r in requests:
        right = f"<answer>{r.gold}</answer>" in r.completion
        out.append(RewardBreakdown(float(right), float(right), 1.0, None, r.gold if right else None))
    return out


def _register_scripted():
    from mmreason.rollout import ENGINES

    if "scripted" not in ENGINES:
        ENGINES.register("scripted", ScriptedEngine)


_register_scripted()


def scripted_rl_step(tmp_path, tiny_policy, overrides: list[str], words_per_prompt: int):
    """One RL step of a copy of `tiny_policy` with the scripted engine on 8 text prompts of growing length ("please"
    × words_per_prompt·i, then "Say a."), G=4, P=4, micro-batches of 8, β = 0.05 and a TIS cap (so π_old and the
    reference are computed), plus `overrides`; returns the step's metrics."""
    import copy

    from mmreason.config import load_config
    from mmreason.model import Policy
    from mmreason.prompts import PromptEncoder
    from mmreason.rewards import AnswerFormat
    from mmreason.stages import Parts, RunContext, make_rl_trainer
    from mmreason.trainer.metrics import MetricsLogger
    from mmreason.types import Sample, user

    cfg = load_config(None, [f"run.out_dir={tmp_path}", "rollout.group_size=4", "rollout.prompts_per_step=4",
                             "rollout.max_new_tokens=48", "train.micro_batch_size=8", "train.steps=1",
                             "algorithm.kl_beta=0.05", "algorithm.tis_cap=2.0", *overrides])
    policy = Policy(copy.deepcopy(tiny_policy.model), tiny_policy.processor)
    data = [Sample(id=f"q{i}", messages=[user(" ".join(["please"] * (words_per_prompt * i)) + f" Say {a}.")],
                   answer=a, source="text") for i, a in enumerate(("0", "1", "2", "3") * 2)]
    parts = Parts(policy=policy, answer_format=AnswerFormat(), encoder=PromptEncoder(policy.processor),
                  reward_fn=rule_reward, engine=ScriptedEngine(policy, logprob=-1.0),
                  train_sources=[("text", 1.0, data)])
    trainer = make_rl_trainer(RunContext(cfg, tmp_path, MetricsLogger(None, console=False)), parts)
    return trainer.step()


def clipped_loss_and_grads(model, logprobs, response_mask):
    """The RL loss on `logprobs` (clipped ratio against a fixed random π_old, random advantages, token mean),
    backpropagated: the loss and every parameter's gradient, to compare two forward paths of one batch."""
    import torch

    from mmreason.algorithms import AGGREGATIONS, POLICY_LOSSES
    gen = torch.Generator().manual_seed(0)
    old = torch.where(response_mask.bool(), -7.0 + 0.1 * torch.randn(logprobs.shape, generator=gen), 0.0)
    adv = torch.randn(logprobs.shape[0], generator=gen)
    per_token, _ = POLICY_LOSSES.get("ppo_clip")(logprobs, old, adv, response_mask, clip_low=0.2, clip_high=0.2)
    loss = AGGREGATIONS.get("token_mean")(per_token, response_mask)
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def state_hashes(dataset_dir) -> set[str]:
    """The `state_hash` of every row of a built dataset."""
    import json
    from pathlib import Path
    return {json.loads(line)["state_hash"] for line in (Path(dataset_dir) / "data.jsonl").read_text().splitlines()}
