"""Progress bars for ``read_killmails(progress=True)``: tqdm when it is
installed (``tqdm.auto``, so a widget in notebooks), else a plain one-line
bar on standard error."""

from __future__ import annotations

import sys
import time
import warnings
from types import TracebackType
from typing import Protocol


class Bar(Protocol):
    def update(self, n: int) -> object: ...

    def close(self) -> None: ...


class PlainBar:
    """A text bar redrawn in place at most five times a second."""

    def __init__(self, total: int, desc: str, unit: str = "B") -> None:
        self.total = max(total, 1)
        self.desc = desc
        self.unit = unit
        self.done = 0
        self.started = time.monotonic()
        self.drawn = 0.0
        self.drawn_done = -1
        self._draw()

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.drawn >= 0.2 or self.done >= self.total:
            self._draw()

    def _draw(self) -> None:
        self.drawn = time.monotonic()
        self.drawn_done = self.done
        frac = min(self.done / self.total, 1.0)
        filled = int(frac * 30)
        elapsed = self.drawn - self.started
        if self.unit == "B":
            rate = self.done / elapsed / 1e6 if elapsed > 0 else 0.0
            counts = f"{self.done / 1e6:,.1f}/{self.total / 1e6:,.1f} MB ({rate:,.1f} MB/s)"
        else:
            counts = f"{self.done:,}/{self.total:,} {self.unit}"
        sys.stderr.write(
            f"\r{self.desc} [{'=' * filled}{' ' * (30 - filled)}] {frac:6.1%} {counts}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.drawn_done != self.done:
            self._draw()
        sys.stderr.write("\n")
        sys.stderr.flush()


def make_bar(total: int, desc: str, unit: str = "B") -> Bar:
    """A bar counting ``unit``: ``B`` (bytes of files) or ``records``."""
    try:
        with warnings.catch_warnings():
            # tqdm.auto falls back to its text bar without ipywidgets, and warns.
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm
    except ImportError:
        return PlainBar(total, desc, unit)
    if unit == "B":
        bar: Bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)
    else:
        bar = tqdm(total=total, desc=desc, unit=f" {unit}", unit_scale=True)
    return bar


class Progress:
    """Context manager handing the extension module a callback counting
    bytes (files) or records (in-memory input)."""

    def __init__(self, total: int, desc: str, unit: str = "B") -> None:
        self.bar = make_bar(total, desc, unit)

    def __call__(self, nbytes: int) -> None:
        self.bar.update(nbytes)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.bar.close()
