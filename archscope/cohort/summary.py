"""``DIR/summary.csv``: one row per network of a cohort, from its work list.

Columns: ``name``, ``kind`` (front, trial, baseline), ``family``, ``label``, the
configuration as the run's tables spell it (``widths``, ``depths``, ...), the search's
metrics at the run's setting (``layers``, ``params``, ``macs``, ``latency_ms``, ``fps``:
predicted on the run's device and input size), the training results (``miou``,
``pixel_accuracy``, ``miou_initial``, ``images_per_s``, ``train_s``, ``trained_params``:
the trained model's, for the data's classes, ``steps``), the network's ``state``
(done, training, waiting, stopped) and the ``worker`` that trained it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

from archscope.cohort.networks import METRIC_COLUMNS
from archscope.cohort.work import latest, member_of, results
from archscope.search.run import write_csv

SUMMARY = "summary.csv"
RESULT_COLUMNS = ("miou", "pixel_accuracy", "miou_initial", "images_per_s", "train_s", "trained_params", "steps")
STATE_NAMES = {TrialState.COMPLETE: "done", TrialState.RUNNING: "training", TrialState.WAITING: "waiting",
               TrialState.FAIL: "stopped"}


def summary_frame(study: optuna.Study) -> pd.DataFrame:
    """Every network of the work list, in the order it was enqueued."""
    rows = []
    for trial in latest(study).values():
        member = member_of(trial)
        assert member is not None
        done = trial.state is TrialState.COMPLETE
        result = results(trial) if done else {}
        row: dict[str, Any] = {"name": member.name, "kind": member.kind, "family": member.family, "label": member.label}
        row.update(member.config)
        row.update({metric: member.metrics.get(metric) for metric in METRIC_COLUMNS})
        row.update({column: result.get(column) for column in RESULT_COLUMNS})
        row["state"] = STATE_NAMES.get(trial.state, trial.state.name.lower())
        row["worker"] = trial.user_attrs.get("worker", "")
        rows.append(row)
    return pd.DataFrame(rows)


def write_summary(folder: Path, frame: pd.DataFrame) -> Path:
    """Atomically: several workers may write it."""
    path = folder / SUMMARY
    write_csv(path, frame)
    return path


def read_summary(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / SUMMARY, dtype={"widths": str, "depths": str})
