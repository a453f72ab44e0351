"""Rejection sampling (`mmreason sample`): exactly the verified completions are kept, pairs and pass rates are
written as datasets the puzzles adapter reads back (images included), STaR's rationalisation keeps only verified
rationales without the hint, and a killed run continues from its finished chunks with the same result."""

import copy
import json
from pathlib import Path

import pytest

from helpers import ScriptedEngine, prompt_encoder, rule_reward
from mmreason.config import load_config
from mmreason.data import load_sources
from mmreason.config.schema import SourceConfig
from mmreason.model import Policy
from mmreason.rewards import AnswerFormat
from mmreason.stages import Parts, RunContext
from mmreason.stages.sample import run_sample
from mmreason.trainer.metrics import MetricsLogger
from mmreason.trainer.rejection import Candidate, kept, pairs
from mmreason.trainer.sft import sft_target
from mmreason.types import Completion, ImagePart, TextPart


def cand(tokens, acc, fmt=1.0, text=None):
    return Candidate(text or f"t{tokens}-{acc}", tokens, acc, fmt)


def test_kept_and_pairs_by_hand():
    group = [cand(30, 1.0), cand(12, 0.0), cand(20, 1.0), cand(9, 1.0, fmt=0.0), cand(44, 1.0), cand(25, 0.0)]
    assert [c.tokens for c in kept(group, "all")] == [30, 20, 44]               # the unformatted 9 is not kept
    assert [c.tokens for c in kept(group, "all", require_format=False)] == [30, 20, 9, 44]
    assert [c.tokens for c in kept(group, "max", max_per_prompt=2)] == [30, 20]
    assert [c.tokens for c in kept(group, "shortest")] == [20]
    assert kept(group, "none") == [] and kept([cand(5, 0.0)], "shortest") == []
    cw = pairs(group, "correct_wrong", per_prompt=5)
    assert [(a.tokens, b.tokens) for a, b in cw] == [(30, 12), (20, 25)]          # i-th correct vs i-th wrong
    # shortest correct 20; correct ones ≥ 1.5 × 20 = 30 tokens: 44 and 30, longest first
    sl = pairs(group, "short_long", per_prompt=5, long_ratio=1.5)
    assert [(a.tokens, b.tokens) for a, b in sl] == [(20, 44), (20, 30)]
    assert pairs(group, "short_long", per_prompt=1, long_ratio=2.5) == []          # nothing ≥ 50 tokens


def sample_setup(tmp_path, tiny_policy, count_data, engine_cls=ScriptedEngine, *overrides):
    cfg = load_config(None, [f"run.out_dir={tmp_path}", "sample.k=4", "sample.batch_size=5", "sample.prompts=12",
                             "rollout.max_new_tokens=48", *overrides])
    policy = Policy(copy.deepcopy(tiny_policy.model), tiny_policy.processor)
    sources = load_sources([SourceConfig(name="count", adapter="puzzles", path=count_data["train"])])
    parts = Parts(policy=policy, answer_format=AnswerFormat(), encoder=prompt_encoder(policy.processor),
                  reward_fn=rule_reward, engine=engine_cls(policy), train_sources=sources)
    return RunContext(cfg, Path(tmp_path), MetricsLogger(None, console=False)), parts


def reload(path):
    return load_sources([SourceConfig(name="back", adapter="puzzles", path=path)])[0].samples


def scripted_text(k):
    return f"<think>{' '.join(['a'] * k)}</think><answer>{k}</answer>"


