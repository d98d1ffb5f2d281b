"""Progress of a cohort: one line over the networks (M/N trained) and, under it, the
bar of the network being trained (the trainer's ``ProgressSink``), both in one rich
display on stderr (rich draws one live display at a time)."""

from __future__ import annotations

import time
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class CohortSink(Protocol):
    """What the cohort runner reports (and, as a ``ProgressSink``, the trainer)."""

    def begin(self, *, total: int, done: int) -> None: ...

    def network(self, name: str, label: str) -> None: ...

    def finished(self, *, done: int, total: int, line: str) -> None: ...

    def message(self, text: str) -> None: ...

    def close(self) -> None: ...

    # the trainer's ProgressSink
    def start(self, *, total: int, completed: int) -> None: ...

    def step(self, *, step: int, loss: float, images_per_s: float) -> None: ...

    def note(self, text: str) -> None: ...

    def stop(self) -> None: ...


class SilentCohort:
    """No output (library use)."""

    def begin(self, *, total: int, done: int) -> None:
        pass

    def network(self, name: str, label: str) -> None:
        pass

    def finished(self, *, done: int, total: int, line: str) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass

    def start(self, *, total: int, completed: int) -> None:
        pass

    def step(self, *, step: int, loss: float, images_per_s: float) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass


class RichCohort:
    """``networks 3/11`` and ``row3 (8,16,32 | 1,24,24)  step 120/300 loss ...``; redrawn
    from the training loop at most ``REFRESH_S`` apart (no refresh thread, see
    ``archscope.train.progress.RichProgress``)."""

    REFRESH_S = 0.5

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            auto_refresh=False,
        )
        self._networks = None
        self._train = None
        self._name = ""
        self._drawn = 0.0

    def begin(self, *, total: int, done: int) -> None:
        self._networks = self._progress.add_task("networks", total=total, completed=done, info="trained")
        self._progress.start()
        self._progress.refresh()

    def network(self, name: str, label: str) -> None:
        self._name = name
        self._progress.update(self._networks, info=f"trained; now {name} ({label})")
        self._progress.refresh()

    def finished(self, *, done: int, total: int, line: str) -> None:
        self._progress.update(self._networks, completed=done, total=total, info="trained")
        self._progress.console.print(line, highlight=False)
        self._progress.refresh()

    def message(self, text: str) -> None:
        self._progress.console.print(text, highlight=False)
        self._progress.refresh()

    def close(self) -> None:
        self._progress.stop()

    def start(self, *, total: int, completed: int) -> None:
        self._train = self._progress.add_task(f"  {self._name}", total=total, completed=completed, info="")
        self._progress.refresh()

    def step(self, *, step: int, loss: float, images_per_s: float) -> None:
        self._progress.update(self._train, completed=step, info=f"loss {loss:.4f}  {images_per_s:.1f} img/s")
        now = time.monotonic()
        if now - self._drawn >= self.REFRESH_S:
            self._progress.refresh()
            self._drawn = now

    def note(self, text: str) -> None:
        self._progress.console.print(f"{self._name}: {text}", highlight=False)

    def stop(self) -> None:
        if self._train is not None:
            self._progress.remove_task(self._train)
            self._train = None
        self._progress.refresh()
