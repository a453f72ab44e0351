"""Shared fixtures: tests never touch the network; they build the tiny model and data they need."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("DS_ACCELERATOR", "cpu")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """The embedded tiny VLM, built once per test session."""
    from mmreason.tiny_model import init_model

    return str(init_model(tmp_path_factory.mktemp("models") / "tiny", size="tiny", seed=0))


@pytest.fixture(scope="session")
def tiny_policy(tiny_model_dir):
    from mmreason.model import load_policy

    return load_policy(tiny_model_dir)
