"""The report of a latency validation (``archscope validate latency``): predicted against
measured latency for the model and the MACs baseline, the scores, every network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from archscope.report.figures.validation import validation_figure, validation_info
from archscope.report.markup import Column, fixed, integer, percent, table
from archscope.report.page import Page, Section
from archscope.search.folder import RunError

ROW_COLUMNS = [
    Column("network", "network", text=True),
    Column("macs", "MACs", integer),
    Column("measured_ms", "measured (ms)", fixed(2)),
    Column("predicted_ms", "model (ms)", fixed(2)),
    Column("model_error", "model error %", fixed(1)),
    Column("baseline_ms", "MACs baseline (ms)", fixed(2)),
    Column("baseline_error", "baseline error %", fixed(1)),
]
SCORE_COLUMNS = [
    Column("name", "predictor", text=True),
    Column("within_10pct", "within ±10%", percent),
    Column("mape", "MAPE %", fixed(1)),
    Column("spearman", "Spearman", fixed(3)),
]


def load_validation(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary JSON ``validate latency --out`` wrote and the validation rows of the
    CSV beside it (same name, ``.csv``)."""
    summary_path = Path(path)
    rows_path = summary_path.with_suffix(".csv")
    for needed in (summary_path, rows_path):
        if not needed.is_file():
            raise RunError(f"no such file {str(needed)!r} "
                           "(validate latency --out FILE.json writes FILE.json and FILE.csv)")
    try:
        summary = json.loads(summary_path.read_text())
        frame = pd.read_csv(rows_path)
    except (json.JSONDecodeError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise RunError(f"{summary_path} or its .csv is not readable ({str(error).splitlines()[0]})") from None
    missing = [c for c in ("set", "network", "measured_ms", "predicted_ms", "baseline_ms") if c not in frame]
    if missing or not isinstance(summary, dict) or "device" not in summary:
        raise RunError(f"{summary_path}: not a latency validation (no {', '.join(missing) or 'device'})")
    return summary, frame[frame["set"] == "validation"].to_dict(orient="records")


def _scores(name: str, figures: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": name, **{k: figures.get(k, float("nan")) for k in ("within_10pct", "mape", "spearman")}}


def validation_summary(summary: Mapping[str, Any], *, command: str = "") -> list[str]:
    baseline, raw = summary.get("baseline", {}), summary.get("uncorrected", {})
    lines = [
        f"Latency validation on {summary['device']}: {summary.get('n', '?')} random networks measured on this "
        f"machine and predicted; none of them was used for fitting. The model's speed factor and the MACs "
        f"baseline's ms per GMAC were fitted on the same {summary.get('calibration_networks', '?')} "
        "calibration networks.",
        f"archscope model: {100 * summary['within_10pct']:.0f}% within ±10%, MAPE {summary['mape']:.1f}%, "
        f"Spearman {summary['spearman']:.3f}. MACs baseline: {100 * baseline.get('within_10pct', 0):.0f}% within ±10%, "
        f"MAPE {baseline.get('mape', float('nan')):.1f}%, Spearman {baseline.get('spearman', float('nan')):.3f}.",
    ]
    if raw:
        lines.append(f"The profile as saved, without this run's speed factor ({summary.get('speed_factor', 1):.3f}): "
                     f"{100 * raw['within_10pct']:.0f}% within ±10%, MAPE {raw['mape']:.1f}%.")
    if summary.get("command") and summary["command"] != command:
        lines.append(f"Measured with: {summary['command']}")
    return lines


def validation_page(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *, command: str = "") -> Page:
    info = validation_info(rows, device=str(summary["device"]))
    shown = [{**r, "model_error": 100 * (r["predicted_ms"] / r["measured_ms"] - 1),
              "baseline_error": 100 * (r["baseline_ms"] / r["measured_ms"] - 1)} for r in rows]
    scores = [_scores("archscope model", summary), _scores("MACs baseline", summary.get("baseline", {}))]
    if summary.get("uncorrected"):
        scores.append(_scores("model, profile as saved", summary["uncorrected"]))
    text = ("Each point is a validation network: its measured median latency against the prediction. In the "
            "green band the prediction is within ±10%. Hover for the network's configuration.")
    sections = [
        Section("Predicted against measured", text, validation_figure(info), table(scores, SCORE_COLUMNS)),
        Section("Every validation network", "", html=table(shown, ROW_COLUMNS)),
    ]
    return Page(title=f"archscope latency validation: {summary['device']}",
                summary=validation_summary(summary, command=command), sections=sections, command=command)
