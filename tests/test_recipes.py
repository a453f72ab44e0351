"""Every recipe in the trainer, asserting its signature (not only that it runs), with a scripted engine whose
completions and rewards are known, the real tiny model and the real update. Recipes are the shipped overlays in
configs/recipes/."""

import copy
from pathlib import Path

import pytest
import torch

from helpers import ScriptedEngine, prompt_encoder, rule_reward
from mmreason.algorithms.shaping import kimi_length_reward
from mmreason.config import load_config
from mmreason.config import LoraConfig, ModelConfig
from mmreason.model import Policy, prepare_model
from mmreason.rewards import AnswerFormat, RewardBreakdown
from mmreason.stages import Parts, RunContext, make_rl_trainer
from mmreason.trainer.metrics import MetricsLogger, PhaseTimer
from mmreason.types import Sample, user
from mmreason.wiring import check_names

RECIPES = Path(__file__).resolve().parents[1] / "configs" / "recipes"


def samples(answers=("0", "1", "2", "3")):
    return [Sample(id=f"q{i}", messages=[user(f"Say {a}.")], answer=a, source="text")
            for i, a in enumerate(answers * 4)]


def trainer_for(tmp_path, tiny_policy, *overrides, recipe=None, logprob=None, data=None, reward=rule_reward,
                model_cfg=None):
    files = [str(RECIPES / f"{recipe}.yaml")] if recipe else None
    cfg = load_config(files, [f"run.out_dir={tmp_path}", "rollout.group_size=4", "rollout.prompts_per_step=4",
                              "rollout.max_new_tokens=48", "train.micro_batch_size=8", "train.steps=10",
                              "optim.lr=1e-3", *overrides])
    check_names(cfg)
    policy = Policy(copy.deepcopy(tiny_policy.model), tiny_policy.processor)
    if model_cfg is not None:
        policy = prepare_model(policy, model_cfg)
    parts = Parts(policy=policy, answer_format=AnswerFormat(), encoder=prompt_encoder(policy.processor),
                  reward_fn=reward, engine=ScriptedEngine(policy, logprob=logprob),
                  train_sources=[("text", 1.0, data or samples())])
    return make_rl_trainer(RunContext(cfg, Path(tmp_path), MetricsLogger(None, console=False)), parts)


def lengths_of(trainer):
    tok = trainer.policy.tokenizer
    return [len(tok(f"<think>{' '.join(['a'] * k)}</think><answer>{k}</answer>", add_special_tokens=False)
                ["input_ids"]) + 1 for k in range(4)]


