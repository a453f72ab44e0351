"""Text-only families (no image): the text side of an image-text mixture; each module registers one."""

from . import word_math  # noqa: F401
