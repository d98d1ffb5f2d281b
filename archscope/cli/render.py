"""Rendering of results for the terminal (rich tables), JSON and CSV."""

from __future__ import annotations

import io
import json
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Mapping

from rich.console import Console
from rich.table import Table

from archscope.costs import CostReport
from archscope.dims import is_symbolic
from archscope.families.base import Resolution

if TYPE_CHECKING:
    from archscope.check import ToolCheck
    from archscope.latency.model import LatencyPrediction


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def jsonable(value: Any) -> Any:
    """Plain JSON data: sympy expressions become strings sympy can parse back."""
    if isinstance(value, Resolution):
        return f"{value.height}x{value.width}"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if type(value).__module__.startswith("sympy"):  # (sympy is imported only when formulas are asked for)
        return int(value) if value.is_Integer else str(value)
    return value


def to_json(payload: Mapping[str, Any]) -> str:
    return json.dumps(jsonable(payload), indent=2)


_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))


def human(value: Any, unit: str = "") -> str:
    """``3797483520`` -> ``3.8G`` (three significant digits); symbolic values as they are."""
    if is_symbolic(value):
        return str(value)
    number = float(value)
    for scale, prefix in _PREFIXES:
        if abs(number) >= scale:
            return f"{number / scale:.3g}{prefix}{unit}"
    return f"{number:.0f}{unit}"


def _shape(row: Mapping[str, Any]) -> str:
    return "x".join(map(str, row.get("output_shape", []))) or "-"


def _time(prediction: "LatencyPrediction | None", group: str, name: str) -> list[str]:
    if prediction is None:
        return []
    if name == "total":
        return [f"{prediction.latency_ms:.2f}"]
    return [f"{getattr(prediction, group).get(name, 0.0):.2f}"]


def blocks_table(report: CostReport, title: str, prediction: "LatencyPrediction | None" = None) -> Table:
    table = Table(title=title, title_justify="left")
    columns = ["block", "output", "layers", "params", "BN params", "MACs", "traffic"]
    if prediction is not None:
        columns.append("ms")
    for column in columns:
        table.add_column(column, justify="left" if column in ("block", "output") else "right")
    rows = [t.as_dict() for t in report.blocks]
    total = report.total.as_dict()
    for i, row in enumerate([*rows, total]):
        table.add_row(
            row["name"],
            _shape(row),
            str(row["layers"]),
            human(row["params"]),
            human(row["norm_params"]),
            human(row["macs"]),
            human(row["traffic_bytes"], "B"),
            *_time(prediction, "by_block_ms", row["name"]),
            end_section=i == len(rows) - 1,
            style="bold" if i == len(rows) else None,
        )
    return table


def op_class_table(report: CostReport, prediction: "LatencyPrediction | None" = None) -> Table:
    table = Table(title="by op class", title_justify="left")
    columns = ["op class", "params", "MACs", "other ops", "traffic", "traffic %"]
    if prediction is not None:
        columns += ["ms", "time %"]
    for column in columns:
        table.add_column(column, justify="left" if column == "op class" else "right")
    traffic = report.total.traffic_bytes
    for totals in report.op_classes:
        table.add_row(
            totals.name,
            human(totals.cost.params + totals.cost.norm_params),
            human(totals.cost.macs),
            human(totals.cost.vector_ops),
            human(totals.traffic_bytes, "B"),
            f"{100 * totals.traffic_bytes / traffic:.1f}" if traffic else "-",
            *_time(prediction, "by_class_ms", totals.name),
            *([f"{100 * prediction.by_class_ms.get(totals.name, 0.0) / prediction.latency_ms:.1f}"] if prediction else []),
        )
    return table


def print_latency(console: Console, prediction: "LatencyPrediction") -> None:
    console.print(
        f"[bold]{prediction.device}[/]: {prediction.latency_ms:.2f} ms, {prediction.fps:.2f} fps "
        f"({prediction.kernels} kernels, {prediction.overhead_ms:.2f} ms of it per-kernel overhead)",
        highlight=False,
    )


def print_checks(console: Console, checks: Mapping[str, "ToolCheck"]) -> None:
    """The cross-check table, then what each tool counts."""
    table = Table(title="cross-check (ours = archscope under the tool's conventions)", title_justify="left")
    for column in ("tool", "theirs", "ours", "diff"):
        table.add_column(column, justify="left" if column == "tool" else "right")
    for name, check in checks.items():
        if check.theirs is None:
            table.add_row(name, "[red]failed[/]", f"{check.ours:,}", "-")
            continue
        style = "green" if check.diff == 0 else "yellow"
        table.add_row(name, f"{check.theirs:,}", f"{check.ours:,}", f"[{style}]{check.diff:,}[/]")
    console.print(table)
    for name, check in checks.items():
        if check.error is not None:
            console.print(f"  [bold]{name}[/] [red]failed on this module[/]: {check.error}", highlight=False)
        console.print(f"  [bold]{name}[/]: {check.note}", highlight=False)


def print_formulas(console: Console, formulas: Mapping[str, Any]) -> None:
    import sympy

    console.print("[bold]closed forms[/] (H×W: input size, or the block's map for block_*)")
    for name, formula in formulas.items():
        console.print(f"  {name} = {sympy.factor_terms(formula)}", soft_wrap=True)


def blocks_csv(report: CostReport) -> str:
    buffer = io.StringIO()
    frame = report.blocks_table()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()
