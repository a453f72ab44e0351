"""OCR families: rendered words, numbers, equations, code and tables; each module registers one."""

from . import code, equations, numbers, tables, words  # noqa: F401
