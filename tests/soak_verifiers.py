"""Verifiers with injected faults for the soak tier (tests/test_soak.py), named in the config by
`reward.imports: [soak_verifiers]` so the verifier workers import them too.

`flaky` scores like `exact`, except that, decided by a hash of the completion (so a rerun faults on the same
completions): ~4% raise, ~1.5% hang in Python (ended by the pool's soft deadline) and ~0.5% hang with SIGALRM
blocked (only the pool's kill ends it; a fresh worker replaces the killed one)."""

import hashlib
import signal
import time

from mmreason.rewards import VERIFIERS


def fault_of(completion: str) -> str | None:
    h = int(hashlib.sha256(completion.encode()).hexdigest()[:8], 16) % 1000
    return "raise" if h < 40 else "hang" if h < 55 else "deaf" if h < 60 else None


def flaky(completion, gold, options):
    kind = fault_of(completion)
    if kind == "raise":
        raise ValueError("injected fault")
    if kind == "hang":
        time.sleep(3600)
    if kind == "deaf":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
    return VERIFIERS.get("exact")(completion, gold, options)


if "flaky" not in VERIFIERS:
    VERIFIERS.register("flaky", flaky)
