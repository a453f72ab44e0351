"""Shared fixtures: tests never touch the network; they build the tiny model and data they need."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("DS_ACCELERATOR", "cpu")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # deterministic float reductions (pinned values) and no oversubscription

import pytest  # noqa: E402

from helpers import rl_overrides  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """The embedded tiny VLM, built once per test session."""
    from mmreason.tiny_model import init_model

    return str(init_model(tmp_path_factory.mktemp("models") / "tiny", size="tiny", seed=0))


@pytest.fixture(scope="session")
def tiny_policy(tiny_model_dir):
    from mmreason.model import load_policy

    return load_policy(tiny_model_dir)


@pytest.fixture(scope="session")
def count_data(tmp_path_factory):
    """Small count-puzzle train/heldout datasets (level 1, the demo task), built once per session."""
    from data_builders import build_dataset

    root = tmp_path_factory.mktemp("count_data")
    train = build_dataset("puzzles", root / "train", n=48, seed=0, split="train", difficulty="1", families=["count"],
                          image_size=112)
    held = build_dataset("puzzles", root / "heldout", n=16, seed=0, split="heldout", difficulty="1",
                         families=["count"], image_size=112)
    return {"train": str(train), "heldout": str(held)}


@pytest.fixture(scope="session")
def sft_model_dir(tmp_path_factory, tiny_model_dir, count_data):
    """The tiny model after a short cold-start SFT on the count puzzles: it writes the R1 format, so RL
    rewards vary within groups (an untrained model scores 0 everywhere and gets no gradient)."""
    from mmreason.config import load_config
    from mmreason.pipeline import run_training

    run = tmp_path_factory.mktemp("sft_run")
    run_training(load_config(None, rl_overrides(run, tiny_model_dir, count_data, "sft.steps=80", "sft.lr=3e-3", "sft.schedule=constant",
                                                "sft.batch_size=16", "sft.micro_batch_size=16", "train.steps=0",
                                                "eval.sampled=false")))
    return str(run / "sft_model")
