"""Modality adapters: dataset rows → `mmreason.types.Sample`, one small adapter per modality.

Importing the package registers the built-in adapters (vqa, ocr, puzzles, text_math, video) in `ADAPTERS`; a config
names one of them or an import path ('my_pkg.adapters:MyAdapter') resolved by `get_adapter`.
"""

from .base import ADAPTERS, BaseAdapter, ModalityAdapter, get_adapter
from .io import BadRow, DataFile, ImageBytes, find_data_file, read_rows, resolve_image
from .loading import SkipReport, load_samples
from . import ocr, puzzles, text_math, vqa  # noqa: E402,F401  (registration)
from . import video  # noqa: E402,F401  (registration)

__all__ = ["ADAPTERS", "BaseAdapter", "ModalityAdapter", "get_adapter", "BadRow", "DataFile",
           "ImageBytes", "find_data_file", "read_rows", "resolve_image", "SkipReport", "load_samples"]