def test_recipes_load_and_pass_their_own_pairing_checks():
    names = sorted(p.stem for p in RECIPES.glob("*.yaml"))
    assert names == ["dapo", "dr_grpo", "grpo", "gspo", "kimi", "ppo", "reinforce_pp", "rloo"]
    for name in names:
        cfg = load_config([str(Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"),
                           str(RECIPES / f"{name}.yaml")])
        check_names(cfg)
    rpp = load_config([str(RECIPES / "reinforce_pp.yaml")])
    assert rpp.algorithm.kl_beta > 0 and rpp.algorithm.kl_estimator == "k2"     # REINFORCE++ really applies a KL


def test_dynamic_sampling_keeps_exactly_the_informative_groups(tmp_path, tiny_policy):
    # answers 0–3 are right for exactly one completion of the group; "9" is never right (all wrong: no signal)
    t = trainer_for(tmp_path, tiny_policy, "reward.overlong_max=null", recipe="dapo",
                    data=samples(("1", "9", "9", "2")))
    scored, m = t.collect(PhaseTimer())
    assert len(scored) == 4 and all(s.answer != "9" for s in scored.samples)
    assert m["dynamic/groups_kept"] == 4 and m["dynamic/groups_seen"] == 4 * (m["dynamic/rounds"] + 1)


def test_dynamic_sampling_judges_informative_on_accuracy_by_default(tmp_path, tiny_policy):
    def format_varies(requests):  # every answer wrong, but the reward differs within the group
        return [RewardBreakdown(0.1 * len(r.completion), 0.0, 1.0) for r in requests]
    t = trainer_for(tmp_path, tiny_policy, "algorithm.max_sampling_rounds=1", "reward.overlong_max=null",
                    recipe="dapo", reward=format_varies)
    _, m = t.collect(PhaseTimer())
    assert m["dynamic/groups_kept"] == 0 and m["zero_std_groups_frac"] == 1.0
    t = trainer_for(tmp_path, tiny_policy, "algorithm.informative_by=reward", "reward.overlong_max=null",
                    recipe="dapo", reward=format_varies)
    _, m = t.collect(PhaseTimer())
    assert m["dynamic/groups_kept"] == 4


@pytest.mark.parametrize("recipe, token_weighted", [("dapo", True), ("grpo", False)])
def test_token_mean_normalises_over_all_tokens_of_the_minibatch(tmp_path, tiny_policy, recipe, token_weighted):
    t = trainer_for(tmp_path, tiny_policy, "algorithm.dynamic_sampling=false", "reward.overlong_max=null",
                    "algorithm.kl_beta=0.0", recipe=recipe)
    scored, _ = t.collect(PhaseTimer())
    m = t.train_on(scored)
    n = lengths_of(t)
    # ratio 1 at the first pass: the per-token loss is −A; each group has one right answer at k = gold:
    # GRPO advantages +1.5 (right) and −0.5 (wrong), the same in every row of the group
    per_group = []
    for s in scored.samples:
        adv = [1.5 if str(k) == s.answer else -0.5 for k in range(4)]
        per_group.append((sum(-a * nk for a, nk in zip(adv, n)), sum(n), sum(-a for a in adv)))
    token_mean = sum(g[0] for g in per_group) / sum(g[1] for g in per_group)
    seq_mean = sum(g[2] for g in per_group) / (4 * len(per_group))                # = 0: advantages sum to zero
    want = token_mean if token_weighted else seq_mean
    assert m["loss"] == pytest.approx(want, abs=2e-5)
    if token_weighted:
        assert abs(token_mean) > 1e-3                                              # the two really differ here


def test_gspo_ratio_is_one_per_sequence(tmp_path, tiny_policy):
    t = trainer_for(tmp_path, tiny_policy, recipe="gspo")
    old = torch.zeros(2, 3)
    new = torch.tensor([[1e-4, -2e-4, 4e-4], [3e-4, 0.0, 0.0]], requires_grad=True)
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    loss, m = t.loss_fn(new, old, torch.tensor([1.0, 1.0]), mask)
    ratio = -loss.detach()                                                          # A = 1: loss = −s_i (unclipped)
    assert torch.allclose(ratio[0], torch.full((3,), torch.exp(torch.tensor(1e-4)).item()))  # exp(mean δ) per row
    assert torch.allclose(ratio[1, :2], torch.full((2,), torch.exp(torch.tensor(1.5e-4)).item()))
    assert m["ratio_mean"] != pytest.approx(1.0, abs=1e-6)


def test_kimi_length_reward_is_zero_before_its_warmup_and_active_after(tmp_path, tiny_policy):
    t = trainer_for(tmp_path, tiny_policy, "reward.length_warmup_steps=1", recipe="kimi")
    before, _ = t.collect(PhaseTimer())
    assert torch.equal(before.shaping, torch.zeros(4, 4))
    t.step_count = 1
    after, _ = t.collect(PhaseTimer())
    n = torch.tensor([lengths_of(t)] * 4, dtype=torch.float32)
    correct = torch.stack([torch.tensor([str(k) == s.answer for k in range(4)]) for s in after.samples])
    assert torch.allclose(after.shaping, 0.1 * kimi_length_reward(n, correct))
    assert after.shaping.abs().sum() > 0
    # by hand, for the group whose gold is 0 (the shortest is right): λ = 0.5 − (len − min)/(max − min)
    g = [i for i, s in enumerate(after.samples) if s.answer == "0"][0]
    span = float(n[0, 3] - n[0, 0])
    lam = [0.5 - float(n[0, k] - n[0, 0]) / span for k in range(4)]
    assert after.shaping[g].tolist() == pytest.approx([0.1 * lam[0]] + [0.1 * min(0.0, x) for x in lam[1:]])


def test_kl_in_the_loss_grows_after_updates_and_the_reference_reset_zeroes_it(tmp_path, tiny_policy):
    t = trainer_for(tmp_path, tiny_policy, "algorithm.ref_reset_every=2", "optim.lr=5e-3", recipe="grpo")
    kls = [t.step()["kl"] for _ in range(3)]
    assert kls[0] == 0.0            # the policy is the reference before any update
    assert kls[1] > 1e-4            # one update later they differ
    assert kls[2] == 0.0            # reset to the policy after step 2


def test_kl_in_the_reward_shows_in_the_reward_penalty(tmp_path, tiny_policy):
    t = trainer_for(tmp_path, tiny_policy, "optim.lr=5e-3", recipe="rloo")
    first, second = t.step(), t.step()
    assert first["kl_reward_penalty"] == 0.0 and abs(second["kl_reward_penalty"]) > 1e-5


def test_truncated_importance_weights_differ_from_one_when_engine_and_trainer_differ(tmp_path, tiny_policy):
    t = trainer_for(tmp_path, tiny_policy, "algorithm.tis_cap=2.0", recipe="grpo", logprob=-30.0)
    m = t.step()
    assert m["tis/weight_mean"] == pytest.approx(2.0)               # π_old ≫ the engine's claim: capped at 2
    t = trainer_for(tmp_path, tiny_policy, "algorithm.tis_cap=2.0", recipe="grpo", logprob=-0.001)
    assert 0.0 < t.step()["tis/weight_mean"] < 1.0                  # the engine claims more than π_old gives


def test_overlong_shaping_penalises_only_the_soft_window(tmp_path, tiny_policy):
    probe = trainer_for(tmp_path, tiny_policy, recipe="grpo")
    n = lengths_of(probe)                                           # completion lengths, increasing with k
    cache = n[3] - n[1]
    t = trainer_for(tmp_path, tiny_policy, f"reward.overlong_max={n[3]}", f"reward.overlong_cache={cache}",
                    "algorithm.dynamic_sampling=false", recipe="dapo")
    scored, _ = t.collect(PhaseTimer())
    start = n[3] - cache                                            # = n[1]: no penalty up to here
    want = [0.0 if L <= start else (start - L) / cache for L in n]
    assert want[0] == want[1] == 0.0 and want[2] < 0 and want[3] == -1.0
    assert scored.shaping.tolist() == [pytest.approx(want)] * 4


def test_two_minibatches_move_the_ratio_off_one_and_clip(tmp_path, tiny_policy):
    t = trainer_for(tmp_path, tiny_policy, "train.minibatches=2", "optim.lr=2e-2", "algorithm.clip_low=0.01",
                    "algorithm.clip_high=0.01", "algorithm.kl_beta=0.0", recipe="grpo")
    m = t.step()
    assert m["optimizer_steps"] == 2.0 and m["clip_frac"] > 0 and abs(m["ratio_mean"] - 1.0) > 1e-4


def test_reinforce_pp_normalises_over_the_whole_batch(tmp_path, tiny_policy):
    t = trainer_for(tmp_path, tiny_policy, recipe="reinforce_pp")
    m = t.step()
    # every group informative; the batch's 16 centred values divided by their unbiased std: population std √(15/16)
    assert m["adv/std"] == pytest.approx((15 / 16) ** 0.5, rel=1e-4)


@pytest.mark.parametrize("separate", [False, True])
def test_ppo_value_loss_falls_on_a_fixed_batch(tmp_path, tiny_policy, separate):
    # the policy held still (warm-up) and λ = 1, so the returns are fixed Monte-Carlo returns: a regression
    t = trainer_for(tmp_path, tiny_policy, "critic.warmup_steps=100", f"critic.separate={str(separate).lower()}",
                    "critic.lam=1.0", "optim.lr=1e-3", recipe="ppo")
    assert (t.critic.backend is not None) == separate
    scored, _ = t.collect(PhaseTimer())
    losses = []
    for _ in range(10):
        m = t.train_on(scored)                          # the same rollouts again: the critic fits their returns
        losses.append(m["critic/value_loss"])
        assert -1.0 <= m["critic/explained_variance"] <= 1.0
    assert max(losses[-3:]) < 0.85 * losses[0], losses   # (a floor remains: early tokens cannot tell right from wrong)
    assert m["critic/returns_mean"] > 0 and "kl_reward_penalty" in m


def test_ppo_warmup_trains_only_the_critic(tmp_path, tiny_policy):
    t = trainer_for(tmp_path, tiny_policy, "critic.warmup_steps=1", "optim.lr=3e-3", recipe="ppo")
    head = t.policy.model.value_head
    trunk = {n: p.detach().clone() for n, p in t.policy.model.named_parameters() if not n.startswith("value_head")}
    m = t.step()
    assert m["critic/warmup"] == 1.0 and head.weight.abs().sum() > 0            # the head learned …
    assert all(torch.equal(trunk[n], p) for n, p in t.policy.model.named_parameters() if n in trunk)  # … nothing else
    m = t.step()
    assert m["critic/warmup"] == 0.0
    assert any(not torch.equal(trunk[n], p) for n, p in t.policy.model.named_parameters() if n in trunk)


def test_ppo_checkpoint_keeps_the_head_and_exports_the_policy_without_it(tmp_path, tiny_policy):
    from safetensors.torch import load_file

    from mmreason.trainer.checkpoint import load_checkpoint, save_checkpoint

    t = trainer_for(tmp_path / "a", tiny_policy, "critic.warmup_steps=0", recipe="ppo")
    t.step()
    ckpt = save_checkpoint(tmp_path / "run", "rl", 1, t.policy.model, t.policy.processor, t.state_dict(), t.backend)
    weights = load_file(ckpt / "model" / "model.safetensors")
    assert not any(k.startswith("value_head") for k in weights) and len(weights) > 20   # a plain policy directory
    fresh = trainer_for(tmp_path / "b", tiny_policy, "critic.warmup_steps=0", recipe="ppo")
    fresh.load_state_dict(load_checkpoint(ckpt, fresh.backend))
    assert torch.equal(fresh.policy.model.value_head.weight, t.policy.model.value_head.weight)
    assert all(torch.equal(p, dict(t.policy.model.named_parameters())[n])
               for n, p in fresh.policy.model.named_parameters())
    assert torch.equal(torch.tensor(t.step()["loss"]), torch.tensor(fresh.step()["loss"]))   # resumes exactly


def test_with_lora_dropout_the_ratio_is_one_before_any_update(tmp_path, tiny_policy):
    """π_old and the loss forward run the same function (train mode, dropout off): with LoRA dropout 0.5 and an
    update too small to move anything, both minibatches see ratio 1 exactly."""
    lora = ModelConfig(lora=LoraConfig(enabled=True, r=4, dropout=0.5))
    t = trainer_for(tmp_path, tiny_policy, "train.minibatches=2", "optim.lr=1e-12", "algorithm.kl_beta=0.0",
                    recipe="grpo", model_cfg=lora)
    assert any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in t.policy.model.modules())
    with torch.no_grad():  # as after some training: LoRA's B starts at 0, which would hide the dropout
        for n, p in t.policy.model.named_parameters():
            if "lora_B" in n:
                p.normal_(0.0, 0.5)
    m = t.step()
    assert m["ratio_mean"] == pytest.approx(1.0, abs=1e-6) and m["clip_frac"] == 0.0
