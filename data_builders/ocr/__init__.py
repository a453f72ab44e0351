"""OCR families: rendered words, numbers, equations, code and tables; each module registers one."""

from . import code, equations, numbers, tables, words  # noqa: F401
from . import receipt, table_units  # noqa: F401,E402  (families set B)
from . import glyph_count  # noqa: F401,E402  (reading by counting glyphs)
