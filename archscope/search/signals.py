"""Stopping a search cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from typing import Any

import optuna


class GracefulStop:
    """Ctrl-C (SIGINT) or SIGTERM during a search: finish the running trial, then stop.

    A KeyboardInterrupt raised at an arbitrary point could land inside a storage's
    locking or commit code (Optuna's journal file lock, for one, then raises a
    RuntimeError instead); a flag checked between trials cannot. A second signal
    interrupts at once. Handlers are installed only in the main thread.
    """

    def __init__(self) -> None:
        self.requested = False
        self._saved: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            self.__exit__()
            raise KeyboardInterrupt
        self.requested = True

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if self.requested:
            study.stop()

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()
