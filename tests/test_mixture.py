"""Mixture: seeded determinism, weights, per-epoch orders hashed from (seed, source, epoch), exact resume."""

import json

import numpy as np
import pytest

from mmreason.data import Mixture, derive_seed
from mmreason.errors import MMReasonError
from mmreason.types import Sample, user


def samples(prefix, n):
    return [Sample(id=f"{prefix}{i}", messages=[user(f"q{i}")], answer=str(i)) for i in range(n)]


def sources():
    return [("a", 3.0, samples("a", 7)), ("b", 1.0, samples("b", 5)), ("c", 1.0, samples("c", 3))]


def ids(batch):
    return [s.id for s in batch]


def test_same_seed_same_order_other_seed_other_order():
    one = ids(Mixture(sources(), seed=1).next_batch(60))
    assert one == ids(Mixture(sources(), seed=1).next_batch(60))
    assert one != ids(Mixture(sources(), seed=2).next_batch(60))


def test_each_epoch_is_a_full_shuffled_pass_of_each_source():
    m = Mixture([("a", 1.0, samples("a", 10))], seed=0)
    e0, e1 = ids(m.next_batch(10)), ids(m.next_batch(10))
    assert sorted(e0) == sorted(e1) == sorted(f"a{i}" for i in range(10))
    assert e0 != e1  # reshuffled per epoch
    assert m.epoch == {"a": 1} and m.progress() == {"a": 2.0}


def test_epoch_orders_are_hashed_not_seed_plus_epoch():
    a = samples("a", 20)
    m0, m1 = Mixture([("a", 1.0, a)], seed=0), Mixture([("a", 1.0, a)], seed=1)
    assert not np.array_equal(m0.order("a", 1), m1.order("a", 0))
    assert derive_seed(0, "a", 1) != derive_seed(1, "a", 0)
    # another source's presence or weight does not change a source's epoch orders
    solo = Mixture([("a", 1.0, a)], seed=0).order("a", 3)
    assert np.array_equal(solo, Mixture([("a", 5.0, a), ("b", 1.0, samples("b", 4))], seed=0).order("a", 3))


def test_weights_are_respected():
    m = Mixture(sources(), seed=0)
    n = 10_000
    counts = {k: 0 for k in "abc"}
    for s in m.next_batch(n):
        counts[s.id[0]] += 1
    for name, w in (("a", 0.6), ("b", 0.2), ("c", 0.2)):
        sd = (w * (1 - w) / n) ** 0.5
        assert abs(counts[name] / n - w) < 4 * sd, counts  # 4 sigma
    assert all(s.source for s in m.next_batch(10))


@pytest.mark.parametrize("cut", [0, 1, 4, 7, 15, 16, 33])
def test_resume_yields_exactly_the_uninterrupted_samples(cut):
    # source sizes 7/5/3 mean several epoch boundaries fall inside the 60 draws
    full = ids(Mixture(sources(), seed=11).next_batch(60))
    first = Mixture(sources(), seed=11)
    head = ids(first.next_batch(cut))
    state = json.loads(json.dumps(first.state_dict()))  # plain, serialisable
    resumed = Mixture(sources(), seed=11)
    resumed.load_state_dict(state)
    assert head + ids(resumed.next_batch(60 - cut)) == full


def test_resume_exactly_at_an_epoch_boundary():
    m = Mixture([("a", 1.0, samples("a", 4)), ("b", 1.0, samples("b", 4))], seed=3)
    full = ids(Mixture([("a", 1.0, samples("a", 4)), ("b", 1.0, samples("b", 4))], seed=3).next_batch(40))
    k = 0
    while m.pos["a"] != 4:  # stop right after source a's last sample of epoch 0
        m.next_batch(1)
        k += 1
    state = m.state_dict()
    assert state["sources"]["a"] == {"epoch": 0, "pos": 4, "size": 4, "weight": 1.0, "current_weight": 1.0}
    r = Mixture([("a", 1.0, samples("a", 4)), ("b", 1.0, samples("b", 4))], seed=3)
    r.load_state_dict(state)
    assert full[:k] + ids(r.next_batch(40 - k)) == full


def test_state_from_other_data_is_refused():
    state = Mixture(sources(), seed=0).state_dict()
    with pytest.raises(MMReasonError, match="seed"):
        Mixture(sources(), seed=1).load_state_dict(state)
    with pytest.raises(MMReasonError, match="changed since"):
        Mixture([("a", 3.0, samples("a", 8)), ("b", 1.0, samples("b", 5)), ("c", 1.0, samples("c", 3))],
                seed=0).load_state_dict(state)
    with pytest.raises(MMReasonError, match="same names in the same order"):
        Mixture(sources()[::-1], seed=0).load_state_dict(state)


def test_bad_sources_are_refused():
    with pytest.raises(MMReasonError, match="no samples"):
        Mixture([("a", 1.0, [])])
    with pytest.raises(MMReasonError, match="weight must be > 0"):
        Mixture([("a", 0.0, samples("a", 1))])
    with pytest.raises(MMReasonError, match="duplicate source name"):
        Mixture([("a", 1.0, samples("a", 1)), ("a", 1.0, samples("a", 1))])


def test_lazy_sequence_sources_are_accepted():
    class Lazy:
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return Sample(id=f"z{i}", messages=[user("q")])

    got = ids(Mixture([("z", 1.0, Lazy())], seed=0).next_batch(6))
    assert sorted(got) == [f"z{i}" for i in range(6)]
