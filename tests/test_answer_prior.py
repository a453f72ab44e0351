"""Answer-prior diagnostics: the best constant answer's accuracy, the best accuracy from a shortcut value and the
concentration of the policy's answers, per source, against numbers worked out by hand; the collapse and shortcut
checks that the held-out evaluation reports."""

import pytest

from mmreason.trainer.answer_prior import answer_prior_metrics, collapsed_groups, shortcut_groups, shortcut_value


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


def test_shortcut_baseline_by_hand():
    # source a: shortcut 5 has golds 2, 2, 3 (best 2: 2 right), shortcut 7 has golds 4, 3 (1 right) -> 3 of 5;
    # source b: one item with a shortcut (gold 1) and one without, which the baseline leaves out -> 1 of 1
    golds = ["2", "2", "3", "4", "3", "1", "6"]
    answers = [["2"]] * 7
    shortcuts = ["5", "5", "5", "7", "7", "9", None]
    m = answer_prior_metrics(golds, answers, {"source": ["a"] * 5 + ["b"] * 2}, shortcuts)
    assert m["baseline/shortcut/source/a"] == pytest.approx(3 / 5)
    assert m["baseline/shortcut/source/b"] == pytest.approx(1.0)
    assert m["baseline/shortcut/mean"] == pytest.approx(4 / 6)
    assert m["baseline/constant/source/a"] == pytest.approx(2 / 5)
    assert "baseline/shortcut/mean" not in answer_prior_metrics(golds, answers)     # no shortcuts, no baseline
    assert shortcut_value({"shortcut": 7}) == "7" and shortcut_value({}) is None


def test_glyph_count_level1_shortcut_is_a_third(tmp_path):
    """Level 1 draws the target count n (1–6) and the other letters (1–5) uniformly: a picture of T letters has
    n in [max(1, T − 5), min(6, T − 1)], T takes 10 values over 30 equally likely pairs, and the best answer from T
    alone is right for one pair per value: 1/3. On a built held-out set, a rule fitted on one half scores about
    that on the other, and the metric (the best rule on the items themselves, an upper bound) is no lower."""
    import json
    from collections import Counter, defaultdict

    from data_builders.dataset import build_dataset

    d = build_dataset("ocr", tmp_path / "g", n=600, seed=0, split="heldout", difficulty="1", families=["glyph_count"],
                      image_size=112)
    rows = [json.loads(line) for line in (d / "data.jsonl").read_text().splitlines()]
    for r in rows:
        t, n = r["meta"]["n_glyphs"], int(r["answer"])
        assert r["meta"]["shortcut"] == str(t) and max(1, t - 5) <= n <= min(6, t - 1), r["id"]
    fit, test = rows[::2], rows[1::2]
    by_total = defaultdict(Counter)
    for r in fit:
        by_total[r["meta"]["shortcut"]][r["answer"]] += 1
    rule = {t: c.most_common(1)[0][0] for t, c in by_total.items()}
    held = sum(rule.get(r["meta"]["shortcut"]) == r["answer"] for r in test) / len(test)
    assert held == pytest.approx(1 / 3, abs=0.07), held
    m = answer_prior_metrics([r["answer"] for r in rows], [[None]] * len(rows), None,
                             [shortcut_value(r["meta"]) for r in rows])
    assert held - 0.03 <= m["baseline/shortcut/mean"] <= 1 / 3 + 0.1, (held, m)
    assert m["baseline/constant/mean"] < 0.25
    # the value reaches the evaluation through the OCR adapter, with its words for the warning
    from modalities import get_adapter, load_samples

    samples, _ = load_samples(get_adapter("ocr"), str(d), source="glyph_count")
    assert [shortcut_value(x.meta) for x in samples] == [r["meta"]["shortcut"] for r in rows]
    assert samples[0].meta["shortcut_what"] == "how many letters the image holds, whichever they are"


def _with_shortcut(label, acc, base, shortcut, n=50):
    return {**_metrics(label, acc, base, 0.3, n), f"baseline/shortcut/source/{label}": shortcut}


def test_shortcut_check_needs_an_informative_shortcut_and_no_better_accuracy():
    m = {**_with_shortcut("glyph", 0.33, 0.19, 0.335), **_with_shortcut("count", 0.9, 0.2, 0.4),
         **_with_shortcut("blind", 0.25, 0.25, 0.27), **_with_shortcut("few", 0.3, 0.2, 0.33, n=5),
         **_with_shortcut("untrained", 0.0, 0.19, 0.415), **_with_shortcut("prior", 0.22, 0.19, 0.415),
         **_metrics("plain", 0.2, 0.2, 0.3)}
    # glyph: at the accuracy counting every letter gives; count reads past its shortcut; blind's shortcut tells
    # no more than a constant answer (that is the collapse check's business); 'few' has too few items; 'untrained'
    # (0%, as before any training) and 'prior' (within 5 points of the constant answer) read nothing yet
    assert shortcut_groups(m) == ["glyph"]
