"""Answer-prior diagnostics: the best constant answer's accuracy and the concentration of the policy's answers,
per source, against numbers worked out by hand; the collapse check that the held-out evaluation reports."""

import pytest

from mmreason.trainer.answer_prior import answer_prior_metrics, collapsed_groups


def test_constant_baseline_and_top_share_by_hand():
    golds = ["3", "4", "3", " 3", "5", "2"]                      # source a: 3, 4, 3, 3 — source b: 5, 2
    answers = [["3", "3"], ["3", "4"], ["3", None], ["3", "3"], ["5", "5"], ["5", "1"]]
    m = answer_prior_metrics(golds, answers, {"source": ["a", "a", "a", "a", "b", "b"]})
    assert m["baseline/constant/mean"] == pytest.approx(3 / 6)        # '3' is gold for 3 of 6 items
    assert m["baseline/constant/source/a"] == pytest.approx(3 / 4)
    assert m["baseline/constant/source/b"] == pytest.approx(1 / 2)
    assert m["answers/top_share/source/a"] == pytest.approx(6 / 8)    # '3' in 6 of 8 samples (None counts)
    assert m["answers/top_share/source/b"] == pytest.approx(3 / 4)
    assert m["answers/top_share/mean"] == pytest.approx(6 / 12)


def test_answers_compare_case_and_space_insensitively():
    m = answer_prior_metrics(["Red", "red ", "blue"], [["RED"], [" red"], ["Blue"]])
    assert m["baseline/constant/mean"] == pytest.approx(2 / 3)
    assert m["answers/top_share/mean"] == pytest.approx(2 / 3)


def test_no_answers_at_all_have_no_top_share():
    assert answer_prior_metrics(["1"], [[None, None]])["answers/top_share/mean"] == 0.0


def _metrics(label, acc, base, share, n=50):
    return {f"accuracy/source/{label}": acc, f"baseline/constant/source/{label}": base,
            f"answers/top_share/source/{label}": share, f"items/source/{label}": float(n)}


def test_collapse_needs_concentrated_answers_at_the_baseline():
    m = {**_metrics("grid", 0.295, 0.365, 0.97), **_metrics("count", 0.9, 0.22, 0.95),
         **_metrics("tiling", 0.30, 0.18, 0.40), **_metrics("small", 0.3, 0.3, 1.0, n=5)}
    # grid: one answer to 97% of items and no better than a constant; count is concentrated but far above it;
    # tiling reads its input; 'small' has too few items to judge
    assert collapsed_groups(m) == ["grid"]
