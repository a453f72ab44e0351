"""The composite reward (weights, the answer format's templates and tags) and the one reward summary."""

import pytest

from mmreason.rewards import AnswerFormat, RewardBreakdown as B, RewardFunction, VerifierPool, VerifyRequest
from mmreason.rewards import summarize_rewards


@pytest.fixture(scope="module")
def pool():
    with VerifierPool(workers=1, timeout_s=1.0, start_method="fork", grace_s=0.3) as p:
        yield p


def test_reward_function_weights_and_templates(pool):
    good = "<think>r</think><answer>5</answer>"
    reqs = [VerifyRequest(good, "5", "math"), VerifyRequest(good, "6", "math"),
            VerifyRequest("<answer>5</answer>", "5", "math"),
            VerifyRequest("<think>r</think><answer></answer>", "5", "math"),
            VerifyRequest("<think>" + "x" * 30_000 + "</think><answer>5</answer>", "5", "math")]
    got = RewardFunction(AnswerFormat("r1"), accuracy_weight=1.0, format_weight=0.5, pool=pool)(reqs)
    assert [(b.reward, b.accuracy, b.format, b.error) for b in got] == [
        (1.5, 1.0, 1.0, None), (0.5, 0.0, 1.0, None), (1.0, 1.0, 0.0, None), (0.0, 0.0, 0.0, "empty_answer"),
        (0.0, 0.0, 0.0, "too_long")]
    plain = RewardFunction(AnswerFormat("plain"), format_weight=1.0, pool=pool)(
        [reqs[0], reqs[2], VerifyRequest("<answer>5</answer> and more", "5", "math")])
    assert [b.format for b in plain] == [0.0, 1.0, 0.0]
    custom = RewardFunction(AnswerFormat("r1", think_tag="reason", answer_tag="final"), pool=pool)(
        [VerifyRequest("<reason>r</reason><answer>5</answer>", "5", "math"),     # the default tags mean nothing
         VerifyRequest("<reason>r</reason><final>5</final>", "5", "math")])
    assert [(b.accuracy, b.format, b.extracted) for b in custom] == [(0.0, 0.0, None), (1.0, 1.0, "5")]
    with pytest.raises(ValueError, match="unknown answer template"):
        AnswerFormat("xml")


def test_answer_format_owns_instruction_target_check_and_extraction():
    r1 = AnswerFormat("r1", think_tag="reason", answer_tag="final")
    target = r1.target("7", "3 + 4 = 7")
    assert target == "<reason>3 + 4 = 7</reason><final>7</final>"
    assert r1.format_score(target) == 1.0 and r1.extract(target) == "7"      # what it teaches, it accepts
    assert "<reason>" in r1.instruction and "<final>" in r1.instruction
    assert r1.verifier_options() == {"answer_tag": "final", "think_tag": "reason"}
    plain = AnswerFormat("plain")
    assert plain.target("7", "ignored") == "<answer>7</answer>" and plain.format_score("<answer>7</answer>") == 1.0
    assert AnswerFormat("r1", custom_instruction="").instruction == ""


def test_summary_of_five_scored_completions_by_hand():
    bs = [B(1.5, 1.0, 1.0), B(0.5, 0.0, 1.0), B(0.0, 0.0, 0.0, "timeout"), B(0.0, 0.0, 0.0, "timeout"),
          B(0.5, 0.5, 0.0, "error:ValueError")]
    m = summarize_rewards(bs, lengths=[10, 20, 30, 40, 50], truncated=[False, False, True, True, False],
                          labels={"verifier": ["math", "math", "ocr_cer", "ocr_cer", "box_iou"]})
    # rewards 1.5, .5, 0, 0, .5: mean 0.5; squared deviations 1, 0, .25, .25, 0 → unbiased var 1.5/4 = 0.375
    assert m["reward/mean"] == pytest.approx(0.5) and m["reward/std"] == pytest.approx(0.375 ** 0.5)
    assert m["accuracy/mean"] == pytest.approx(0.3) and m["format/mean"] == pytest.approx(0.4)
    assert m["response_length/mean"] == 30 and m["response_length/max"] == 50 and m["truncated_frac"] == 0.4
    assert (m["accuracy/verifier/math"], m["accuracy/verifier/ocr_cer"], m["accuracy/verifier/box_iou"]) == (0.5, 0, .5)
    assert m["reward/verifier/math"] == 1.0
    assert m["reward_errors/timeout"] == 2 and m["reward_errors/error"] == 1 and m["count"] == 5
    # counts add up over ranks, means do not: the summary declares which is which
    assert m.summed == {"count", "reward_errors/timeout", "reward_errors/error"}
    assert dict(summarize_rewards([])) == {"count": 0.0}


def test_summary_uses_the_total_reward_when_given():
    bs = [B(1.0, 1.0, 0.0), B(0.0, 0.0, 0.0)]
    m = summarize_rewards(bs, rewards=[0.75, -0.25], labels={"source": ["a", "b"]})
    assert m["reward/mean"] == pytest.approx(0.25) and m["reward/source/a"] == 0.75 and m["accuracy/source/b"] == 0


@pytest.mark.parametrize("combine, want", [
    # rows: right+formatted, wrong+formatted, right+unformatted, wrong+unformatted; w_a = 1, w_f = 0.5
    ("sum", [1.5, 0.5, 1.0, 0.0]),
    ("gated", [1.0, 0.0, 0.0, 0.0]),                 # format gates accuracy; format alone earns nothing
    ("format_if_correct", [1.5, 0.0, 1.0, 0.0]),     # format pays only with a right answer
])
def test_reward_combinations_that_format_alone_cannot_buy(pool, combine, want):
    reqs = [VerifyRequest("<think>r</think><answer>5</answer>", "5", "integer"),
            VerifyRequest("<think>r</think><answer>6</answer>", "5", "integer"),
            VerifyRequest("<answer>5</answer> trailing", "5", "integer"),
            VerifyRequest("<answer>6</answer> trailing", "5", "integer")]
    got = RewardFunction(AnswerFormat("r1"), accuracy_weight=1.0, format_weight=0.5, pool=pool, combine=combine)(reqs)
    assert [b.reward for b in got] == want
    assert [b.format for b in got] == [1.0, 1.0, 0.0, 0.0] and [b.accuracy for b in got] == [1.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="unknown reward combine"):
        RewardFunction(AnswerFormat(), pool=pool, combine="max")
