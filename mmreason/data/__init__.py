"""Training data: config sources loaded through modality adapters, mixed by weight with a resumable position."""

from .mixture import Mixture, derive_seed
from .sources import LoadedSource, load_source, load_sources, skip_summary

__all__ = ["Mixture", "derive_seed", "LoadedSource", "load_source", "load_sources", "skip_summary"]
