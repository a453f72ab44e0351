"""Soak tier (`pytest -m soak`, a few minutes): a few hundred RL steps on the tiny model with injected faults — a
verifier that raises now and then, hangs that hit the time bound (one kind only a worker kill ends), and the
bad-input corpus with `data.skip_bad_rows` — must finish with finite metrics and every fault counted."""

import json
import math
import os

import pytest

from badinputs import write_corpus

pytestmark = [pytest.mark.soak, pytest.mark.slow]  # run by hand (-m soak) and by the slow tier
STEPS = int(os.environ.get("MMREASON_SOAK_STEPS", "300"))  # a shorter soak: MMREASON_SOAK_STEPS=50


def test_a_long_run_with_injected_faults_finishes_and_counts_them(tmp_path, tiny_model_dir):
    from mmreason.config import load_config
    from mmreason.pipeline import run_training

    corpus = write_corpus(tmp_path / "data")
    src = f"adapter: vqa, path: '{corpus.path}', options: {{verifier: flaky}}"
    run = tmp_path / "run"
    summary = run_training(load_config(None, [
        f"run.out_dir={run}", f"model.path={tiny_model_dir}", f"data.train=[{{name: corpus, {src}}}]",
        f"data.eval=[{{name: held, {src}}}]", "data.skip_bad_rows=true", "reward.imports=[soak_verifiers]",
        "reward.timeout_s=0.5", "reward.workers=1", "rollout.group_size=4", "rollout.prompts_per_step=4",
        "rollout.max_new_tokens=8", "train.micro_batch_size=16", f"train.steps={STEPS}", "train.save_every=100",
        "eval.n=4", "eval.sampled=false", "sft.steps=0", "log.progress=quiet"]))
    want = corpus.reasons.copy()
    want["unknown verifier"] -= 1  # the adapter's verifier option names `flaky` for every row
    assert summary["skipped_rows"]["corpus"]["reasons"] == +want
    metrics = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    rl = [m for m in metrics if m.get("phase") == "rl"]
    assert [m["step"] for m in rl] == list(range(1, STEPS + 1))
    for m in rl:
        assert all(math.isfinite(v) for v in m.values() if isinstance(v, float)), m
    errors = {k: sum(m.get(k, 0) for m in rl) for k in {k for m in rl for k in m if k.startswith("reward_errors/")}}
    print(json.dumps(errors))
    assert errors.get("reward_errors/error", 0) > 0 and errors.get("reward_errors/timeout", 0) > 0  # raised, hung
    assert (run / "final_model").is_dir() and "heldout_accuracy/greedy/rl" in summary
