"""Measured latencies of networks, read from a CSV (``archscope calibrate --from``).

One row per network: a ``family`` column, hyper-parameter columns spelled as the CLI
spells them (``widths`` "24,48,96"; a column may be named ``head-channels`` or
``head_channels``) and ``fps`` or ``latency_ms``; ``source`` and ``note`` columns are
documentation. Values are read by the family's ``HyperParam.parse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from archscope.families import FAMILIES, HyperError

#: columns that are neither hyper-parameters nor the measurement
NOTES = ("source", "note")


class MeasurementError(ValueError):
    """A measurement file that cannot be read (one line naming the row or column)."""


@dataclass(frozen=True)
class Measured:
    """One measured network."""

    family: str
    hyper: dict[str, Any]
    seconds: float


def read_measurements(path: Path) -> list[Measured]:
    """Every row of ``path``; ``MeasurementError`` names what is wrong."""
    frame = _read(path)
    if frame.empty:
        raise MeasurementError(f"{str(path)!r} has no rows")
    if "family" not in frame or not ({"fps", "latency_ms"} & set(frame)):
        raise MeasurementError(f"{str(path)!r} needs a 'family' column and an 'fps' or 'latency_ms' column")
    return [_row(index + 2, row) for index, row in frame.iterrows()]


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise MeasurementError(f"no such file {str(path)!r}") from None
    except pd.errors.EmptyDataError:
        raise MeasurementError(f"{str(path)!r} is empty: no rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise MeasurementError(f"{str(path)!r} is not a readable CSV ({str(error).splitlines()[0]})") from None


def _row(line: int, row: pd.Series) -> Measured:
    family = FAMILIES.get(row["family"])
    if family is None:
        raise MeasurementError(f"row {line}: unknown family {row['family']!r}")
    hyper = {}
    for column, text in row.items():
        if column in ("family", "fps", "latency_ms", *NOTES) or text == "":
            continue
        try:
            hyper[column.replace("-", "_")] = family.param(column.replace("-", "_")).parse(text)
        except HyperError as error:
            raise MeasurementError(f"row {line} column {column}: {error}") from None
    try:
        seconds = 1 / float(row["fps"]) if row.get("fps", "") != "" else float(row["latency_ms"]) / 1e3
    except (ValueError, ZeroDivisionError):
        raise MeasurementError(f"row {line}: bad fps/latency_ms value") from None
    if not seconds > 0:
        raise MeasurementError(f"row {line}: fps/latency_ms must be positive")
    return Measured(family.name, hyper, seconds)
