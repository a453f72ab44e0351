"""Hardened execution of verifiers: every verification bounded in time, no crash, no silent skip.

`VerifierPool.score_many(requests)` returns one Score per request, in order, always:
- a completion over `max_chars` is Score(0, error="too_long") and never leaves this process;
- an unknown verifier name is "unknown_verifier", a request of the wrong types "bad_request";
- an exception inside a verifier is "error:<ExceptionType>"; a return value that is not a clean Score (accuracy
  not a finite number in [0, 1], fields of the wrong types, details not str → number) is "error:<…>" too;
- a worker that dies (exit, signal, segfault) scores its current item "crashed"; the rest of its chunk re-runs;
- an item that runs past `timeout_s` is "timeout", and only that item: the rest of its chunk runs on.

How time is bounded. Requests go to worker processes in chunks (one IPC round-trip per chunk, not per
item). Before each item a worker writes the item's index and start time into shared memory, then runs
it under a SIGALRM "soft" deadline of `timeout_s` (interrupts Python-level loops such as sympy's
simplify, and the worker lives on). Code stuck inside one C call cannot be interrupted by a signal, so
the parent watches the shared start times and kills a worker whose item is `grace_s` past the
deadline: that item is scored "timeout" (or "crashed" if the worker died by itself), the results the
worker had already sent are kept, the rest of its chunk is re-queued and a fresh worker replaces it.

Workers start with the "forkserver" method by default: a clean process that has imported
mmreason.rewards and math-verify once (so replacements fork in milliseconds) and that inherits no
threads, CUDA state or locks from a trainer. "fork" (inherits everything, including verifiers
registered at run time) and "spawn" are available. Verifiers registered outside mmreason.rewards are
found in "forkserver"/"spawn" workers only when their module is listed in `imports`.

`score_one` runs one request in this process with the same guards except the kill: its time bound
is the SIGALRM soft deadline, which works only in the main thread and cannot stop a stuck C call.
It is meant for tests, benchmarks and debugging; training should use the pool.
"""

from __future__ import annotations

import importlib
import math
import multiprocessing as mp
import pickle
import signal
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Mapping, Sequence

from ..errors import MMReasonError
from ..types import Score
from .base import VERIFIERS

DEFAULT_MAX_CHARS = 20000
_FLUSH_S = 0.05      # a worker sends finished results at least this often while busy
_START_TIMEOUT_S = 120.0


@dataclass
class VerifyRequest:
    """One completion to check against its gold answer with the named verifier (picklable)."""
    completion: str
    gold: str
    verifier: str
    options: Mapping[str, Any] = field(default_factory=dict)


_WARM_UP = VerifyRequest("<answer>\\frac{1}{2}</answer>", "0.5", "math", {"fast_path": False})


class _SoftTimeout(BaseException):
    """Raised by SIGALRM inside a verification; a BaseException so `except Exception` cannot eat it."""


def _raise_soft_timeout(signum, frame):
    raise _SoftTimeout()


def _run_with_deadline(fn, timeout_s: float | None):
    """fn() under a SIGALRM soft deadline of timeout_s (main thread only; elsewhere no bound)."""
    if not timeout_s or threading.current_thread() is not threading.main_thread():
        return fn()
    old = signal.signal(signal.SIGALRM, _raise_soft_timeout)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, old)


def precheck(req: Any, max_chars: int) -> Score | None:
    """The zero Score for a request that must not be run (wrong types, too long, unknown verifier)."""
    if not (isinstance(req, VerifyRequest) and isinstance(req.completion, str) and isinstance(req.gold, str)
            and isinstance(req.verifier, str) and isinstance(req.options, Mapping)):
        return Score(0.0, None, "bad_request")
    if len(req.completion) > max_chars:
        return Score(0.0, None, "too_long")
    if req.verifier not in VERIFIERS:
        return Score(0.0, None, "unknown_verifier")
    return None


def _sanitize(score: Any) -> Score:
    """A clean, picklable Score from whatever a verifier returned; garbage is a counted zero (error:<…>).
    Accuracy must be a finite number in [0, 1] (float noise of 1e-9 is clamped); extracted and error must be
    str or None, details a dict of str → finite number."""
    if not isinstance(score, Score):
        return Score(0.0, None, f"error:BadReturn({type(score).__name__})")
    extracted, error, details = score.extracted, score.error, score.details
    if type(extracted) not in (str, type(None)) or type(error) not in (str, type(None)):
        return Score(0.0, None, "error:BadReturn(Score fields)")
    try:
        acc = float(score.accuracy)
    except Exception:  # noqa: BLE001 - a __float__ that raises anything is garbage too
        return Score(0.0, extracted, "error:BadAccuracy")
    if not math.isfinite(acc):
        return Score(0.0, extracted, "error:NonFiniteAccuracy")
    if not -1e-9 <= acc <= 1.0 + 1e-9:
        return Score(0.0, extracted, "error:AccuracyOutOfRange")
    try:
        clean = {k: float(v) for k, v in details.items()} if type(details) is dict else None
    except Exception:  # noqa: BLE001
        clean = None
    if clean is None or any(type(k) is not str or not math.isfinite(v) for k, v in clean.items()):
        return Score(0.0, extracted, "error:BadReturn(details)")
    return Score(min(1.0, max(0.0, acc)), extracted, error, clean)


