"""The networks of a cohort: rows of a search run (its front, every feasible trial, or
chosen rows of ``pareto.csv``) and the family's presets as baselines (NDNet29/45/61).

Each is described once, as plain data (``Member``): its name (the folder it trains in:
``row3``, ``trial17``, ``ndnet45``), its configuration as the run's tables spell it, the
hyper-parameters it is trained with (the run's fixed ones and the row's, minus what
training sets itself: ``archscope.train.model.NOT_TRAINED``) and the search's metrics at
the run's setting (layers, params, MACs, predicted latency and fps on the run's device
and input size, with the run's head and classes), so that accuracy is compared with
what the search optimised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from archscope.families import get_family
from archscope.families.hyper import text
from archscope.search.folder import RunError, row_config
from archscope.search.objectives import evaluate
from archscope.train.model import NOT_TRAINED

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.folder import SearchRun

#: the search metrics a cohort reports for each network
METRIC_COLUMNS = ("layers", "params", "macs", "latency_ms", "fps")


class CohortError(ValueError):
    """Bad input: an unknown row or baseline, a run without a front (one line)."""


class Kind(StrEnum):
    FRONT = "front"  # a point of the run's Pareto front (a row of pareto.csv)
    TRIAL = "trial"  # a feasible trial of the run (a row of trials.csv)
    BASELINE = "baseline"  # a preset of the family (a paper's network)


@dataclass(frozen=True)
class Member:
    """One network of a cohort, as plain data (stored with its trial in the work list)."""

    name: str
    kind: str
    family: str
    label: str  # the varying hyper-parameters: "8,16,32 | 1,24,24"
    config: dict[str, str]  # every searched hyper-parameter, as the run's tables spell it
    train: dict[str, Any]  # the hyper-parameters it is trained with (TrainConfig.hyper)
    metrics: dict[str, float]  # METRIC_COLUMNS at the run's setting

    def as_attr(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_attr(cls, data: Mapping[str, Any]) -> Member:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def parse_rows(spec: str) -> str | list[int]:
    """``front``, ``all`` or row numbers of pareto.csv (``0,3,5``)."""
    cleaned = spec.strip().lower()
    if cleaned in ("front", "all"):
        return cleaned
    try:
        rows = [int(item) for item in cleaned.split(",")]
    except ValueError:
        raise CohortError(f"{spec!r} is not front, all or row numbers of pareto.csv (e.g. 0,3,5)") from None
    if any(row < 0 for row in rows):
        raise CohortError(f"{spec!r}: row numbers start at 0")
    return list(dict.fromkeys(rows))


def _member(run: SearchRun, profile: DeviceProfile, *, name: str, kind: Kind, hyper: Mapping[str, Any]) -> Member:
    """A network of ``run``'s family with build arguments ``hyper`` (over the run's fixed ones)."""
    space = run.space
    family = get_family(space.family)
    full = {**space.fixed, **hyper}
    shown = [p.hyper for p in space.parameters]
    varying = [p.hyper for p in space.parameters if p.size() > 1] or shown
    metrics = evaluate(space.family, full, profile)
    return Member(
        name=name,
        kind=kind.value,
        family=space.family,
        label=" | ".join(text(full[h]) for h in varying if h in full),
        config={h: text(full[h]) for h in shown if h in full},
        train=family.plain({k: v for k, v in full.items() if k not in NOT_TRAINED}),
        metrics={m: metrics[m] for m in METRIC_COLUMNS},
    )


def _row_members(run: SearchRun, profile: DeviceProfile, frame: pd.DataFrame, names: list[str], kind: Kind,
                 table: str) -> list[Member]:
    family = get_family(run.space.family)
    members = []
    for name, row in zip(names, frame.to_dict(orient="records")):
        hyper = row_config(family, row, where=f"{table} {name}")
        members.append(_member(run, profile, name=name, kind=kind, hyper=hyper))
    return members


def front_members(run: SearchRun, profile: DeviceProfile, rows: str | list[int]) -> list[Member]:
    """The rows asked for: the front, every feasible trial (``all``) or rows of pareto.csv."""
    if rows == "all":
        feasible = run.feasible.drop_duplicates(subset=[p.hyper for p in run.space.parameters])
        if feasible.empty:
            raise CohortError(f"{run.path} has no feasible trial in trials.csv: nothing to train")
        names = [f"trial{int(number)}" for number in feasible["trial"]]
        return _row_members(run, profile, feasible, names, Kind.TRIAL, "trials.csv")
    pareto = run.pareto
    if pareto.empty:
        raise CohortError(f"{run.path} has no front (pareto.csv has no rows): nothing to train")
    chosen = list(range(len(pareto))) if rows == "front" else rows
    missing = [row for row in chosen if row >= len(pareto)]
    if missing:
        raise CohortError(f"{missing[0]} is not a row of {run.path / 'pareto.csv'} (it has rows 0..{len(pareto) - 1})")
    return _row_members(run, profile, pareto.iloc[chosen], [f"row{row}" for row in chosen], Kind.FRONT, "pareto.csv")


def baseline_members(run: SearchRun, profile: DeviceProfile, names: str) -> list[Member]:
    """The family's presets named in ``names`` (``ndnet29,NDNet45``), under the run's setting."""
    family = get_family(run.space.family)
    presets = {name.lower(): name for name in family.presets}
    members = []
    for asked in (item.strip() for item in names.split(",") if item.strip()):
        preset = presets.get(asked.lower())
        if preset is None:
            known = ", ".join(family.presets) or "none"
            raise CohortError(f"unknown baseline {asked!r} ({family.name}'s presets: {known})")
        members.append(_member(run, profile, name=preset, kind=Kind.BASELINE, hyper=family.presets[preset].hyper))
    if not members:
        raise CohortError(f"{names!r} names no baseline")
    return members


def choose(run: SearchRun, profile: DeviceProfile, *, rows: str | None, baselines: str | None) -> list[Member]:
    """The cohort's networks: the rows, then the baselines (each name once)."""
    members = front_members(run, profile, parse_rows(rows)) if rows else []
    if baselines:
        members += baseline_members(run, profile, baselines)
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise CohortError(f"a network is named twice ({', '.join(names)})")
    return members


__all__ = ["CohortError", "Kind", "METRIC_COLUMNS", "Member", "RunError", "choose", "parse_rows"]
