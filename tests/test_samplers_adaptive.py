"""The curriculum and prioritized prompt samplers: probabilities worked out by hand, exact state round trips, and
the trainer feeding them its rollouts' results."""

import json

import numpy as np
import pytest

from mmreason.config import load_config
from mmreason.data.adaptive import CurriculumSampler, PrioritizedSampler
from mmreason.errors import ConfigError, MMReasonError
from mmreason.trainer.scored import PromptResult
from mmreason.types import Sample, user


def levelled(name, per_level, levels=(1, 2, 3), key=None):
    out = []
    for lv in levels:
        for i in range(per_level):
            meta = {key: lv} if key else {}
            out.append(Sample(id=f"{name}/L{lv}-{i}", messages=[user("q")], answer="1", source=name,
                              difficulty=None if key else lv, meta=meta))
    return out


def curriculum(**kw):
    return CurriculumSampler([("count", 1.0, levelled("count", 10))], seed=7, **kw)


def test_staged_curriculum_switches_levels_at_the_given_steps():
    c = curriculum(schedule="staged", steps=[10, 20])
    assert [c.position(s) for s in (0, 9, 10, 19, 20, 500)] == [0, 0, 1, 1, 2, 2]
    assert c.level_weights(0) == [1.0, 0.0, 0.0] and c.level_weights(15) == [0.0, 1.0, 0.0]
    assert {x.difficulty for x in c.next_batch(40, step=0)} == {1}
    assert {x.difficulty for x in c.next_batch(40, step=12)} == {2}
    assert {x.difficulty for x in c.next_batch(40, step=30)} == {3}
    replay = curriculum(schedule="staged", steps=[10, 20], replay=0.2)
    assert replay.level_weights(15) == pytest.approx([0.2 / 1.2, 1.0 / 1.2, 0.0])      # passed level keeps 0.2


def test_gradual_curriculum_shifts_the_mix_between_neighbouring_levels():
    c = curriculum(schedule="gradual", steps=[0, 100])
    # L = 3 levels, p = 2·step/100: weights max(0, 1 − |i − p|)
    assert c.level_weights(25) == pytest.approx([0.5, 0.5, 0.0])                      # p = 0.5
    assert c.level_weights(50) == pytest.approx([0.0, 1.0, 0.0])                      # p = 1
    assert c.level_weights(75) == pytest.approx([0.0, 0.5, 0.5])                      # p = 1.5
    assert curriculum(schedule="gradual", steps=[0, 100], replay=0.1).level_weights(75) == \
        pytest.approx([0.1 / 1.1, 0.5 / 1.1, 0.5 / 1.1])
    batch = c.next_batch(400, step=25)
    share = sum(x.difficulty == 1 for x in batch) / len(batch)
    assert 0.42 < share < 0.58 and {x.difficulty for x in batch} == {1, 2}
    m = c.metrics()
    assert m["sampler/curriculum_position"] == 0.5 and m["sampler/weight/level_3"] == 0.0


def test_curriculum_by_a_meta_column_descending_and_a_missing_value_named():
    data = levelled("est", 4, levels=(0.0, 0.5, 1.0), key="pass_rate")
    c = CurriculumSampler([("est", 1.0, data)], seed=0, key="pass_rate", order="descending", schedule="staged",
                          steps=[5])
    assert c.labels == ["1", "0.5", "0"]                                               # high pass rate = easy first
    assert {x.meta["pass_rate"] for x in c.next_batch(8, step=0)} == {1.0}
    data.append(Sample(id="est/none", messages=[user("q")], answer="1"))
    with pytest.raises(ConfigError, match="sample 'est/none' of source 'est' has no numeric meta.pass_rate"):
        CurriculumSampler([("est", 1.0, data)], seed=0, key="pass_rate", steps=[5])


def test_curriculum_state_round_trip_is_exact():
    def make():
        return curriculum(schedule="gradual", steps=[0, 6])
    a = make()
    for step in range(3):
        batch = a.next_batch(5, step)
        a.observe([PromptResult(x.id, x.source, x.difficulty, (1.0, 0.0)) for x in batch])
    state = json.loads(json.dumps(a.state_dict()))                                     # plain ints/floats/strings
    assert state["success"]["1"] == pytest.approx(0.5)                                 # every observed rate is 0.5
    b = make()
    b.load_state_dict(state)
    for step in range(3, 8):
        assert [x.id for x in b.next_batch(5, step)] == [x.id for x in a.next_batch(5, step)]
    with pytest.raises(MMReasonError, match="data.sampler=prioritized"):
        PrioritizedSampler([("count", 1.0, levelled("count", 1))], seed=0).load_state_dict(state)


def two_sources():
    a = [Sample(id=f"a/{i}", messages=[user("q")], answer="1", source="a") for i in range(2)]
    b = [Sample(id="b/0", messages=[user("q")], answer="1", source="b")]
    return [("a", 1.0, a), ("b", 2.0, b)]


