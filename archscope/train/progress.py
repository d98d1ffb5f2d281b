"""Progress reporting: the trainer calls a ``ProgressSink``; ``RichProgress`` draws a
rich progress bar with the loss and throughput on stderr."""

from __future__ import annotations

import time
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class ProgressSink(Protocol):
    def start(self, *, total: int, completed: int) -> None: ...

    def step(self, *, step: int, loss: float, images_per_s: float) -> None: ...

    def note(self, text: str) -> None: ...

    def stop(self) -> None: ...


class Silent:
    """No output (other processes of a distributed job, library use)."""

    def start(self, *, total: int, completed: int) -> None:
        pass

    def step(self, *, step: int, loss: float, images_per_s: float) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass


class RichProgress:
    """A bar with step M/N, loss, images/s, elapsed and remaining time (stderr).

    It is redrawn from the training loop, at most ``REFRESH_S`` apart, not by rich's
    refresh thread: on a 2-core machine a thread waking up during a step stalls torch's
    worker threads.
    """

    REFRESH_S = 0.5

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}"),
            TextColumn("{task.fields[speed]:.1f} img/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            auto_refresh=False,
        )
        self._task = None
        self._drawn = 0.0

    def start(self, *, total: int, completed: int) -> None:
        self._task = self._progress.add_task("train", total=total, completed=completed, loss=float("nan"), speed=0.0)
        self._progress.start()

    def step(self, *, step: int, loss: float, images_per_s: float) -> None:
        self._progress.update(self._task, completed=step, loss=loss, speed=images_per_s)
        now = time.monotonic()
        if now - self._drawn >= self.REFRESH_S:
            self._progress.refresh()
            self._drawn = now

    def note(self, text: str) -> None:
        self._progress.console.print(text, highlight=False)

    def stop(self) -> None:
        self._progress.stop()
