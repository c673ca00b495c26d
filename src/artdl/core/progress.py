"""Progress bars that read well both live and in a committed, executed notebook.

Live (a terminal or Jupyter by hand) they are ``tqdm.auto``'s bars. When the pipeline runner
executes a notebook headless (it sets ``ARTDL_HEADLESS=1``), a widget bar would be stored as its
text fallback, "0%| 0/3", which on GitHub reads as if training never ran; and a text bar stores
every refresh. So headless, each loop writes exactly one line, when it ends, with its final count
and time, to stdout.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm import std

__all__ = ["LineTqdm", "headless", "install"]


def headless() -> bool:
    """True when a notebook runs under ``python -m artdl run`` (or ``ARTDL_HEADLESS=1`` is set)."""
    return os.environ.get("ARTDL_HEADLESS", "") not in ("", "0")


class LineTqdm(std.tqdm):
    """A tqdm that prints one line when the loop closes, nothing while it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("file", sys.stdout)
        kwargs["mininterval"] = float("inf")
        kwargs.setdefault("ncols", 100)
        kwargs.setdefault("ascii", True)
        self._closing = False
        super().__init__(*args, **kwargs)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if not self._closing or not self.leave:
            return False  # nothing shown, so tqdm has no line to clear with a "\r"
        self.fp.write(self.__str__() if msg is None else msg)
        return True

    def close(self) -> None:
        if self.disable or self._closing:
            return super().close()
        self._closing = True
        super().close()


def install() -> None:
    """Headless, make ``tqdm.auto.tqdm`` (which artdl and most libraries import) the line bar."""
    if not headless():
        return
    import tqdm.auto
    import tqdm.autonotebook

    tqdm.auto.tqdm = LineTqdm
    tqdm.autonotebook.tqdm = LineTqdm