def result(pid, *acc):
    return PromptResult(pid, pid.split("/")[0], None, tuple(acc))


def test_prioritized_probabilities_by_hand():
    s = PrioritizedSampler(two_sources(), seed=1, floor=0.1, ema=0.5)
    # base = source weight / source size: a/0 0.5, a/1 0.5, b/0 2.0; unseen prompts have priority 1 − prior = 1
    assert s.probabilities() == pytest.approx([0.5 / 3, 0.5 / 3, 2.0 / 3])
    s.observe([result("a/0", 1.0, 1.0), result("b/0", 1.0, 0.0, 0.0, 1.0)])
    # a/0 solved: max(0.1, 1 − 1) = 0.1 → 0.05; b/0 success 0.5 → 1.0; a/1 unseen → 0.5
    assert s.probabilities() == pytest.approx(np.array([0.05, 0.5, 1.0]) / 1.55)
    s.observe([result("a/0", 0.0, 0.0)])                                               # EMA: 0.5·1 + 0.5·0 = 0.5
    assert s.success["a/0"] == pytest.approx(0.5)
    assert s.probabilities() == pytest.approx(np.array([0.25, 0.5, 1.0]) / 1.75)
    assert sorted(x.id for x in s.next_batch(3, 0)) == ["a/0", "a/1", "b/0"]          # without replacement


def test_prioritized_draws_follow_the_probabilities():
    s = PrioritizedSampler(two_sources(), seed=3, floor=0.1)
    s.observe([result("b/0", 1.0)])                                                    # b/0 → 0.2, a/* → 0.5 each
    counts = {"a/0": 0, "a/1": 0, "b/0": 0}
    for _ in range(3000):
        counts[s.next_batch(1, 0)[0].id] += 1
    want = {"a/0": 0.5 / 1.2, "a/1": 0.5 / 1.2, "b/0": 0.2 / 1.2}
    assert all(abs(counts[k] / 3000 - want[k]) < 0.03 for k in want)


def test_prioritized_state_round_trip_is_exact_and_checked():
    a = PrioritizedSampler(two_sources(), seed=2)
    a.observe([result("a/1", 1.0, 0.0)])
    a.next_batch(2, 0)
    b = PrioritizedSampler(two_sources(), seed=2)
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert [[x.id for x in b.next_batch(2, k)] for k in range(5)] == [[x.id for x in a.next_batch(2, k)]
                                                                       for k in range(5)]
    bad = dict(a.state_dict(), success={"zz/9": 0.5})
    with pytest.raises(MMReasonError, match="'zz/9'"):
        PrioritizedSampler(two_sources(), seed=2).load_state_dict(bad)


def test_sampler_config_is_validated_with_the_key():
    with pytest.raises(ConfigError, match="data.sampler: must be one of mixture, curriculum, prioritized"):
        load_config(None, ["data.sampler=currculum"])
    with pytest.raises(ConfigError, match="data.curriculum.steps: staged needs"):
        load_config(None, ["data.sampler=curriculum"])
    with pytest.raises(ConfigError, match="data.balance: success balancing belongs to data.sampler=mixture"):
        load_config(None, ["data.sampler=prioritized", "data.balance=success"])
    with pytest.raises(ConfigError, match="data.prioritized.floor"):
        load_config(None, ["data.prioritized.floor=0"])


def test_the_trainer_feeds_the_prioritized_sampler_and_checkpoints_it(tmp_path, tiny_policy):
    from test_recipes import trainer_for

    t = trainer_for(tmp_path, tiny_policy, "data.sampler=prioritized")
    assert isinstance(t.sampler, PrioritizedSampler)
    t.step()
    state = t.state_dict()["mixture"]
    assert state["kind"] == "prioritized" and state["batches"] == 1
    # the scripted engine answers 0, 1, 2, 3: exactly one of the 4 samples is right for every gold in 0–3
    assert len(state["success"]) == 4 and set(state["success"].values()) == {0.25}


def test_the_config_chooses_the_sampler_and_its_knobs():
    from types import SimpleNamespace

    from mmreason.data.samplers import MixtureSampler
    from mmreason.wiring import prompt_sampler

    parts = SimpleNamespace(train_sources=[("count", 1.0, levelled("count", 3))])
    c = prompt_sampler(load_config(None, ["data.sampler=curriculum", "data.curriculum.schedule=gradual",
                                          "data.curriculum.steps=[10,30]", "data.curriculum.replay=0.3"]), parts)
    assert isinstance(c, CurriculumSampler) and c.position(20) == 1.0 and c.replay == 0.3
    p = prompt_sampler(load_config(None, ["data.sampler=prioritized", "data.prioritized.floor=0.2"]), parts)
    assert isinstance(p, PrioritizedSampler) and p.floor == 0.2
    assert isinstance(prompt_sampler(load_config(None, []), parts), MixtureSampler)
