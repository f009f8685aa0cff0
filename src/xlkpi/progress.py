"""A one-line progress display on stderr, shown only to a person watching a terminal."""

from __future__ import annotations

import time
from typing import IO


class Progress:
    """Files done / total and sheets per second; silent unless `shown` and after `delay` s."""

    def __init__(self, stream: IO[str], *, shown: bool, delay: float = 1.0) -> None:
        self.stream = stream
        self.total = 0
        self.shown = shown
        self.delay = delay
        self.start = time.monotonic()
        self.done = 0
        self.sheets = 0
        self.drawn = False

    def __call__(self, total: int, sheets: int) -> None:
        """One more file of `total` read, with this many sheets."""
        self.total = total
        self.done += 1
        self.sheets += sheets
        elapsed = time.monotonic() - self.start
        if not self.shown or elapsed < self.delay:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        rate = self.sheets / elapsed if elapsed else 0.0
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            f"\r読み込み中 [{bar}] {self.done}/{self.total} ファイル  {rate:,.0f} シート/秒"
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
