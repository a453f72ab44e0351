"""pass@k and maj@k against hand-computed values, evaluation with k samples per item, and the console table."""

from math import comb

import pytest

from helpers import prompt_encoder
from mmreason.rewards import RewardBreakdown
from mmreason.rollout import SamplingParams
from mmreason.trainer.evaluate import evaluate
from mmreason.trainer.passk import maj_at_k, majority_answer, pass_at_k, pass_ks, pass_metrics
from mmreason.observe.eval_table import eval_table
from mmreason.types import Completion, Sample, user


@pytest.mark.parametrize("n,c,k,want", [
    (5, 2, 2, 1 - 3 / 10),        # 1 − C(3,2)/C(5,2)
    (4, 1, 1, 0.25),              # pass@1 = c/n
    (10, 3, 4, 1 - 35 / 210),     # 1 − C(7,4)/C(10,4)
    (5, 0, 3, 0.0),               # nothing correct
    (4, 3, 2, 1.0),               # only one wrong sample: every pair holds a correct one
    (4, 1, 4, 1.0),               # k = n: any correct sample
])
def test_pass_at_k_is_the_unbiased_estimator(n, c, k, want):
    assert pass_at_k(n, c, k) == pytest.approx(want)
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))


def test_pass_at_k_refuses_impossible_counts():
    with pytest.raises(ValueError, match="0 <= c <= n"):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError, match="1 <= k <= n"):
        pass_at_k(3, 1, 4)


def test_majority_vote_normalises_answers_and_breaks_ties_by_first_appearance():
    assert majority_answer(["3", "4", "4", "3"]) == 0             # 2–2 tie: "3" appeared first
    assert majority_answer(["5", "4", " 4 ", "3"]) == 1           # "4" twice after whitespace collapsing
    assert majority_answer(["A", "b", "a"]) == 0                  # case-folded: "a" twice
    assert majority_answer([None, "", None]) is None              # nobody voted
    assert maj_at_k(["3", "4", "4", "3"], [1, 0, 0, 1]) == 1.0
    assert maj_at_k(["5", "4", "4", None], [0, 0, 0, 1]) == 0.0   # the lone right sample is outvoted
    assert maj_at_k([None, None], [1.0, 1.0]) == 0.0              # no extracted answer: no vote, no credit
    with pytest.raises(ValueError, match="2 answers but 1"):
        maj_at_k(["1", "2"], [1.0])


def test_pass_ks_are_one_the_powers_of_two_below_k_and_k():
    assert pass_ks(1) == [1] and pass_ks(4) == [1, 2, 4] and pass_ks(6) == [1, 2, 4, 6] and pass_ks(8) == [1, 2, 4, 8]


def test_pass_metrics_of_fixed_completions_match_hand_computation():
    items = [([1, 0, 0, 0], ["3", "4", "4", "5"]),       # c=1; majority "4" (wrong)
             ([1, 1, 0, 0], ["2", "2", "7", "7"]),       # c=2; tie 2–2 → "2" first (right)
             ([0, 0, 0, 0], [None, "1", "1", "9"])]      # c=0
    labels = {"source": ["s1", "s1", "s2"], "difficulty": ["1", "2", "2"], "family": ["f", "", ""]}
    m = pass_metrics(items, labels)
    assert m["items"] == 3 and m["items/source/s1"] == 2 and m["items/family/f"] == 1
    assert "items/family/" not in m                                       # unlabelled items form no group
    assert m["pass@1/mean"] == pytest.approx((0.25 + 0.5 + 0) / 3)
    assert m["pass@2/mean"] == pytest.approx((1 - 3 / 6 + 1 - 1 / 6 + 0) / 3)   # C(3,2)/C(4,2), C(2,2)/C(4,2)
    assert m["pass@4/mean"] == pytest.approx(2 / 3)
    assert m["maj@4/mean"] == pytest.approx(1 / 3)
    assert m["pass@2/source/s1"] == pytest.approx((0.5 + 5 / 6) / 2) and m["pass@2/source/s2"] == 0.0
    assert m["maj@4/source/s1"] == 0.5 and m["pass@1/difficulty/2"] == pytest.approx(0.25)
    assert m["pass@4/family/f"] == 1.0
    with pytest.raises(ValueError, match="different sample counts"):
        pass_metrics([([1], ["1"]), ([1, 0], ["1", "2"])])


