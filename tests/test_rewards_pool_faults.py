"""The pool survives workers that hang, die or return garbage, in any mix and order (tests/test_rewards_pool.py covers
one fault at a time: Python and C hangs, raise, os._exit, None, NaN). Added here: segfaults, SystemExit, a worker
killed from outside while idle, a verifier that blocks the soft deadline, garbage Scores (out-of-range accuracy,
wrong field types, unpicklable details), and a hypothesis run over random sequences of all of them."""

import ctypes
import faulthandler
import os
import signal
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmreason.rewards import VERIFIERS, VerifierPool, VerifyRequest, score_one
from mmreason.rewards.pool import _WARM_UP
from mmreason.types import Score

TIMEOUT_S, GRACE_S = 0.3, 0.2


class _BadFloat:
    def __float__(self):
        raise RuntimeError("no")


GARBAGE = {  # what the verifier returns → the counted error
    "none": (None, "error:BadReturn(NoneType)"),
    "str": ("1.0", "error:BadReturn(str)"),
    "acc_str": (Score("high"), "error:BadAccuracy"),
    "acc_badfloat": (Score(_BadFloat()), "error:BadAccuracy"),
    "acc_inf": (Score(float("inf")), "error:NonFiniteAccuracy"),
    "acc_big": (Score(7.0), "error:AccuracyOutOfRange"),
    "acc_negative": (Score(-0.5), "error:AccuracyOutOfRange"),
    "extracted_obj": (Score(1.0, extracted=object()), "error:BadReturn(Score fields)"),
    "error_int": (Score(1.0, error=3), "error:BadReturn(Score fields)"),
    "details_lambda": (Score(1.0, details={"f": lambda: 1}), "error:BadReturn(details)"),  # unpicklable too
    "details_list": (Score(1.0, details=[1.0]), "error:BadReturn(details)"),
    "details_nan": (Score(1.0, details={"x": float("nan")}), "error:BadReturn(details)"),
}


def _behave(completion, gold, options):
    """A verifier that does what its completion says."""
    kind, _, arg = completion.partition(":")
    if kind == "ok":
        return Score(float(arg), arg)
    if kind == "garbage":
        return GARBAGE[arg][0]
    if kind == "raise":
        raise KeyError(arg)
    if kind == "exit":
        raise SystemExit(3)
    if kind == "die":
        os._exit(7)
    if kind == "segfault":
        faulthandler.disable()  # (in this worker only: pytest's handler would print the stack of the crash)
        ctypes.string_at(0)
    if kind == "spin":
        while True:
            pass
    if kind == "deaf":  # blocks SIGALRM, so the soft deadline never fires: only the kill ends it
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        while True:
            pass
    raise AssertionError(completion)


if "test_behave" not in VERIFIERS:
    VERIFIERS.register("test_behave", _behave)

EXPECTED = {"raise": "error:KeyError", "exit": "crashed", "die": "crashed", "segfault": "crashed", "spin": "timeout",
            "deaf": "timeout"}


def expected(item: str) -> tuple[float, str | None]:
    kind, _, arg = item.partition(":")
    if kind == "ok":
        return float(arg), None
    return 0.0, GARBAGE[arg][1] if kind == "garbage" else EXPECTED[kind]


def R(item: str) -> VerifyRequest:
    return VerifyRequest(item, "", "test_behave", {})


@pytest.fixture(scope="module")
def pool():
    score_one(_WARM_UP)  # forked replacement workers inherit math-verify warmed up: respawns take milliseconds
    with VerifierPool(workers=2, timeout_s=TIMEOUT_S, start_method="fork", grace_s=GRACE_S, chunk_size=4) as p:
        yield p


@pytest.mark.parametrize("item", [f"garbage:{k}" for k in sorted(GARBAGE)] + ["raise:x", "exit", "die", "segfault",
                                                                               "deaf"])
def test_each_fault_is_a_counted_zero_and_its_neighbours_are_scored(pool, item):
    items = ["ok:1", "ok:0.5", item, "ok:0.25", "ok:0"]
    got = pool.score_many([R(i) for i in items])
    assert [(s.accuracy, s.error) for s in got] == [expected(i) for i in items]
    assert pool.score_many([R("ok:1")])[0].accuracy == 1.0  # and the pool still works


def test_a_worker_killed_from_outside_while_idle_is_replaced(pool):
    assert pool.score_many([R("ok:1")] * 4)[0].accuracy == 1.0
    victims = [w.proc.pid for w in pool._workers]
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    got = pool.score_many([R("ok:0.5")] * 10)
    assert [s.accuracy for s in got] == [0.5] * 10 and all(s.error is None for s in got)
    assert not set(victims) & {w.proc.pid for w in pool._workers}


ITEM = st.one_of(st.sampled_from(["ok:1", "ok:0", "ok:0.5"]),
                 st.sampled_from([f"garbage:{k}" for k in sorted(GARBAGE)] + ["raise:k", "exit", "die", "segfault"]),
                 st.sampled_from(["spin", "deaf"]))


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(ITEM, min_size=1, max_size=12).filter(lambda xs: sum(x in ("spin", "deaf") for x in xs) <= 2))
def test_random_mixes_of_faults(pool, items):
    t = time.perf_counter()
    got = pool.score_many([R(i) for i in items])
    elapsed = time.perf_counter() - t
    assert [(s.accuracy, s.error) for s in got] == [expected(i) for i in items]
    assert elapsed < 2 * (TIMEOUT_S + GRACE_S) + 3.0  # at most two hangs, each bounded
    assert pool.score_many([R("ok:1"), R("ok:0")])[1].error is None
