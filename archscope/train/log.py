"""``OUT/metrics.csv``: one row per training step (phase ``train``) and per evaluation
(phase ``eval``, step 0 is before the first step), flushed as it is written.
``elapsed_s`` counts training seconds since the run began (evaluations and checkpoints
excluded, resumed sessions added up).

On resume the rows of steps after the checkpoint (a killed run may have logged a few) are
dropped, so every step appears once.
"""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path
from typing import Any

BASE_COLUMNS = ("step", "phase", "loss", "lr", "images_per_s", "elapsed_s", "miou", "pixel_accuracy")


def iou_column(class_name: str) -> str:
    return "iou_" + re.sub(r"\W+", "_", class_name.strip().lower())


class MetricsLog:
    def __init__(self, path: Path, classes: tuple[str, ...]) -> None:
        self.path = path
        self.columns = [*BASE_COLUMNS, *(iou_column(name) for name in classes)]
        self._handle: Any = None
        self._writer: Any = None

    def open(self, *, keep_until: int | None = None) -> None:
        """Start a new file, or (``keep_until``) keep the complete rows up to that step."""
        rows = self._complete_rows(keep_until) if keep_until is not None else []
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        with open(temporary, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.columns)
            writer.writerows(rows)
        os.replace(temporary, self.path)
        self._handle = open(self.path, "a", newline="")
        self._writer = csv.DictWriter(self._handle, fieldnames=self.columns)

    def _complete_rows(self, last_step: int) -> list[list[str]]:
        if not self.path.is_file():
            return []
        with open(self.path, newline="") as handle:
            lines = list(csv.reader(handle))
        if not lines or lines[0] != self.columns:
            return []
        return [
            row for row in lines[1:] if len(row) == len(self.columns) and row[0].isdigit() and int(row[0]) <= last_step
        ]

    def write(self, row: dict[str, Any]) -> None:
        self._writer.writerow({key: _cell(value) for key, value in row.items()})
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return value
