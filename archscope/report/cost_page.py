"""The report of one network: its cost per block and per op class, its roofline on a
device, its closed-form formulas and the fvcore / ptflops / torch agreement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import sympy

from archscope.report.figures.breakdown import GroupBy, breakdown_figure, breakdown_info
from archscope.report.figures.common import si
from archscope.report.figures.roofline import roofline_figure, roofline_info
from archscope.report.markup import Column, fixed, integer, pre, table
from archscope.report.page import Page, Section

if TYPE_CHECKING:
    from archscope.check import ToolCheck
    from archscope.latency.profile import DeviceProfile
    from archscope.report.candidates import Costed

BLOCK_COLUMNS = [
    Column("name", "block", text=True),
    Column("output", "output (CxHxW)"),
    Column("layers", "layers", integer),
    Column("params", "params", integer),
    Column("norm_params", "BN params", integer),
    Column("macs", "MACs", si),
    Column("vector_ops", "other ops", si),
    Column("traffic_bytes", "traffic (bytes)", si),
    Column("time_ms", "predicted time (ms)", fixed(3)),
    Column("time_share", "time %", fixed(1)),
]
CHECK_COLUMNS = [
    Column("tool", "tool", text=True),
    Column("theirs", "theirs", integer),
    Column("ours", "ours (archscope, their conventions)", integer),
    Column("diff", "diff", integer),
]


def _rows(costed: Costed, by: GroupBy) -> list[dict[str, Any]]:
    report, prediction = costed.report, costed.prediction
    totals = report.blocks if by is GroupBy.BLOCK else report.op_classes
    times = prediction.by_block_ms if by is GroupBy.BLOCK else prediction.by_class_ms
    rows = []
    for t in [*totals, report.total]:
        row = t.as_dict()
        row["output"] = "x".join(map(str, row.pop("output_shape", []))) or "-"
        row["time_ms"] = prediction.latency_ms if t is report.total else times.get(t.name, 0.0)
        row["time_share"] = 100 * row["time_ms"] / prediction.latency_ms
        rows.append(row)
    return rows


def _largest(times: Mapping[str, float], total_ms: float) -> str:
    name = max(times, key=times.__getitem__)
    return f"{name} ({100 * times[name] / total_ms:.0f}%)"


def cost_summary(costed: Costed, description: str, device_note: str) -> list[str]:
    total, prediction = costed.report.total, costed.prediction
    shape = "x".join(map(str, total.as_dict().get("output_shape", [])))
    lines = [
        description,
        f"{int(total.cost.params):,} parameters (+{int(total.cost.norm_params):,} BN parameters), "
        f"{si(total.cost.macs)} MACs, "
        f"{si(total.traffic_bytes, 'B')} of memory traffic, {int(total.layers)} layers; output {shape}.",
        f"Predicted on {prediction.device}: {prediction.latency_ms:.2f} ms, {prediction.fps:.2f} fps "
        f"({prediction.kernels} kernels, {prediction.overhead_ms:.2f} ms of it per-kernel overhead). Most time goes to "
        f"{_largest(prediction.by_block_ms, prediction.latency_ms)} among blocks and to "
        f"{_largest(prediction.by_class_ms, prediction.latency_ms)} among op classes. {device_note}".rstrip(),
    ]
    return lines


def _breakdown_section(costed: Costed, by: GroupBy) -> Section:
    text = (f"Parameters (weights and biases; BN's in their own column), MACs, memory traffic and the predicted "
            f"time of each {by}. The last row is the whole network.")
    return Section(f"Cost by {by}", text, breakdown_figure(breakdown_info([costed], by=by)),
                   table(_rows(costed, by), BLOCK_COLUMNS if by is GroupBy.BLOCK else
                         [Column("name", "op class", text=True), *BLOCK_COLUMNS[2:]]))


def _roofline_section(costed: Costed, profile: DeviceProfile) -> Section:
    info = roofline_info(costed.report, profile)
    kernel = "one op each: the profile fuses nothing" if profile.fusion == "none" else f"{profile.fusion} groups fused"
    text = (f"Each point is a kernel ({kernel}) at its arithmetic intensity (MACs and other arithmetic per byte "
            "moved) and the throughput the latency model predicts for it (work / predicted time, per-kernel "
            f"overhead included). The lines are {profile.name}'s "
            f"roofs: peak {si(profile.peak_macs_per_s, 'MAC/s')}, bandwidth × intensity; points far below them lose "
            "their time to overhead or to the op class's efficiency.")
    if info.left_out:
        text += f" {info.left_out} kernels that do no arithmetic or move nothing are left out."
    return Section("Roofline", text, roofline_figure(info))


def _formula_section(formulas: Mapping[str, sympy.Expr] | None) -> Section:
    if formulas is None:
        return Section("Closed forms", "Not derived for this network.")
    lines = "\n".join(f"{name} = {sympy.factor_terms(formula)}" for name, formula in formulas.items())
    text = ("Derived by building the family with sympy symbols for its hyper-parameters and summing the ops' own "
            "formulas over the graph. H×W: the input size, or the block's map for block_* formulas.")
    return Section("Closed forms", text, html=pre(lines, wrap=True))


def _check_section(checks: Mapping[str, ToolCheck] | None) -> Section:
    title = "Cross-check with fvcore, ptflops and torch"
    if checks is None:
        return Section(title, "Not run.")
    rows = [{"tool": name, "theirs": c.theirs, "ours": c.ours, "diff": c.diff} for name, c in checks.items()]
    notes = "\n\n".join(f"{name}: {c.note}" for name, c in checks.items())
    agree = [name for name, c in checks.items() if c.diff == 0]
    text = (f"What each tool reports (theirs) next to what archscope computes under that tool's conventions (ours); "
            f"{len(agree)} of {len(checks)} agree exactly.")
    return Section(title, text + "\n\n" + notes, html=table(rows, CHECK_COLUMNS))


def cost_page(
    costed: Costed,
    profile: DeviceProfile,
    *,
    description: str,
    checks: Mapping[str, ToolCheck] | None = None,
    formulas: Mapping[str, sympy.Expr] | None = None,
    device_note: str = "",
    command: str = "",
) -> Page:
    sections = [
        _breakdown_section(costed, GroupBy.BLOCK),
        _breakdown_section(costed, GroupBy.OP_CLASS),
        _roofline_section(costed, profile),
        _formula_section(formulas),
        _check_section(checks),
    ]
    return Page(title=f"archscope cost report: {costed.label}", summary=cost_summary(costed, description, device_note),
                sections=sections, command=command)
