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
    Column("median_error_pct", "median error %", fixed(1)),
    Column("spearman", "Spearman", fixed(3)),
]
FAMILY_COLUMNS = [
    Column("family", "family", text=True),
    Column("n", "networks", integer),
    Column("repeatability", "repeatability", percent),
    Column("within_10pct", "model within ±10%", percent),
    Column("mape", "model MAPE %", fixed(1)),
    Column("median_error_pct", "model median error %", fixed(1)),
    Column("baseline_within_10pct", "baseline within ±10%", percent),
    Column("baseline_mape", "baseline MAPE %", fixed(1)),
    Column("baseline_median_error_pct", "baseline median error %", fixed(1)),
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
    keys = ("within_10pct", "mape", "median_error_pct", "spearman")
    return {"name": name, **{k: figures.get(k, float("nan")) for k in keys}}


def _families(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    groups = dict(summary.get("by_family", {}))
    if summary.get("drawn") and "modules" in groups:
        groups["families (no modules)"] = summary["drawn"]
    return [{"family": family, **{k: v for k, v in f.items() if k != "baseline"},
             **{f"baseline_{k}": v for k, v in f.get("baseline", {}).items()}}
            for family, f in groups.items()]


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
    if "repeatability" in summary:
        lines.append(f"Repeatability (the first and second halves of a network's rounds within ±10% of each other, "
                     f"the noise floor here today if the machine's speed held still): {100 * summary['repeatability']:.0f}%; the model's "
                     f"share within ±10% is {summary['share_of_repeatability']:.2f} of it.")
    if "repeatability_same_speed" in summary:
        lines.append(f"With the machine's drift between the halves taken out (one factor, fitted on the calibration "
                     f"networks, as the model's speed factor is): {100 * summary['repeatability_same_speed']:.0f}%; "
                     f"the model's share is {summary['share_of_repeatability_same_speed']:.2f} of it.")
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
    if summary.get("roofline_only"):
        scores.append(_scores("model without its learned corrections", summary["roofline_only"]))
    text = ("Each point is a validation network: its measured median latency against the prediction. In the "
            "green band the prediction is within ±10%. Hover for the network's configuration.")
    sections = [
        Section("Predicted against measured", text, validation_figure(info), table(scores, SCORE_COLUMNS)),
        Section("Every validation network", "", html=table(shown, ROW_COLUMNS)),
    ]
    if summary.get("by_family"):
        sections.insert(1, Section("By family", "The model and the MACs baseline on each family's networks "
                                   "(imported modules as 'modules'); a median error far from 0 is a bias.",
                                   html=table(_families(summary), FAMILY_COLUMNS)))
    return Page(title=f"archscope latency validation: {summary['device']}",
                summary=validation_summary(summary, command=command), sections=sections, command=command)
