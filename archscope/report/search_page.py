"""The report of a search run: summary, Pareto front, all trials, the space's map, the
cost of the chosen networks, and the run's configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from archscope.report.candidates import (
    Costed,
    Reference,
    dominating,
    front_candidates,
    references,
    row_label,
    varying,
)
from archscope.families import hyper
from archscope.report.figures.breakdown import GroupBy, breakdown_figure, breakdown_info
from archscope.report.figures.common import si
from archscope.report.figures.pareto import VERBS, front_axes, pareto_front_figure, pareto_front_info
from archscope.report.figures.space_map import space_map_figure, space_map_info, space_table
from archscope.report.figures.trials import trials_figure, trials_info
from archscope.report.markup import Column, fixed, integer, labelled, pre, table
from archscope.report.page import Page, Section

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.folder import SearchRun


def constraints_text(run: SearchRun) -> str:
    """``fps ≥ 50 on titanx at 1024x2048, layers ≥ 25``."""
    c, fixed_values = run.space.constraints, run.space.fixed
    where = " at ".join(str(v) for v in (c.device, fixed_values.get("resolution")) if v is not None)
    bounds = c.bounds()
    first = bounds.pop(0) if bounds and bounds[0][0].budget else None
    head = f"{first[0].describe(first[1])} on {where}" if first else f"predicted on {where}"
    return ", ".join([head, *(bound.describe(limit) for bound, limit in bounds), *(rule.text for rule in c.rules)])


def _front_sentence(run: SearchRun) -> str:
    finished, feasible = len(run.finished), len(run.feasible)
    objectives = ", ".join(f"{VERBS[o.direction.value]} {o.metric}" for o in run.space.objectives)
    if feasible == 0:
        return (f"No feasible trial: none of the {finished:,} finished trials meets the constraints "
                f"({constraints_text(run)}), so the Pareto front is empty. The figures still show every trial "
                "and the space; run more trials or relax the constraints.")
    ends = [run.pareto.iloc[0], run.pareto.iloc[-1]]
    span = " to ".join(f"{row_label(run.space, r)} ({int(r['layers'])} layers, {float(r['fps']):.1f} fps)"
                       for r in ends)
    return (f"{finished:,} finished trials, {feasible:,} of them feasible ({constraints_text(run)}). "
            f"The front ({objectives}) has {len(run.pareto)} points, from {span}.")


def _violation(run: SearchRun, metrics: Mapping[str, float]) -> str | None:
    """The first bound (fps, latency, layers) a network misses (rules are not checked)."""
    for bound, limit in run.space.constraints.bounds():
        if not bound.met(limit, metrics[bound.metric]):
            return bound.missed(limit)
    return None


def _reference_sentence(run: SearchRun, reference: Reference) -> str:
    metrics = reference.metrics
    paper = reference.paper.get("fps")
    said = f" (paper: {paper} fps)" if paper is not None else ""
    head = f"{reference.name}: {int(metrics['layers'])} layers, {metrics['fps']:.2f} fps predicted{said}"
    violation = _violation(run, metrics)
    if violation:
        return f"{head}, {violation}."
    if run.space.learned:
        return (f"{head}; this search did not train it, so its {', '.join(run.space.learned)} is unknown "
                "(archscope train --from RUN_DIR --rows front --baselines ... trains both).")
    index = dominating(metrics, run.pareto, run.space.objectives) if len(run.pareto) else None
    if index is None:
        return f"{head}: no front point dominates it."
    better = run.pareto.iloc[index]
    return f"{head}: dominated by the front point {row_label(run.space, better)} ({int(better['layers'])} layers)."


def search_summary(run: SearchRun, refs: Sequence[Reference]) -> list[str]:
    space = run.space
    lines = [f"Search space {space.name} (family {space.family}): {space.description}".rstrip(": "),
             _front_sentence(run)]
    result = run.config.get("result", {})
    if result.get("hypervolume_ratio") is not None and len(run.pareto):
        lines.append(f"The front's hypervolume is {100 * result['hypervolume_ratio']:.1f}% of the true front's "
                     "(every configuration of the space enumerated).")
    if refs:
        lines.append("The paper's networks under the same rules:")
        lines += [_reference_sentence(run, r) for r in refs]
    return lines


CANDIDATE_COLUMNS = [
    Column("label", "network", text=True),
    Column("layers", "layers", integer),
    Column("params", "params", integer),
    Column("macs", "MACs", si),
    Column("traffic_bytes", "traffic (bytes)", si),
    Column("latency_ms", "predicted latency (ms)", fixed(2)),
    Column("fps", "predicted fps", fixed(2)),
]


def candidates_table(candidates: Sequence[Costed]) -> str:
    rows = [{"label": c.label, **c.metrics(), "traffic_bytes": c.report.total.traffic_bytes} for c in candidates]
    return table(rows, CANDIDATE_COLUMNS)


def _space_section(run: SearchRun, profile: DeviceProfile, refs: Sequence[Reference]) -> Section:
    title = "The space: width against depth"
    table_, source = space_table(run, profile)
    try:
        info = space_map_info(run, table_, source, refs)
    except ValueError as error:
        return Section(title, f"No map: {error}.")
    fps = f"{info.min_fps:g} fps" if info.min_fps is not None else "the fps constraint"
    text = (f"Each cell is a width (n1) and a depth; its colour is the best fps any configuration there "
            f"reaches, from {info.source}. The black line is the fps constraint's boundary: the deepest "
            f"configuration of each width that still reaches {fps}. Trials are drawn on top (blue: feasible, "
            "grey crosses: infeasible), the paper's networks as stars.")
    return Section(title, text, space_map_figure(info))


def _breakdown_sections(candidates: Sequence[Costed], run: SearchRun) -> list[Section]:
    setting = ", ".join(f"{k} {hyper.text(v)}" for k, v in run.space.fixed.items())
    text = (f"The front points (labelled by their varying hyper-parameters: {' | '.join(varying(run.space))}) "
            f"and the paper's networks, costed with the full analytic model ({setting}); time predicted on "
            f"{run.space.constraints.device}. Parameters are weights and biases (BN's are not counted, as in the "
            "papers).")
    return [
        Section("Cost of the chosen networks by block", text,
                breakdown_figure(breakdown_info(candidates, by=GroupBy.BLOCK)), candidates_table(candidates)),
        Section("Cost of the chosen networks by op class", "The same networks, split by op class.",
                breakdown_figure(breakdown_info(candidates, by=GroupBy.OP_CLASS))),
    ]


def _config_section(run: SearchRun, command: str) -> Section:
    commands = {
        "The search was run with": run.command,
        "Repeat it (a new study and folder)": run.repeat_command,
        "This report was made with": command,
    }
    text = (run.path / "config.toml").read_text()
    return Section("Configuration", "The run's resolved configuration (config.toml):",
                   html=labelled(commands) + pre(text))


def search_page(run: SearchRun, profile: DeviceProfile, *, command: str = "") -> Page:
    """The whole report of ``run``, with fps predicted on ``profile``."""
    refs = references(run.space, profile)
    chosen = front_candidates(run, profile) + [
        Costed(f"{r.name} (paper)", r.costed.report, r.costed.prediction) for r in refs
    ]
    pareto_text = ("Front points are large and coloured by predicted fps, joined in front order; the other feasible "
                   "trials are small blue dots, infeasible ones grey crosses; the paper's networks are stars. "
                   "Hover over a point for its configuration (widths, depths, ...), layers, params and fps.")
    trials = trials_info(run)
    trials_text = (f"Every finished trial: its searched values, its metrics and whether it met the constraints "
                   f"({constraints_text(run)}). Drag along an axis to select a range.")
    if trials.left_out:
        trials_text += f" {trials.left_out} trials without metrics (failed, pruned or running) are left out."
    x, y = front_axes(run.space)
    sections = [
        Section("Pareto front", pareto_text, pareto_front_figure(pareto_front_info(run, refs, x=x, y=y))),
        Section("All trials", trials_text, trials_figure(trials)),
        _space_section(run, profile, refs),
        *_breakdown_sections(chosen, run),
        _config_section(run, command),
    ]
    return Page(title=f"archscope search report: {run.path.name}", summary=search_summary(run, refs),
                sections=sections, command=command)
