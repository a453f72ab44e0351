"""Safe loading: checkpoint files are read with `torch.load(weights_only=True)`, so a file holding a pickled object
whose `__reduce__` would run code is refused with a CheckpointError naming it and nothing runs; RNG states are
stored as tensors and plain data and restore exactly; import paths named in configs resolve only to importable
dotted names, with one clear error otherwise."""

import random

import numpy as np
import pytest
import torch

from mmreason.backends.torch_backend import STATE_FILE, TorchBackend
from mmreason.errors import CheckpointError, ConfigError, MMReasonError
from mmreason.registry import load_object
from mmreason.safe_load import load_state_file
from mmreason.trainer.checkpoint import load_checkpoint, rng_state, set_rng_state


class Payload:
    """Unpickling it would create `marker` (as an attacker's `os.system` would run a command)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def backend_with_a_step():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    backend = TorchBackend(model, torch.optim.AdamW(model.parameters(), lr=0.1), grad_clip=1.0,
                           weights_in_state=True)
    backend.backward(model(torch.ones(3, 4)).sum())
    backend.step()
    return backend


def test_a_checkpoint_written_by_mmreason_loads_with_weights_only(tmp_path):
    backend = backend_with_a_step()
    backend.save(tmp_path, {"step": 3, "scheduler": {"last_epoch": 3}, "mixture": {"seed": 1, "sources": {}}})
    torch.save(rng_state(), tmp_path / "rng_rank0.pt")
    fresh = backend_with_a_step()
    fresh.module.weight.data.zero_()
    state = load_checkpoint(tmp_path, fresh)
    assert state["step"] == 3 and torch.equal(fresh.module.weight, backend.module.weight)
    a, b = backend.optimizer.state_dict()["state"][0], fresh.optimizer.state_dict()["state"][0]
    assert torch.equal(a["exp_avg"], b["exp_avg"]) and torch.equal(a["exp_avg_sq"], b["exp_avg_sq"])


@pytest.mark.parametrize("victim", [STATE_FILE, "rng_rank0.pt"])
def test_a_malicious_pickle_in_a_checkpoint_is_refused_not_run(tmp_path, victim):
    backend = backend_with_a_step()
    backend.save(tmp_path, {"step": 1})
    torch.save(rng_state(), tmp_path / "rng_rank0.pt")
    marker = tmp_path / "pwned"
    payload = {"step": 1, "optimizer": backend.optimizer.state_dict(), "x": Payload(marker)}
    torch.save(payload if victim == STATE_FILE else {"torch": Payload(marker)}, tmp_path / victim)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tmp_path, backend_with_a_step())
    assert not marker.exists()  # nothing ran
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / victim}: refused to load") and "nothing in it was run" in msg
    assert "\n" not in msg and isinstance(e.value, MMReasonError)  # the CLI prints it as one line, exit code 2


def test_an_old_style_rng_file_with_numpy_objects_is_refused_clearly(tmp_path):
    torch.save({"numpy": np.random.get_state(), "python": random.getstate()}, tmp_path / "rng.pt")
    with pytest.raises(CheckpointError, match="refused to load.*numpy"):
        load_state_file(tmp_path / "rng.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "rng.pt").read_bytes()[:100])
    with pytest.raises(CheckpointError, match="cut.pt: not a readable checkpoint file"):
        load_state_file(tmp_path / "cut.pt")


def test_rng_states_are_plain_and_restore_exactly(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    np.random.normal()  # leaves a cached Gaussian in numpy's legacy state
    torch.save(rng_state(), tmp_path / "rng.pt")
    draw = lambda: (random.random(), np.random.normal(), np.random.rand(), torch.rand(2).tolist())  # noqa: E731
    want = draw()
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    set_rng_state(load_state_file(tmp_path / "rng.pt"))
    assert draw() == want


@pytest.mark.parametrize("path, match", [
    ("mmreason.registry.Registry", "must look like 'package.module:Name'"),
    ("../evil:Thing", "must look like"), ("os:", "must look like"), ("a:b:c", "must look like"),
    ("mod with space:X", "must look like"), ("no_such_pkg_xyz:Thing", "cannot import module 'no_such_pkg_xyz'"),
    ("mmreason.registry:Nope", "has no attribute 'Nope'"),
    ("broken_at_import:Adapter", "importing module 'broken_at_import' from 'broken_at_import:Adapter' failed: "
                                 "RuntimeError: boom"),
    ("syntax_error_mod:Adapter", "importing module 'syntax_error_mod' .* failed: SyntaxError"),
])
def test_import_paths_resolve_only_to_importable_names(tmp_path, monkeypatch, path, match):
    from modalities import get_adapter

    (tmp_path / "broken_at_import.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "syntax_error_mod.py").write_text("def f(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MMReasonError, match=match):
        load_object(path)
    if ":" in path:
        with pytest.raises((MMReasonError, ConfigError), match=match):
            get_adapter(path)
