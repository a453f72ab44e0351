"""OCR families: rendered words, numbers, equations, code and tables; each module registers one."""

from . import code, equations, numbers, tables, words  # noqa: F401
from . import receipt, table_units  # noqa: F401,E402  (families set B)
