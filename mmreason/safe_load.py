"""Loading state files without unpickling arbitrary objects.

Every `.pt` file mmreason reads back (`trainer_state.pt`, `rng_rank<r>.pt`) is loaded with
`torch.load(weights_only=True)`: tensors, numbers, strings, None and lists/tuples/dicts of them. A file that holds
anything else (a pickled object whose `__reduce__` would run code, or a checkpoint from an older mmreason that
pickled numpy arrays) is refused with a `CheckpointError` naming it: nothing in it is executed. DeepSpeed's own
checkpoint files (`deepspeed/`) are read by DeepSpeed, see `mmreason.backends.deepspeed_backend`.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError


def load_state_file(path: str | Path, map_location: str | None = "cpu") -> Any:
    """`torch.load(path, weights_only=True)`; a refused or unreadable file is a CheckpointError naming it."""
    path = Path(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).split("WeightsUnpickler error: ", 1)[-1].splitlines()[0]
        raise CheckpointError(f"{path}: refused to load: it holds Python objects other than tensors and plain data "
                              f"({first}); it was not written by this version of mmreason or was tampered with, "
                              "and nothing in it was run") from None
    except (RuntimeError, EOFError, OSError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint file ({first})") from None
