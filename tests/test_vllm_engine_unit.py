"""The parts of the vLLM engine that need no vLLM (default tier): the weights it pushes (LoRA merged, Hugging Face
names), the banned tokens it hands vLLM, the pixel limits, and the trainer's sleep/wake calls around the update."""

import copy

import pytest
import torch

from helpers import ScriptedEngine, prompt_encoder, rule_reward
from mmreason.backends import TorchBackend
from mmreason.config import load_config
from mmreason.data import Mixture
from mmreason.data.samplers import MixtureSampler
from mmreason.model import Policy
from mmreason.rollout import ENGINES
from mmreason.rollout.vllm_engine import banned_words, hf_named_weights, model_dir, pixel_limits
from mmreason.trainer.optim import make_optimizer, make_scheduler
from mmreason.trainer.rl import RLTrainer
from mmreason.types import Sample, user


def lora_model(model, **kw):
    from peft import LoraConfig, get_peft_model

    peft_model = get_peft_model(copy.deepcopy(model), LoraConfig(target_modules=["q_proj", "v_proj", "down_proj"],
                                                                 **kw))
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.1, generator=torch.Generator().manual_seed(len(n)))
    return peft_model


@pytest.mark.parametrize("kw", [dict(r=4, lora_alpha=8), dict(r=8, lora_alpha=4, use_rslora=True)])
def test_a_lora_models_weights_go_out_merged_under_the_base_names(tiny_policy, kw):
    peft_model = lora_model(tiny_policy.model, **kw)
    pushed = dict(hf_named_weights(peft_model, peft_model.named_parameters()))
    merged = copy.deepcopy(peft_model).merge_and_unload()      # peft's own merge is the reference
    want = dict(merged.named_parameters())
    assert set(pushed) == set(want) == {n for n, _ in tiny_policy.model.named_parameters()}
    assert not any("lora" in n or "base_layer" in n for n in pushed)
    worst = max((pushed[n] - want[n]).abs().max().item() for n in want)
    assert worst < 1e-6, worst
    changed = [n for n in want if not torch.equal(want[n], dict(tiny_policy.model.named_parameters())[n])]
    assert changed and all(any(m in n for m in ("q_proj", "v_proj", "down_proj")) for n in changed)


def test_a_plain_models_weights_go_out_as_they_are(tiny_policy):
    pushed = hf_named_weights(tiny_policy.model, tiny_policy.model.named_parameters())
    assert [n for n, _ in pushed] == [n for n, _ in tiny_policy.model.named_parameters()]
    assert all(t.data_ptr() == p.data_ptr() for (_, t), (_, p) in zip(pushed, tiny_policy.model.named_parameters()))


def test_banned_tokens_pixel_limits_and_the_model_directory(tiny_policy, tiny_model_dir):
    tok = tiny_policy.tokenizer
    words = banned_words(tok, tiny_policy.banned_token_ids())
    assert "<|image_pad|>" in words and "<|video_pad|>" in words
    assert [tok.encode(w, add_special_tokens=False) for w in words] == [[i] for i in tiny_policy.banned_token_ids()]
    spaced = next(i for i, t in enumerate(tok.convert_ids_to_tokens(list(range(len(tok))))) if t.startswith("Ġ"))
    with pytest.raises(ValueError, match="does not encode back"):  # a byte-level piece ("Ġthe") is not its own text
        banned_words(tok, [spaced])
    ip = tiny_policy.processor.image_processor
    assert pixel_limits(tiny_policy.processor) == {"min_pixels": ip.size["shortest_edge"],
                                                   "max_pixels": ip.size["longest_edge"]}
    assert model_dir(tiny_policy.model) == tiny_model_dir
    assert model_dir(lora_model(tiny_policy.model, r=2)) == tiny_model_dir  # a PEFT model: its base model's


class RecordingEngine(ScriptedEngine):
    """A scripted engine that records the order of the trainer's calls."""

    def __init__(self, policy, **kw):
        super().__init__(policy, **kw)
        self.order = []

    def generate(self, prompts, sampling):
        self.order.append("generate")
        return super().generate(prompts, sampling)

    def load_weights(self, named_tensors):
        self.order.append("load_weights")
        return super().load_weights(named_tensors)

    def sleep(self):
        self.order.append("sleep")

    def wake(self):
        self.order.append("wake")


def test_the_trainer_puts_the_engine_to_sleep_for_the_update_and_wakes_it_for_the_sync(tiny_policy, tmp_path):
    cfg = load_config(None, [f"run.out_dir={tmp_path}", "rollout.group_size=4", "rollout.prompts_per_step=2",
                             "train.micro_batch_size=4", "optim.lr=1e-3"])
    policy = Policy(copy.deepcopy(tiny_policy.model), tiny_policy.processor)
    engine = RecordingEngine(policy, separate_weights=True)
    samples = [Sample(id=f"q{i}", messages=[user(f"Say {i}.")], answer=str(i % 4), source="t") for i in range(4)]
    opt = make_optimizer(policy.model, cfg.optim.lr)
    update_seen = []
    backend = TorchBackend(policy.model, opt, 1.0)
    step = backend.step
    backend.step = lambda: (update_seen.append(list(engine.order)), step())[1]  # what the engine went through so far
    trainer = RLTrainer(cfg, policy, engine, prompt_encoder(policy.processor), rule_reward,
                        MixtureSampler(Mixture([("t", 1.0, samples)], seed=0)), backend,
                        make_scheduler(opt, 0, 10, "constant"))
    trainer.step()
    trainer.step()
    assert engine.order == ["generate", "sleep", "wake", "load_weights"] * 2
    assert update_seen and all(seen[-1] == "sleep" for seen in update_seen)  # asleep during every optimizer step


