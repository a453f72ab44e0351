"""Procedural, rule-verifiable training data for vision-language reasoning: puzzles and OCR.

    from data_builders import build_dataset, check_overlap
    build_dataset("puzzles", "data/count", n=1000, seed=0, split="train", difficulty="1", families=["count"])

Layout of a dataset directory, each row's fields and the trust checks are described in `dataset.py` and in the
manifest each build writes. Families register themselves in `data_builders.core.FAMILIES[kind]`.
"""

from .core import FAMILIES, GENERATOR_VERSION, BuildError, SelfCheckError, load_families
from .dataset import build_dataset, check_overlap, overlap_report
from .visibility import View, smart_resize
from .writer import read_rows

__all__ = ["FAMILIES", "GENERATOR_VERSION", "BuildError", "SelfCheckError", "View", "build_dataset",
           "check_overlap", "families", "load_families", "overlap_report", "read_rows", "smart_resize"]


def families(kind: str) -> list[str]:
    """Registered family names of a kind ('puzzles' or 'ocr')."""
    load_families()
    return FAMILIES[kind].names()
