"""Slow tier (`pytest -m slow`): recipes that cover every loss and advantage estimator learn from the demo's cold
start — the runs of the README's recipe table (`bench/bench_recipes.py`), seed 0, 120 steps each."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_recipes", ROOT / "bench" / "bench_recipes.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

# losses: ppo_clip (grpo, dr_grpo, rloo, reinforce_pp, ppo), gspo, kimi;
# advantages: grpo (dapo), dr_grpo, rloo, reinforce_pp, kimi, gae (ppo). GRPO itself is the demo's slow test.
SUBSET = ["dapo", "dr_grpo", "gspo", "kimi", "ppo", "reinforce_pp", "rloo"]


@pytest.fixture(scope="module")
def cold_start(tmp_path_factory):
    out = tmp_path_factory.mktemp("recipes")
    return out, bench.cold_start(out)


@pytest.mark.slow
@pytest.mark.parametrize("recipe", SUBSET)
def test_recipe_learns_from_the_cold_start(cold_start, recipe):
    out, model = cold_start
    r = bench.one_run(out, model, recipe, seed=0, steps=120)
    assert r["sampled"] >= r["sampled_start"] + 0.10, r   # the bar: +10 points sampled
    assert r["greedy"] >= r["greedy_start"], r
