"""A cohort folder read back (for reports): ``cohort.toml`` (the recipe and where the
networks came from), ``summary.csv`` and each network's ``<name>/metrics.csv``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from archscope.cohort.runner import CONFIG_FILE
from archscope.cohort.summary import SUMMARY, read_summary
from archscope.search.folder import RunError


@dataclass(frozen=True)
class CohortFolder:
    path: Path
    config: Mapping[str, Any]
    summary: pd.DataFrame

    @property
    def recipe(self) -> Mapping[str, Any]:
        return self.config.get("recipe", {})

    @property
    def cohort(self) -> Mapping[str, Any]:
        return self.config.get("cohort", {})

    @property
    def trained(self) -> pd.DataFrame:
        """The networks with results."""
        return self.summary[self.summary["state"] == "done"].dropna(subset=["miou"])

    def metrics(self, name: str) -> pd.DataFrame:
        """The network's metrics.csv (empty when it has none: trained on another machine)."""
        path = self.path / name / "metrics.csv"
        if not path.is_file():
            return pd.DataFrame(columns=["step", "phase", "loss", "miou"])
        return pd.read_csv(path)


def is_cohort(path: Path) -> bool:
    return (path / CONFIG_FILE).is_file()


def load_cohort(path: str | Path) -> CohortFolder:
    """Read a cohort folder; ``RunError`` (one line) names what is missing or unreadable."""
    folder = Path(path)
    for name in (CONFIG_FILE, SUMMARY):
        if not (folder / name).is_file():
            raise RunError(f"{str(folder)!r} has no {name} (archscope train --from RUN --rows ... --out DIR writes it)")
    try:
        config = tomllib.loads((folder / CONFIG_FILE).read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise RunError(f"{folder / CONFIG_FILE}: not readable TOML ({error})") from None
    try:
        summary = read_summary(folder)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise RunError(f"{folder / SUMMARY} is not a readable CSV ({str(error).splitlines()[0]})") from None
    missing = [c for c in ("name", "kind", "fps", "miou", "state") if c not in summary]
    if missing:
        raise RunError(f"{folder / SUMMARY} has no column(s) {', '.join(missing)}")
    return CohortFolder(path=folder, config=config, summary=summary)