class CountingEngine:
    """Completion j of every prompt answers j; records the n each call asks for."""

    def __init__(self, tokenizer):
        self.tok, self.calls = tokenizer, []

    def generate(self, prompts, sampling):
        self.calls.append(sampling.n)
        ids = self.tok("x", add_special_tokens=False)["input_ids"]
        return [[Completion(ids * (j + 1), f"<answer>{j}</answer>") for j in range(sampling.n)] for _ in prompts]


def answer_reward(requests):
    out = []
    for r in requests:
        said = r.completion.split("<answer>")[1].split("</answer>")[0]
        right = float(said == r.gold)
        out.append(RewardBreakdown(right, right, 1.0, None, said))
    return out


def test_evaluation_draws_k_samples_per_item_and_reports_pass_and_maj(tiny_policy):
    data = [Sample(id="a0", messages=[user("q")], answer="0", source="a", difficulty=1,
                   meta={"family": "even", "shortcut": 7}),
            Sample(id="a1", messages=[user("q")], answer="1", source="a", difficulty=1,
                   meta={"family": "odd", "shortcut": 7}),
            Sample(id="b5", messages=[user("q")], answer="5", source="b", difficulty=2, meta={"family": "odd"})]
    engine, enc = CountingEngine(tiny_policy.tokenizer), prompt_encoder(tiny_policy.processor)
    res = evaluate(engine, enc, answer_reward, data, SamplingParams(temperature=1.0, max_new_tokens=8), k=4,
                   batch_size=2)
    assert engine.calls == [4, 4]                                     # two batches, 4 samples per prompt
    assert res["count"] == 12 and res["samples_per_item"] == 4
    assert res["accuracy/mean"] == pytest.approx(2 / 12) == pytest.approx(res["pass@1/mean"])
    assert res["pass@2/mean"] == pytest.approx((0.5 + 0.5 + 0) / 3)
    assert res["pass@4/mean"] == pytest.approx(2 / 3)
    assert res["maj@4/mean"] == pytest.approx(1 / 3)                  # all answers differ: "0" wins, right for a0
    assert res["pass@4/source/a"] == 1.0 and res["pass@4/source/b"] == 0.0
    assert res["maj@4/family/even"] == 1.0 and res["maj@4/family/odd"] == 0.0
    assert res["pass@2/difficulty/2"] == 0.0 and res["accuracy/difficulty/1"] == pytest.approx(2 / 8)
    # answer-prior diagnostics: golds 0, 1 (source a), 5 (b); every item's samples answer 0, 1, 2, 3
    assert res["baseline/constant/source/a"] == pytest.approx(1 / 2) and res["baseline/constant/mean"] == 1 / 3
    assert res["answers/top_share/source/b"] == pytest.approx(1 / 4)
    # a0 and a1 share one shortcut value with golds 0 and 1: one right at best; b carries none
    assert res["baseline/shortcut/source/a"] == pytest.approx(1 / 2) and "baseline/shortcut/source/b" not in res
    greedy = evaluate(engine, enc, answer_reward, data, SamplingParams(temperature=0.0), k=4)
    assert engine.calls[-1] == 1 and greedy["samples_per_item"] == 1  # greedy: one completion whatever k is
    assert greedy["pass@1/mean"] == pytest.approx(1 / 3) and "maj@4/mean" not in greedy


def test_eval_table_has_a_row_per_group_and_a_column_per_metric():
    res = {"greedy": {"items": 3.0, "items/source/a": 2.0, "pass@1/mean": 1 / 3, "pass@1/source/a": 0.5,
                      "items/difficulty/10": 1.0, "items/difficulty/2": 2.0, "samples_per_item": 1.0},
           "sampled": {"items": 3.0, "pass@1/mean": 1 / 6, "pass@2/mean": 1 / 3, "maj@4/mean": 1 / 3,
                       "pass@4/mean": 2 / 3, "pass@4/source/a": 1.0, "samples_per_item": 4.0}}
    lines = eval_table(res, "demo").splitlines()
    assert lines[0] == "held-out evaluation 'demo' (greedy: 1 per item, sampled: 4 per item)"
    assert lines[1].split() == ["group", "items", "greedy", "pass@1", "sampled", "pass@1", "sampled", "pass@2",
                                "sampled", "pass@4", "sampled", "maj@4"]
    assert lines[3].split() == ["all", "3", "0.333", "0.167", "0.333", "0.667", "0.333"]
    assert lines[4].split() == ["source/a", "2", "0.500", "-", "-", "1.000", "-"]
    assert [ln.split()[0] for ln in lines[5:]] == ["difficulty/2", "difficulty/10"]
