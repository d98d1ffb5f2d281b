"""A search run folder read back (for reports and training): ``config.toml``,
``trials.csv`` and ``pareto.csv`` as ``archscope search --out DIR`` writes them (see
``archscope.search.run``).

A row of a run table names its configuration in columns spelled as the CLI spells the
hyper-parameters (``widths`` "16,32,64", ``conv`` "grouped"); ``row_config`` reads
them back with the family's ``HyperParam.parse``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from archscope.families import DEFAULT_FAMILY, Family, HyperError, get_family
from archscope.search.space import SearchSpace, SpaceError, space_from_dict
from archscope.train.model import NOT_TRAINED

RUN_FILES = ("config.toml", "trials.csv", "pareto.csv")
#: columns a report reads from trials.csv (the metrics and the configuration)
TRIAL_COLUMNS = ("layers", "params", "fps", "feasible")


class RunError(ValueError):
    """A folder that is not a readable search run."""


@dataclass(frozen=True)
class SearchRun:
    """A finished (or interrupted) search run, as plain data."""

    path: Path
    config: Mapping[str, Any]
    space: SearchSpace
    trials: pd.DataFrame
    pareto: pd.DataFrame

    @property
    def finished(self) -> pd.DataFrame:
        """Completed trials with their metrics (failed or pruned ones have none; an
        exhaustive run's configurations are all complete)."""
        done = self.trials[self.trials["state"] == "COMPLETE"]
        return done.dropna(subset=["layers", "fps"])

    @property
    def feasible(self) -> pd.DataFrame:
        finished = self.finished
        return finished[finished["feasible"]]

    @property
    def command(self) -> str:
        """The command that ran the search (empty when the config does not say)."""
        return str(self.config.get("run", {}).get("command", ""))

    @property
    def repeat_command(self) -> str:
        return f"archscope search --space {self.path / 'config.toml'}"


def load_run(path: str | Path) -> SearchRun:
    """Read a run folder; ``RunError`` (one line) names what is missing or unreadable."""
    folder = Path(path)
    if not folder.exists():
        raise RunError(f"no such folder {str(folder)!r}")
    if not folder.is_dir():
        raise RunError(f"{str(folder)!r} is not a folder (expected an archscope search run folder)")
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if len(missing) == len(RUN_FILES):
        raise RunError(f"{str(folder)!r} is not a search run folder: it has none of {', '.join(RUN_FILES)} "
                       "(archscope search --out DIR writes them)")
    if missing:
        raise RunError(f"{str(folder)!r} has no {' or '.join(missing)} (a run folder has {', '.join(RUN_FILES)})")
    config = _read_config(folder / "config.toml")
    if not isinstance(config.get("space"), dict):
        raise RunError(f"{folder / 'config.toml'} has no [space] table (archscope search writes one)")
    try:
        space = space_from_dict(config, origin=str(folder / "config.toml"))
    except SpaceError as error:
        raise RunError(str(error)) from None
    trials = _read_csv(folder / "trials.csv", TRIAL_COLUMNS)
    pareto = _read_csv(folder / "pareto.csv", ("layers", "params", "fps"))
    trials["feasible"] = trials["feasible"].map(_truth)
    if "state" not in trials:  # an exhaustive run: every configuration, all evaluated
        trials.insert(0, "state", "COMPLETE")
    return SearchRun(path=folder, config=config, space=space, trials=trials, pareto=pareto)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise RunError(f"{path}: malformed TOML ({error})") from None
    except UnicodeDecodeError:
        raise RunError(f"{path}: not a UTF-8 text file") from None


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise RunError(f"{path} is empty (not even a header line)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise RunError(f"{path} is not a readable CSV ({str(error).splitlines()[0]})") from None
    absent = [column for column in required if column not in frame]
    if absent:
        raise RunError(f"{path} has no column(s) {', '.join(absent)}")
    return frame


def _truth(value: Any) -> bool:
    """``feasible`` as written by pandas (True/False) or read back as text."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value) if pd.notna(value) else False


#: hyper-parameters a row does not set when it is read to train: a run sets its classes,
#: batch and crop itself, and a searched backbone is trained with its family's default head
NOT_FROM_ROW = NOT_TRAINED


def row_config(family: Family, row: Mapping[str, Any], *, where: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The hyper-parameters named by the columns of ``row`` (others ignored; empty cells
    and ``skip`` too); ``RunError`` names a cell that cannot be read."""
    config = {}
    for name, param in family.hyper.items():
        cell = row.get(name)
        if name in skip or cell is None or (isinstance(cell, float) and cell != cell) or not str(cell).strip():
            continue
        try:
            config[name] = param.parse(str(cell).strip())
        except HyperError as error:
            raise RunError(f"{where} column {name}: {error}") from None
    return config


def read_row(folder: str | Path, index: int) -> tuple[str, dict[str, Any]]:
    """(family, hyper-parameters to train) of row ``index`` (0 = first) of a run's
    ``pareto.csv``. The family is the ``family`` column, else ``ndnet``."""
    path = Path(folder) / "pareto.csv"
    if not path.is_file():
        raise RunError(f"{folder} has no pareto.csv (expected an archscope search run folder)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise RunError(f"{path} is not a readable CSV: {str(error).splitlines()[0]}") from None
    if not 0 <= index < len(frame):
        raise RunError(f"{index} is not a row of {path} (it has rows 0..{len(frame) - 1})")
    row = frame.iloc[index].to_dict()
    try:
        family = get_family((row.get("family") or DEFAULT_FAMILY).strip())
    except KeyError as error:
        raise RunError(f"{path.name} family: {error.args[0]}") from None
    return family.name, row_config(family, row, where=f"{path.name} row {index}", skip=NOT_FROM_ROW)
