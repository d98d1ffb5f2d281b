"""A configuration from a row of a search run's ``pareto.csv``.

Columns named like a hyper-parameter of the family (``widths``, ``depths``,
``expansion``, ...) are parsed exactly as the CLI options are (``widths`` as
``"16,32,64"``); other columns (``params``, ``fps``, ...) are ignored, and so are the
hyper-parameters a training run sets itself (classes, batch, resolution) and ``head``:
a searched backbone is trained with its family's default (FCN32) head. The family is
the ``family`` column, or ``ndnet`` when there is none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import typer

from archscope.cli.options import family_options, parsed
from archscope.families import get_family

DEFAULT_FAMILY = "ndnet"
NOT_FROM_ROW = ("classes", "batch", "resolution", "head")


def read_search_row(run_dir: Path, row: int) -> tuple[str, dict[str, Any]]:
    """(family name, hyper-parameters) of row ``row`` (0 = first data row)."""
    path = run_dir / "pareto.csv"
    if not path.is_file():
        raise typer.BadParameter(
            f"{run_dir} has no pareto.csv (expected an archscope search run folder)", param_hint="'--from'"
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise typer.BadParameter(
            f"{path} is not a readable CSV: {str(error).splitlines()[0]}", param_hint="'--from'"
        ) from None
    if not 0 <= row < len(frame):
        raise typer.BadParameter(
            f"{row} is not a row of {path} (it has rows 0..{len(frame) - 1})", param_hint="'--row'"
        )
    record = frame.iloc[row]
    family_name = (record.get("family") or DEFAULT_FAMILY).strip()
    try:
        family = get_family(family_name)
    except KeyError as error:
        raise typer.BadParameter(str(error.args[0]), param_hint=f"'{path.name} family'") from None
    _, converters = family_options(family)
    hyper = {}
    for name, convert in converters.items():
        if name in NOT_FROM_ROW or name not in record.index or not record[name].strip():
            continue
        text = record[name].strip().strip("[]()")
        where = f"{path.name} row {row} column {name}"
        try:
            hyper[name] = parsed(where, convert, text)
        except ValueError as error:  # an enum value the family does not know
            raise typer.BadParameter(str(error), param_hint=f"'{where}'") from None
    return family.name, hyper
