"""Third-party notices that mean nothing to a user of mmreason, hidden by default (`mmreason --show-warnings`, or
MMREASON_SHOW_WARNINGS=1, shows them).

Each entry is one library logger and the message fragments dropped from it; everything else it logs still shows.
Filters sit on the logger object itself, so they hold from before the library is imported (DeepSpeed creates its
logger at import time and keeps the filters a logger already has).
"""

from __future__ import annotations

import logging
import os

NOISE = {
    # printed on every command that imports DeepSpeed on a machine without a GPU: CPU is what mmreason asked for
    "DeepSpeed": ("Setting accelerator to CPU",),
}


class DropMessages(logging.Filter):
    """Drops records whose message contains one of `fragments`."""

    def __init__(self, fragments: tuple[str, ...]):
        super().__init__()
        self.fragments = fragments

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not any(f in msg for f in self.fragments)


def hide_third_party_noise(show: bool = False) -> bool:
    """Install the filters (once); `show` or MMREASON_SHOW_WARNINGS=1 leaves every notice visible. Returns whether
    the filters are active."""
    if show or os.environ.get("MMREASON_SHOW_WARNINGS") == "1":
        return False
    for name, fragments in NOISE.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropMessages) for f in logger.filters):
            logger.addFilter(DropMessages(fragments))
    return True
