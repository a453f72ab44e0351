"""The update backend owns its state: save(dir, state) / load(dir) restore weights and optimizer exactly."""

import copy

import pytest
import torch

from mmreason.backends import TorchBackend
from mmreason.trainer.checkpoint import save_model
from mmreason.trainer.optim import make_optimizer


def one_step(backend):
    model = backend.module
    ids = torch.tensor([[1, 2, 3, 4]])
    loss = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits.square().mean()
    backend.backward(loss)
    return backend.step()


def test_torch_backend_round_trips_weights_optimizer_and_state(tiny_policy, tmp_path):
    model = copy.deepcopy(tiny_policy.model)
    backend = TorchBackend(model, make_optimizer(model, 1e-3), grad_clip=1.0)
    one_step(backend)
    save_model(model, tiny_policy.processor, tmp_path / "model")
    backend.save(tmp_path, {"step": 7, "note": "x"})
    saved = {n: p.detach().clone() for n, p in model.named_parameters()}
    saved_opt = copy.deepcopy(backend.optimizer.state_dict())
    one_step(backend)                                               # move away from the saved point
    assert any(not torch.equal(saved[n], p) for n, p in model.named_parameters())

    fresh = copy.deepcopy(tiny_policy.model)
    restored = TorchBackend(fresh, make_optimizer(fresh, 1e-3), grad_clip=1.0)
    state = restored.load(tmp_path)
    assert state["step"] == 7 and state["note"] == "x"
    assert all(torch.equal(saved[n], p) for n, p in fresh.named_parameters())
    got = restored.optimizer.state_dict()["state"]
    assert got.keys() == saved_opt["state"].keys()
    assert all(torch.equal(got[k]["exp_avg"], saved_opt["state"][k]["exp_avg"]) for k in got)
    # the next step from the restored backend equals the next step from the saved one
    a, b = copy.deepcopy(restored), restored
    assert one_step(a) == pytest.approx(one_step(b))


def test_loading_a_checkpoint_of_another_backend_says_so(tiny_policy, tmp_path):
    model = copy.deepcopy(tiny_policy.model)
    backend = TorchBackend(model, make_optimizer(model, 1e-3), grad_clip=1.0)
    (tmp_path / "deepspeed").mkdir()
    with pytest.raises(FileNotFoundError, match="no trainer_state.pt"):
        backend.load(tmp_path)
