"""Characters that change what a reader sees without being seen: answers holding them are refused.

A verifier compares text; a reader sees glyphs. They differ when the text holds characters that render as
nothing or that rearrange or overlay their neighbours, so an answer that *looks* like the gold could score
differently from what a reader checks (or `\\u202e15` could be credited for 51 while showing "51" reversed).
Every verifier refuses such an answer with the counted reason `hidden_characters` (a gold holding one is
`bad_gold`). Refused, after NFC composition:

    format characters (Unicode category Cf): zero-width space/joiners U+200B–U+200D, word joiner U+2060,
        BOM U+FEFF, soft hyphen U+00AD, bidirectional marks and controls U+200E/F, U+202A–U+202E,
        U+2066–U+2069, U+061C, invisible operators U+2061–U+2064, tag characters U+E0000–U+E007F, …
    control characters (category Cc) other than whitespace (tab, newlines, …)
    invisible letters and marks: U+034F (combining grapheme joiner), variation selectors U+FE00–U+FE0F and
        U+E0100–U+E01EF, Hangul fillers U+115F, U+1160, U+3164, U+FFA0, U+17B4/U+17B5, Mongolian free
        variation selectors U+180B–U+180F, braille blank U+2800
    a combining mark (category M*) on an ASCII character or at the very start: it overlays a digit, a letter
        or a bracket (`5̸`, `1⃣`); accented letters compose under NFC and are not affected

Safe to normalise, and normalised by the verifiers (each per its module): whitespace of every kind (NBSP,
thin and narrow spaces, ideographic space, line separators) reads as a plain space; NFKC where the verifier
documents it (`exact`, `numeric`, `integer`); NFC for transcriptions (`ocr_*`, where `²` and `2` differ).
"""

from __future__ import annotations

import re
import unicodedata

_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # \t \n \v \f \r are whitespace
_INVISIBLE = frozenset(chr(c) for c in (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180E,
                                        0x180F, 0x2800, 0x3164, 0xFFA0))


def _invisible(c: str) -> bool:
    o = ord(c)
    if c in _INVISIBLE or 0xFE00 <= o <= 0xFE0F or 0xE0100 <= o <= 0xE01EF:
        return True
    cat = unicodedata.category(c)
    return cat == "Cf" or (cat == "Cc" and not c.isspace())


def hidden_character(text: str) -> str | None:
    """The first character of `text` that a reader cannot see as written (see the module doc), else None."""
    if text.isascii():
        m = _ASCII_CONTROL.search(text)
        return m.group(0) if m else None
    prev = ""
    for c in unicodedata.normalize("NFC", text):
        if _invisible(c):
            return c
        if prev.isascii() and unicodedata.category(c).startswith("M"):  # on ASCII, or on nothing at all
            return c
        prev = c
    return None


def describe(c: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE` (for messages and test ids)."""
    return f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}"
