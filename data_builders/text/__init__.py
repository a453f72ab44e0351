"""Text-only families (no image): the text side of an image-text mixture; each module registers one."""

from . import number_list, word_math  # noqa: F401