def score_one(req: VerifyRequest, max_chars: int = DEFAULT_MAX_CHARS, timeout_s: float | None = None) -> Score:
    """Verify one request in this process: every guard of the pool except the kill (see module doc)."""
    zero = precheck(req, max_chars)
    if zero is not None:
        return zero
    verifier = VERIFIERS.get(req.verifier)
    try:
        score = _run_with_deadline(lambda: verifier(req.completion, req.gold, req.options), timeout_s)
    except _SoftTimeout:
        return Score(0.0, None, "timeout")
    except Exception as e:  # noqa: BLE001 - any verifier failure is a counted zero, never a crash
        return Score(0.0, None, f"error:{type(e).__name__}")
    return _sanitize(score)


def _pack(s: Score) -> tuple:
    return (s.accuracy, s.extracted, s.error, s.details)


def _worker_main(conn, progress, timeout_s: float, max_chars: int, imports: tuple[str, ...]) -> None:
    """Worker loop: receive a chunk [(index, request)], stream back [(index, packed Score)]."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and closes us
    try:
        importlib.import_module("mmreason.rewards")
        for name in imports:
            importlib.import_module(name)
        score_one(_WARM_UP)  # math-verify's first call builds its parser (~0.1 s): not on a real item's clock
        conn.send(("ready",))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        conn.send(("error", traceback.format_exc(limit=3)))
        return
    try:
        while (chunk := conn.recv()) is not None:
            out, last = [], time.monotonic()
            for index, req in chunk:
                progress[0] = -1.0  # (index, start) are read by the parent's watchdog
                progress[1] = time.monotonic()
                progress[0] = float(index)
                out.append((index, _pack(score_one(req, max_chars, timeout_s))))
                if time.monotonic() - last > _FLUSH_S:
                    conn.send(("results", out))
                    out, last = [], time.monotonic()
            progress[0] = -1.0
            conn.send(("results", out))
    except (EOFError, OSError):  # the parent went away
        return


class _Worker:
    """One worker process, its pipe, its shared (item index, start time) slot and its pending items."""

    def __init__(self, ctx, timeout_s: float, max_chars: int, imports: tuple[str, ...]):
        self.conn, child = ctx.Pipe(duplex=True)
        self.progress = ctx.RawArray("d", [-1.0, 0.0])
        self.proc = ctx.Process(target=_worker_main, name="mmreason-verifier", daemon=True,
                                args=(child, self.progress, timeout_s, max_chars, imports))
        self.proc.start()
        child.close()
        self.pending: set[int] = set()

    def started_at(self) -> float | None:
        """Start time of the item being verified now, None when idle between items."""
        return self.progress[1] if self.progress[0] >= 0 else None

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(2.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class VerifierPool:
    """Worker processes that verify requests with a per-item time bound (see the module docstring).

    workers: processes (0 = run in this process via `score_one`: no isolation, no kill);
    timeout_s: per-item bound; max_chars: longer completions are "too_long" without being sent;
    start_method: "forkserver" (default on Linux), "fork" or "spawn"; imports: modules that register
    extra verifiers, imported here and in every worker; chunk_size: items per IPC message (default: adaptive,
    ≤ 64); grace_s: how long past timeout_s a worker stuck in C code gets before it is killed.
    One caller at a time; close() (or a `with` block) ends the workers.
    """

    def __init__(self, workers: int = 1, timeout_s: float = 2.0, max_chars: int = DEFAULT_MAX_CHARS, *,
                 start_method: str | None = None, imports: Sequence[str] = (), chunk_size: int | None = None,
                 grace_s: float | None = None):
        if workers < 0 or timeout_s <= 0 or max_chars <= 0:
            raise ValueError("VerifierPool needs workers >= 0, timeout_s > 0 and max_chars > 0")
        if start_method is None:
            start_method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self.workers, self.timeout_s, self.max_chars = workers, float(timeout_s), max_chars
        self.start_method, self.imports, self.chunk_size = start_method, tuple(imports), chunk_size
        self.grace_s = max(0.5, 0.25 * self.timeout_s) if grace_s is None else grace_s
        for name in self.imports:  # here too, so that requests naming their verifiers pass the precheck
            try:
                importlib.import_module(name)
            except ImportError as e:
                raise MMReasonError(f"cannot import verifier module '{name}': {e}") from None
        self.restarts = 0  # workers replaced after a kill or a crash (a metric worth logging)
        self._workers: list[_Worker] = []
        self._ctx = None
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "VerifierPool":
        """Start the workers and wait until they have imported the verifiers (done lazily otherwise)."""
        if self._workers or self.workers == 0:
            return self
        self._ctx = mp.get_context(self.start_method)
        if self.start_method == "forkserver":
            self._ctx.set_forkserver_preload(["mmreason.rewards", "math_verify"])  # plugins: each worker
        self._workers = [self._spawn() for _ in range(self.workers)]
        for w in self._workers:
            try:
                msg = w.conn.recv() if w.conn.poll(_START_TIMEOUT_S) else ("error", "no answer within "
                                                                            f"{_START_TIMEOUT_S:.0f} s")
            except (EOFError, OSError):
                w.proc.join(5.0)
                msg = ("error", f"the worker exited with code {w.proc.exitcode}")
            self._handle(w, msg, [])
        return self

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self.timeout_s, self.max_chars, self.imports)

    def close(self) -> None:
        """Stop all workers (idempotent)."""
        workers, self._workers = self._workers, []
        for w in workers:
            w.stop()

    def __enter__(self) -> "VerifierPool":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- scoring ---------------------------------------------------------------------------------
    def score_many(self, requests: Sequence[VerifyRequest]) -> list[Score]:
        """One Score per request, in order; never raises for anything a request contains."""
        requests = list(requests)
        results: list[Score | None] = [precheck(r, self.max_chars) for r in requests]
        todo = [i for i, r in enumerate(results) if r is None]
        if self.workers == 0:
            for i in todo:
                results[i] = score_one(requests[i], self.max_chars, self.timeout_s)
        elif todo:
            with self._lock:
                self._run(requests, todo, results)
        return results  # type: ignore[return-value]

    def _run(self, requests: list, todo: list[int], results: list) -> None:
        self.start()
        size = self.chunk_size or max(1, min(64, math.ceil(len(todo) / (4 * len(self._workers)))))
        queue = deque(todo[k:k + size] for k in range(0, len(todo), size))
        attempts: dict[int, int] = {}
        while queue or any(w.pending for w in self._workers):
            for w in self._workers:
                if not w.pending and queue:
                    self._send(w, queue.popleft(), requests, results)
            busy = [w for w in self._workers if w.pending]
            if not busy:
                continue
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], self._wait_s(busy))
            for w in busy:
                if w.conn in ready:
                    self._drain(w, results)
            now = time.monotonic()
            for k, w in enumerate(self._workers):
                if not w.pending:
                    continue
                started = w.started_at()
                overdue = started is not None and now - started > self.timeout_s + self.grace_s
                if overdue or not w.proc.is_alive():
                    self._replace(k, results, queue, attempts, killed=overdue)

    def _wait_s(self, busy: list[_Worker]) -> float:
        now, limit = time.monotonic(), self.timeout_s + self.grace_s
        deadlines = [s + limit - now for s in (w.started_at() for w in busy) if s is not None]
        return max(0.005, min(deadlines)) if deadlines else 0.05

    def _send(self, w: _Worker, idxs: list[int], requests: list, results: list) -> None:
        items = [(i, requests[i]) for i in idxs]
        try:
            w.conn.send(items)
        except (pickle.PicklingError, TypeError, AttributeError):
            items = [(i, r) for i, r in items if self._picklable(i, r, results)]
            if items:
                try:
                    w.conn.send(items)
                except OSError:
                    pass  # the worker died: the loop notices and re-queues the items
        except OSError:
            pass
        w.pending = {i for i, _ in items}

    @staticmethod
    def _picklable(i: int, r: VerifyRequest, results: list) -> bool:
        try:
            pickle.dumps(r)
            return True
        except Exception:  # noqa: BLE001 - options holding objects that cannot travel
            results[i] = Score(0.0, None, "bad_request")
            return False

    def _drain(self, w: _Worker, results: list) -> None:
        """Read every message the worker has sent so far."""
        try:
            while w.conn.poll():
                self._handle(w, w.conn.recv(), results)
        except (EOFError, OSError):
            pass

    def _handle(self, w: _Worker, msg: tuple, results: list) -> None:
        if msg[0] == "results":
            for i, packed in msg[1]:
                results[i] = Score(*packed)
                w.pending.discard(i)
        elif msg[0] == "error":
            self.close()
            raise MMReasonError(f"verifier worker failed to start (imports {list(self.imports)}):\n{msg[1]}")

    def _replace(self, k: int, results: list, queue: deque, attempts: dict[int, int], killed: bool) -> None:
        """Kill worker k (if alive), score its stuck item, re-queue the rest of its chunk, start a new one."""
        w = self._workers[k]
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join()
        self._drain(w, results)
        index, started = int(w.progress[0]), w.progress[1]
        if index in w.pending:
            if not killed:
                results[index] = Score(0.0, None, "crashed")
                w.pending.discard(index)
            elif time.monotonic() - started >= self.timeout_s:
                results[index] = Score(0.0, None, "timeout")
                w.pending.discard(index)
        rest = []
        for i in sorted(w.pending):
            attempts[i] = attempts.get(i, 0) + 1
            if attempts[i] > 2:  # lost with its worker three times: charge it rather than loop forever
                results[i] = Score(0.0, None, "crashed")
            else:
                rest.append(i)
        if rest:
            queue.appendleft(rest)
        w.pending = set()
        w.conn.close()
        self._workers[k] = self._spawn()
        self.restarts += 1
