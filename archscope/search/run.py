"""A search run's folder: ``trials.csv``, ``pareto.csv`` and ``config.toml``.

``pareto.csv`` has one row per front point: ``family``, the searched hyper-parameters as
the CLI spells them (``widths`` "24,48,96", ``depths``, ``expansion``; ERFNet's ``conv``
"grouped"), the metrics (``layers``, ``width`` and ``max_width`` when the family has
widths, ``params``, ``macs``, ``latency_ms``, ``fps``),
``feasible``, ``alternatives`` (other configurations with the same objective values) and
``trial`` (its number in the study; empty for exhaustive runs); ``miou`` too in an
accuracy-aware search. ``trials.csv`` has every trial (or every configuration of an
exhaustive run) with its state, worker, parameter values, metrics and constraint
violations, and in an accuracy-aware search the training steps its proxy training ran
(``proxy_steps``; 0 for infeasible candidates, which are not trained, and for
configurations trained before, ``same_as_trial``). ``config.toml`` is the resolved run: the
space under ``[space]`` and the sampler, seed, trials, storage and study under
``[run]``; ``archscope search --space DIR/config.toml`` repeats the run.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd
from optuna.trial import TrialState

from archscope.search.exhaustive import config_columns
from archscope.search.objectives import METRICS
from archscope.search.pareto import front
from archscope.search.objective import ATTR
from archscope.search.toml_out import dumps

if TYPE_CHECKING:
    import optuna

    from archscope.search.space import SearchSpace

PARETO_METRICS = ("layers", "width", "max_width", "params", "macs", "latency_ms", "fps", "miou")
#: what a trial of an accuracy-aware search records about its proxy training
PROXY_COLUMNS = ("proxy_steps", "same_as_trial")


def default_run_name(space: str, sampler: str, now: dt.datetime | None = None) -> str:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"{space}-{sampler}-{stamp}"


def trials_frame(study: optuna.Study, space: SearchSpace) -> pd.DataFrame:
    """Every trial of the study, one row each; the metrics the family has (``width``
    needs a ``widths`` tuple)."""
    rows = []
    trials = study.get_trials(deepcopy=False)
    found = {name for t in trials for name in t.user_attrs.get(ATTR, {}).get("metrics", {})}
    metrics = [name for name in METRICS if name in found] or list(METRICS)
    for trial in trials:
        info = trial.user_attrs.get(ATTR, {})
        row: dict[str, Any] = {"trial": trial.number, "state": trial.state.name, "worker": info.get("worker", "")}
        row.update({p.hyper: info.get("config", {}).get(p.hyper, "") for p in space.parameters})
        entries = info.get("entries", {})
        row.update({name: entries.get(name, trial.params.get(name)) for name in space.names})
        row.update({name: info.get("metrics", {}).get(name) for name in metrics})
        row.update({name: info[name] for name in PROXY_COLUMNS if name in info})
        for key, value in trial.constraints.items():
            row[f"violation[{key}]"] = value
        row["feasible"] = bool(info.get("feasible", False)) and trial.state is TrialState.COMPLETE
        start, end = trial.datetime_start, trial.datetime_complete
        row["duration_s"] = (end - start).total_seconds() if start and end else None
        rows.append(row)
    columns = ["trial", "state", "worker", *(p.hyper for p in space.parameters), *space.names, *metrics, "feasible", "duration_s"]
    frame = pd.DataFrame(rows, columns=list(dict.fromkeys([*columns, *(k for r in rows for k in r)])))
    return frame


def completed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["state"] == "COMPLETE"] if "state" in frame else frame


def pareto_frame(frame: pd.DataFrame, space: SearchSpace) -> pd.DataFrame:
    """The run's front in ``pareto.csv``'s columns."""
    points = front(completed(frame), space.objectives, config_columns=config_columns(space), prefer=space.defaults())
    out = pd.DataFrame({"family": [space.family] * len(points)})
    for column in config_columns(space):
        out[column] = points[column].to_numpy()
    for metric in PARETO_METRICS:
        if metric in points:
            out[metric] = points[metric].to_numpy()
    out["feasible"] = points["feasible"].astype(bool).to_numpy()
    out["alternatives"] = points["alternatives"].astype(int).to_numpy()
    out["trial"] = points["trial"].to_numpy() if "trial" in points else pd.Series([pd.NA] * len(points), dtype="Int64")
    for column in ("layers", "width", "max_width", "params", "macs"):
        if column in out:
            out[column] = out[column].astype(np.int64)
    return out


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Atomically (several workers may write the same run folder)."""
    _atomic_write(path, frame.to_csv(index=False, float_format="%.6g"))


def write_config(path: Path, space: SearchSpace, run: Mapping[str, Any], result: Mapping[str, Any]) -> None:
    header = (
        "archscope search: the resolved configuration of this run.\n"
        f"Repeat it (a new study and folder) with:  archscope search --space {path}\n"
        "[run] holds the settings, [result] what the run found, [space] the search space."
    )
    data = {"run": dict(run), "result": dict(result), "space": space.to_dict()}
    _atomic_write(path, dumps(_clean(data), header=header))


def _clean(value: Any) -> Any:
    """Drop None (TOML has no null) and turn numpy scalars into Python ones."""
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def pareto_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The front as JSON-ready records."""
    records = []
    for row in frame.to_dict(orient="records"):
        records.append({k: (None if (isinstance(v, float) and np.isnan(v)) or v is pd.NA else _clean(v)) for k, v in row.items()})
    return records


def summarize(frame: pd.DataFrame) -> dict[str, int]:
    """Finished trials (complete or pruned) and feasible complete ones among them."""
    done = completed(frame)
    pruned = int((frame["state"] == "PRUNED").sum()) if "state" in frame else 0
    return {"trials": int(len(done)) + pruned, "feasible": int(done["feasible"].astype(bool).sum())}