def test_the_stage_keeps_exactly_the_verified_completions(tmp_path, tiny_policy, count_data):
    ctx, parts = sample_setup(tmp_path, tiny_policy, count_data, ScriptedEngine, "sample.keep=all",
                              "sample.pairs=correct_wrong")
    res = run_sample(ctx, parts, "scripted")
    prompts = parts.train_sources[0].samples[:12]
    # completion k of every prompt answers k (k = 0..3): right exactly when the gold is 1, 2 or 3
    solvable = [p for p in prompts if p.answer in ("1", "2", "3")]
    assert 0 < len(solvable) < 12
    back = reload(res["outputs"]["sft"])
    assert [s.id for s in back] == [f"back/{p.id}#0" for p in solvable]
    for s, p in zip(back, solvable):
        assert sft_target(AnswerFormat(), s) == scripted_text(int(p.answer))
        assert s.answer == p.answer and s.verifier == p.verifier and s.difficulty == p.difficulty
        assert [type(x) for x in s.messages[0].content] == [ImagePart, TextPart]      # the prompt as it was
        assert s.messages[0].content[1].text == p.messages[0].content[1].text
        assert Path(s.images[0]).read_bytes() == Path(p.images[0]).read_bytes()      # its own copy of the image
    pr = reload(res["outputs"]["pairs"])
    assert len(pr) == len(solvable)
    assert all(x.meta["chosen"] == scripted_text(int(x.answer)) and x.meta["rejected"] == scripted_text(0)
               for x in pr)                                                          # first wrong: completion 0
    est = reload(res["outputs"]["difficulty"])
    assert [x.meta["pass_rate"] for x in est] == [0.25 if p in solvable else 0.0 for p in prompts]
    rep = res["report"]
    assert rep["pass@1/mean"] == pytest.approx(0.25 * len(solvable) / 12)
    assert rep["pass@4/mean"] == pytest.approx(len(solvable) / 12) and rep["sft_rows"] == len(solvable)
    assert not (tmp_path / "sampled" / ".work").exists()


class HintEngine(ScriptedEngine):
    """Answers the hinted answer when the prompt holds a hint, else always 0 (never right for golds 1–6)."""

    def generate(self, prompts, sampling):
        out = []
        for p in prompts:
            ans = p.text.split("the answer is ")[1].split(".")[0] if "the answer is " in p.text else "0"
            text = f"<think>because</think><answer>{ans}</answer>"
            ids = self.policy.tokenizer(text, add_special_tokens=False)["input_ids"]
            out.append([Completion(token_ids=ids, text=text) for _ in range(sampling.n)])
        return out


def test_star_rationalisation_keeps_verified_rationales_without_the_hint(tmp_path, tiny_policy, count_data):
    ctx, parts = sample_setup(tmp_path / "off", tiny_policy, count_data, HintEngine, "sample.keep=max")
    assert run_sample(ctx, parts, "hint")["report"]["sft_rows"] == 0                 # nothing right unaided
    ctx, parts = sample_setup(tmp_path / "on", tiny_policy, count_data, HintEngine, "sample.keep=max",
                              "sample.rationalize=true")
    res = run_sample(ctx, parts, "hint")
    back = reload(res["outputs"]["sft"])
    assert len(back) == 12 and res["report"]["rationalized_rows"] == 12
    for s in back:
        assert s.meta["rationalized"] and s.meta["sft_target"] == f"<think>because</think><answer>{s.answer}</answer>"
        assert "answer is" not in s.messages[0].content[1].text                        # trained without the hint


class FailingEngine(ScriptedEngine):
    def generate(self, prompts, sampling):
        if len(self.calls) == 1:
            raise KeyboardInterrupt("killed")
        return super().generate(prompts, sampling)


def test_a_killed_sampling_run_continues_from_its_finished_chunks(tmp_path, tiny_policy, count_data):
    ctx, parts = sample_setup(tmp_path / "once", tiny_policy, count_data, ScriptedEngine, "sample.keep=all")
    whole = run_sample(ctx, parts, "scripted")
    ctx, parts = sample_setup(tmp_path / "twice", tiny_policy, count_data, FailingEngine, "sample.keep=all")
    with pytest.raises(KeyboardInterrupt):
        run_sample(ctx, parts, "scripted")
    assert sorted(p.name for p in (tmp_path / "twice" / "sampled" / ".work").glob("chunk-*")) == ["chunk-000000.json"]
    assert not (tmp_path / "twice" / "sampled" / "sft").exists()                    # nothing half-written
    ctx, parts = sample_setup(tmp_path / "twice", tiny_policy, count_data, ScriptedEngine, "sample.keep=all")
    again = run_sample(ctx, parts, "scripted")
    assert len(parts.engine.calls) == 2                                               # chunks 2 and 3 of 3
    read = lambda r: (Path(r["outputs"]["sft"]) / "data.jsonl").read_text()  # noqa: E731
    assert read(again) == read(whole).replace(str(tmp_path / "once"), str(tmp_path / "twice"))
    assert json.loads(Path(again["outputs"]["report"]).read_text())["report"] == whole["report"]
