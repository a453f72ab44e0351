"""User-facing errors: one clear line naming what and where; the CLI prints them without a traceback."""

from __future__ import annotations


class MMReasonError(Exception):
    """An error caused by the user's input (config, files, names), not by a bug in mmreason."""


class ConfigError(MMReasonError):
    """A config file that does not parse, an unknown key, a wrong type or an invalid value."""


class DataError(MMReasonError):
    """Bad input data. Names the file, the row and the field when they are known."""

    def __init__(self, message: str, *, file: str | None = None, row: int | str | None = None,
                 field: str | None = None):
        self.file, self.row, self.field = file, row, field
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")


class ModelError(MMReasonError):
    """A missing or corrupt model directory, or a processor without an image processor."""


class PromptError(MMReasonError):
    """A prompt that cannot be fed to the model (too long, image-token mismatch)."""


class CheckpointError(MMReasonError):
    """A checkpoint file that cannot be read safely (not written by mmreason, tampered with, or corrupt)."""
