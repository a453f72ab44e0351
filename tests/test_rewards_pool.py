"""The hardened pool (timeouts, kills, crashes, no leaks) and the composite reward with its metrics."""

import multiprocessing as mp
import os
import time

import pytest

from mmreason.errors import MMReasonError
from mmreason.rewards import VERIFIERS, VerifierPool, VerifyRequest, score_one
from mmreason.types import Score


# Test-only verifiers. They exist in this process, so the pools that use them start workers with "fork".
def _spin(completion, gold, options):
    while True:  # a Python-level loop: the worker's SIGALRM soft deadline interrupts it
        pass


def _stuck_in_c(completion, gold, options):
    return Score(float(sum(range(10 ** 13)) == 0))  # one C call that ignores signals: only a kill ends it


def _raise(completion, gold, options):
    raise ValueError("boom")


def _die(completion, gold, options):
    os._exit(3)


def _bad_return(completion, gold, options):
    return None


def _nan(completion, gold, options):
    return Score(float("nan"))


for _name, _fn in [("test_spin", _spin), ("test_stuck_in_c", _stuck_in_c), ("test_raise", _raise),
                   ("test_die", _die), ("test_bad_return", _bad_return), ("test_nan", _nan)]:
    if _name not in VERIFIERS:
        VERIFIERS.register(_name, _fn)


def R(answer, gold="5", verifier="math", options=None):
    return VerifyRequest(f"<think>r</think><answer>{answer}</answer>", gold, verifier, options or {})


def ours():
    return [p for p in mp.active_children() if p.name == "mmreason-verifier"]


@pytest.fixture(scope="module")
def fork_pool():
    with VerifierPool(workers=1, timeout_s=0.5, start_method="fork", grace_s=0.3) as pool:
        yield pool


def test_default_pool_scores_in_order_like_score_one():
    before = len(ours())
    reqs = [R(str(i % 7), gold=str(i % 5)) for i in range(150)]
    reqs += [R("\\frac{1}{2}", "0.5"), R("B", "Paris", "choice", {"choices": ["Rome", "Paris"]}),
             R("helo", "hello", "ocr_cer"), R("[0,0,10,10]", "[0,0,10,20]", "box_iou")]
    with VerifierPool(workers=2, timeout_s=2.0) as pool:  # forkserver: only built-in verifiers
        got = pool.score_many(reqs)
        assert len(ours()) == before + 2
    assert [(s.accuracy, s.error) for s in got] == [(score_one(r).accuracy, score_one(r).error) for r in reqs]
    assert got[-1].accuracy == 0.5 and got[-2].details["cer"] == pytest.approx(0.2)
    assert len(ours()) == before  # closed: no process left behind


def test_too_long_never_leaves_the_process(fork_pool):
    t = time.perf_counter()
    got = fork_pool.score_many([R("x" * 1_000_000), R("5")])
    assert [(s.accuracy, s.error) for s in got] == [(0.0, "too_long"), (1.0, None)]
    assert time.perf_counter() - t < 0.5


def test_python_level_hang_times_out_and_the_worker_survives(fork_pool):
    restarts = fork_pool.restarts
    t = time.perf_counter()
    got = fork_pool.score_many([R("5"), R("x", verifier="test_spin"), R("5")])
    elapsed = time.perf_counter() - t
    assert [(s.accuracy, s.error) for s in got] == [(1.0, None), (0.0, "timeout"), (1.0, None)]
    assert elapsed < 0.5 + 0.5
    assert fork_pool.restarts == restarts  # the soft deadline was enough


def test_c_level_hang_is_killed_and_only_that_item_is_zeroed():
    before = len(ours())
    with VerifierPool(workers=1, timeout_s=0.5, start_method="fork", grace_s=0.3, chunk_size=50) as pool:
        reqs = [R(str(i % 3), gold="1") for i in range(40)]
        reqs[17] = R("x", verifier="test_stuck_in_c")
        t = time.perf_counter()
        got = pool.score_many(reqs)
        elapsed = time.perf_counter() - t
        assert got[17].error == "timeout" and got[17].accuracy == 0.0
        assert [s.accuracy for i, s in enumerate(got) if i != 17] == [float(i % 3 == 1) for i in range(40) if i != 17]
        assert elapsed < 0.5 + 0.3 + 1.0
        assert pool.restarts == 1
        assert pool.score_many([R("1", gold="1")])[0].accuracy == 1.0  # keeps working with the new worker
        assert len(ours()) == before + 1  # the killed worker is reaped, its replacement runs
    assert len(ours()) == before


@pytest.mark.parametrize("verifier, error", [
    ("test_raise", "error:ValueError"),
    ("test_bad_return", "error:BadReturn(NoneType)"),
    ("test_nan", "error:NonFiniteAccuracy"),
    ("test_die", "crashed"),
    ("no_such_verifier", "unknown_verifier"),
])
def test_failures_are_counted_zeros(fork_pool, verifier, error):
    got = fork_pool.score_many([R("5"), R("5", verifier=verifier), R("5")])
    assert [(s.accuracy, s.error) for s in got] == [(1.0, None), (0.0, error), (1.0, None)]


def test_bad_requests(fork_pool):
    got = fork_pool.score_many([VerifyRequest(None, "5", "math"), "not a request", R("5", options={"f": lambda: 1}),
                                R("5")])
    assert [s.error for s in got] == ["bad_request", "bad_request", "bad_request", None]


def test_worker_startup_failure_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(MMReasonError, match="cannot import verifier module 'no_such_module_for_test'"):
        VerifierPool(workers=1, imports=["no_such_module_for_test"])
    (tmp_path / "mmr_test_child_fails.py").write_text(
        "import multiprocessing\nif multiprocessing.parent_process() is not None:\n    raise RuntimeError('no GPU here')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = len(ours())
    with pytest.raises(MMReasonError, match="failed to start(.|\n)*no GPU here"):
        VerifierPool(workers=1, imports=["mmr_test_child_fails"]).start()  # forkserver: imports afresh
    assert len(ours()) == before


def test_in_process_mode_and_score_one_soft_timeout():
    pool = VerifierPool(workers=0, timeout_s=0.3)
    got = pool.score_many([R("5"), R("x", verifier="test_spin"), R("x" * 30_000)])
    assert [s.error for s in got] == [None, "timeout", "too_long"]
    assert score_one(R("x", verifier="test_raise")).error == "error:ValueError"


PLUGIN = '''
from mmreason.rewards import VERIFIERS
from mmreason.types import Score

@VERIFIERS.register("test_plugin_upper")
def upper(completion, gold, options):
    return Score(float(completion.upper() == gold))
'''


def test_forkserver_workers_import_plugin_verifiers(tmp_path, monkeypatch):
    (tmp_path / "mmr_test_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    with VerifierPool(workers=1, imports=["mmr_test_plugin"]) as pool:
        got = pool.score_many([VerifyRequest("abc", "ABC", "test_plugin_upper"),
                               VerifyRequest("abc", "X", "test_plugin_upper")])
    assert [s.accuracy for s in got] == [1.0, 0.0]