def test_the_engine_is_registered_and_imports_without_vllm():
    assert "vllm" in ENGINES.names()
    from mmreason.rollout.vllm_engine import VLLMEngine

    assert VLLMEngine.needs_weight_sync is True


# ---------------------------------------------------------------------- the engine's own logic, around a stand-in
class FakeLLM:
    """Stands in for vllm.LLM: records the calls; `generate` answers with scripted (token ids, finish) per prompt."""

    def __init__(self, script):
        self.script, self.calls = script, []

    def sleep(self, level):
        self.calls.append(("sleep", level))

    def wake_up(self, tags=None):
        self.calls.append(("wake_up", tuple(tags)))

    def generate(self, reqs, params, use_tqdm=False):
        from types import SimpleNamespace as NS

        self.calls.append(("generate", len(reqs)))
        outs = []
        for prompt_ids, completions in self.script:
            outputs = [NS(index=k, token_ids=ids, finish_reason=finish,
                          logprobs=[{t: NS(logprob=-0.5 - 0.1 * j)} for j, t in enumerate(ids)])
                       for k, (ids, finish) in enumerate(completions)]
            outs.append(NS(prompt_token_ids=prompt_ids, outputs=outputs[::-1]))  # vLLM's order need not be index order
        return outs


def fake_engine(policy, script, sleep_mode=True):
    from mmreason.rollout.vllm_engine import VLLMEngine

    engine = object.__new__(VLLMEngine)  # everything but the vllm.LLM it would build
    engine.policy, engine.llm, engine.sleep_mode, engine._asleep = policy, FakeLLM(script), sleep_mode, set()
    engine.mm_kwargs, engine.banned = pixel_limits(policy.processor), policy.banned_token_ids()
    engine.stop_ids = policy.stop_token_ids()
    engine._params = lambda sampling: sampling
    return engine


def test_sleep_frees_once_wake_restores_weights_then_the_kv_cache_before_generating(tiny_policy):
    from mmreason.rollout import SamplingParams

    enc = prompt_encoder(tiny_policy.processor)
    prompt = enc.encode(Sample(id="a", messages=[user("Say 1.")], answer="1"))
    engine = fake_engine(tiny_policy, [(prompt.input_ids, [([11, 12], "length")])])
    engine.sleep()
    engine.sleep()                      # already asleep: nothing more to free
    engine.wake()                       # the trainer's sync comes next: weights only
    engine.generate([prompt], SamplingParams(n=1))
    assert engine.llm.calls == [("sleep", 1), ("wake_up", ("weights",)), ("wake_up", ("kv_cache",)), ("generate", 1)]
    engine.llm.calls.clear()
    engine.sleep()
    engine.generate([prompt], SamplingParams(n=1))  # generating without a sync: everything comes back first
    assert engine.llm.calls == [("sleep", 1), ("wake_up", ("weights",)), ("wake_up", ("kv_cache",)), ("generate", 1)]
    cpu = fake_engine(tiny_policy, [], sleep_mode=False)
    cpu.sleep()
    cpu.wake()
    assert cpu.llm.calls == []          # no sleep mode (CPU): a no-op


def test_completions_hold_only_the_sampled_tokens(tiny_policy):
    from mmreason.rollout import SamplingParams

    tok = tiny_policy.tokenizer
    end = tok.convert_tokens_to_ids("<|im_end|>")
    think = tok.encode("ab</think>", add_special_tokens=False)
    enc = prompt_encoder(tiny_policy.processor)
    prompt = enc.encode(Sample(id="a", messages=[user("Say 1.")], answer="1"))
    script = [(prompt.input_ids, [([7, 8, end], "stop"), (think, "stop"), ([7, 8, 9], "length")])]
    out = fake_engine(tiny_policy, script).generate([prompt], SamplingParams(n=3, stop=("</think>",)))[0]
    assert [c.token_ids for c in out] == [[7, 8, end], think, [7, 8, 9]]  # in index order, nothing appended
    assert [c.finish_reason for c in out] == ["stop", "stop", "length"]
    assert out[1].text == "ab</think>" and out[0].logprobs == pytest.approx([-0.5, -0.6, -0.7])
    pad = tiny_policy.banned_token_ids()[0]
    with pytest.raises(RuntimeError, match="vision placeholder"):
        fake_engine(tiny_policy, [(prompt.input_ids, [([7, pad], "length")])]).generate([prompt], SamplingParams())
    with pytest.raises(RuntimeError, match="pixel limits"):  # vLLM's prompt is not the one the trainer scores
        fake_engine(tiny_policy, [(prompt.input_ids + [5], [([7], "length")])]).generate([prompt], SamplingParams())
