"""Each figure's data (the ``*_info`` functions) and what its figure draws of it."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from archscope import api
from archscope.families.ndnet import NDNET_PRESETS
from archscope.latency.model import kernels
from archscope.ops import OpClass
from archscope.report.candidates import Costed, cost_network, dominating, references
from archscope.report.figures import (
    GroupBy,
    breakdown_figure,
    breakdown_info,
    pareto_front_figure,
    pareto_front_info,
    roofline_figure,
    roofline_info,
    space_map_figure,
    space_map_info,
    space_table,
    trials_figure,
    trials_info,
    validation_figure,
    validation_info,
)
from archscope.report.figures.pareto import front_axes
from archscope.report.figures.roofline import roof_curve
from archscope.search.folder import load_run
from archscope.report.validation_page import load_validation
from archscope.search.objectives import Direction, Objective

RESULTS = __import__("pathlib").Path(__file__).resolve().parents[2] / "results"


@pytest.fixture(scope="module")
def run(tiny_run):
    return load_run(tiny_run)


@pytest.fixture(scope="module")
def refs(run, titanx):
    return references(run.space, titanx)


# --- Pareto front ---------------------------------------------------------------


def test_pareto_front_points_are_the_runs_front(run, refs):
    info = pareto_front_info(run, refs)
    assert len(info.front) == len(run.pareto) > 0
    assert info.front.x == [float(v) for v in run.pareto["layers"]]
    assert info.front.y == [float(v) for v in run.pareto["params"]]
    assert info.front.color == pytest.approx(list(run.pareto["fps"]))


def test_pareto_front_splits_the_other_trials_by_feasibility(run, refs):
    info = pareto_front_info(run, refs)
    finished = run.finished
    assert len(info.infeasible) == int((~finished["feasible"]).sum()) > 0
    # every feasible trial is either a front point (or one of its alternatives) or a small dot
    on_front = set(zip(run.pareto["widths"], run.pareto["depths"], run.pareto["expansion"].astype(str)))
    feasible = finished[finished["feasible"]]
    keys = list(zip(feasible["widths"], feasible["depths"], feasible["expansion"].astype(str)))
    assert len(info.feasible) == sum(k not in on_front for k in keys)


def test_the_papers_networks_are_marked_with_their_own_metrics(run, refs):
    info = pareto_front_info(run, refs)
    assert info.references.labels == list(NDNET_PRESETS)
    layers = dict(zip(info.references.labels, info.references.x))
    assert layers == {"ndnet29": 29, "ndnet45": 45, "ndnet61": 61, "ndnet29-wide": 29}
    params = dict(zip(info.references.labels, info.references.y))
    # the space's fixed settings apply (FCN32 head, 19 classes), so params exceed the backbone's
    ndnet45 = api.cost("ndnet", widths=(16, 32, 64), depths=(4, 12, 6), resolution=(64, 128))
    assert params["ndnet45"] == ndnet45.total.cost.params
    ndnet45 = info.references.hover[1]
    assert "ndnet45" in ndnet45 and "16,32,64" in ndnet45 and "4,12,6" in ndnet45 and "fps" in ndnet45


def test_hover_shows_widths_depths_fps_and_params(run, refs):
    info = pareto_front_info(run, refs)
    first = run.pareto.iloc[0]
    hover = info.front.hover[0]
    for text in (f"widths <b>{first['widths']}</b>", f"depths <b>{first['depths']}</b>",
                 f"fps <b>{first['fps']:.2f}</b>", f"params <b>{int(first['params']):,}</b>"):
        assert text in hover


def test_pareto_figure_draws_front_trials_and_stars(run, refs):
    figure = pareto_front_figure(pareto_front_info(run, refs))
    names = [t.name for t in figure.data]
    assert any(n.startswith("Pareto front") for n in names) and "the paper's networks" in names
    stars = figure.data[names.index("the paper's networks")]
    assert stars.marker.symbol == "star" and list(stars.text) == list(NDNET_PRESETS)
    assert figure.layout.xaxis.title.text == "depth (layers)" and figure.layout.yaxis.title.text == "parameters"


def test_empty_front_says_so(infeasible_run, titanx):
    run = load_run(infeasible_run)
    info = pareto_front_info(run, references(run.space, titanx))
    assert len(info.front) == 0 and len(info.feasible) == 0 and len(info.infeasible) == len(run.trials)
    figure = pareto_front_figure(info)
    assert "front is empty" in figure.layout.annotations[0].text


def test_dominating_finds_a_better_front_point():
    front = pd.DataFrame({"layers": [99, 55], "width": [8, 24]})
    objectives = (Objective("layers", Direction.MAXIMIZE), Objective("width", Direction.MAXIMIZE))
    assert dominating({"layers": 29, "width": 24}, front, objectives) == 1
    assert dominating({"layers": 29, "width": 64}, front, objectives) is None
    assert dominating({"layers": 55, "width": 24}, front, objectives) is None  # equal is not dominated


# --- all trials -------------------------------------------------------------------


def test_parallel_coordinates_axes_and_feasibility(run):
    info = trials_info(run)
    labels = [d.label for d in info.dimensions]
    assert labels[:4] == ["n1", "d1", "d2", "d3"] and "e" in labels  # tied n2, n3 follow n1: no axis
    assert {"layers", "params (M)", "MACs (G)", "latency (ms)", "fps"} <= set(labels) and labels[-1] == "constraints"
    assert all(len(d.values) == len(run.trials) for d in info.dimensions)
    assert info.feasible == list(run.trials["feasible"])
    assert info.dimensions[-1].values == [1.0 if f else 0.0 for f in info.feasible]
    assert info.dimensions[labels.index("params (M)")].values[0] == pytest.approx(run.trials["params"][0] / 1e6)
    figure = trials_figure(info)
    feasible, infeasible = info.counts
    assert f"{feasible} feasible" in figure.layout.title.text and f"{infeasible} infeasible" in figure.layout.title.text
    assert list(figure.data[0].line.color) == info.dimensions[-1].values


def test_failed_trials_are_left_out_and_counted(run):
    trials = run.trials.copy()
    trials.loc[0, "state"] = "FAIL"
    trials.loc[1, ["layers", "fps"]] = float("nan")
    broken = type(run)(run.path, run.config, run.space, trials, run.pareto)
    info = trials_info(broken)
    assert info.left_out == 2 and len(info.feasible) == len(trials) - 2


# --- the space's map --------------------------------------------------------------


def test_space_map_cells_hold_the_best_fps_and_the_boundary_the_deepest_feasible(run):
    table = pd.DataFrame({
        "width": [8, 8, 8, 8, 16, 16, 16],
        "layers": [25, 25, 27, 29, 25, 27, 29],
        "fps": [70.0, 60.0, 55.0, 45.0, 52.0, 48.0, 30.0],
    })
    space = run.space.with_overrides(min_fps=50.0)
    info = space_map_info(type(run)(run.path, run.config, space, run.trials, run.pareto), table, "a table")
    assert info.widths == [8, 16] and info.layers == [25, 27, 29]
    assert info.best_fps == [[70.0, 52.0], [55.0, 48.0], [45.0, 30.0]]
    assert info.boundary.x == [8.0, 16.0] and info.boundary.y == [27.0, 25.0]
    assert info.min_layers == 7 and info.source == "a table"


def test_space_map_of_the_enumerated_space(run, refs, titanx):
    table, source = space_table(run, titanx)
    assert len(table) == run.space.size() and "162 configurations" in source
    info = space_map_info(run, table, source, refs)
    fps = {(w, n): f for n, row in zip(info.layers, info.best_fps) for w, f in zip(info.widths, row) if f is not None}
    min_fps = run.space.constraints.limit("min_fps")
    for width, layers in zip(info.boundary.x, info.boundary.y):
        assert fps[(int(width), int(layers))] >= min_fps
        assert all(f < min_fps for (w, n), f in fps.items() if w == width and n > layers)
    assert info.references.labels == list(NDNET_PRESETS) and info.references.x[0] == 24.0
    figure = space_map_figure(info)
    boundary = next(t for t in figure.data if t.name and "boundary" in t.name)
    assert list(boundary.y) == info.boundary.y
    assert figure.layout.xaxis.title.text == "width n1 (channels)"
    assert figure.layout.yaxis.title.text == "depth (layers)"


def test_space_map_needs_a_width(run):
    with pytest.raises(ValueError, match="no width metric"):
        space_map_info(run, pd.DataFrame({"layers": [1], "fps": [1.0]}), "x")


# --- cost breakdown ---------------------------------------------------------------


@pytest.fixture(scope="module")
def two_networks(titanx):
    return [
        cost_network(name, "ndnet", {"widths": widths, "depths": depths, "resolution": (128, 256)}, titanx)
        for name, widths, depths in (("ndnet45", (16, 32, 64), (4, 12, 6)), ("ndnet61", (12, 24, 48), (6, 16, 8)))
    ]


@pytest.mark.parametrize("by", list(GroupBy))
def test_breakdown_parts_sum_to_each_networks_totals(two_networks, by):
    info = breakdown_info(two_networks, by=by)
    assert info.candidates == ["ndnet45", "ndnet61"] and info.device == "titanx"
    for i, network in enumerate(two_networks):
        total = network.report.total
        column = {q: sum(info.values[q][g][i] for g in info.groups) for q in info.values}
        assert column["params"] == total.cost.params and column["macs"] == total.cost.macs
        assert column["traffic_bytes"] == total.traffic_bytes
        assert column["time_ms"] == pytest.approx(network.prediction.latency_ms)
    if by is GroupBy.BLOCK:
        assert info.groups == ["stem", "block1", "block2", "block3", "head"]
    else:
        order = [str(c) for c in OpClass]
        assert info.groups == sorted(info.groups, key=order.index) and "depthwise" in info.groups


def test_breakdown_figure_stacks_several_networks_and_bars_one(two_networks):
    several = breakdown_figure(breakdown_info(two_networks))
    assert several.layout.barmode == "stack" and len(several.data) == 4 * 5  # 4 panels x 5 blocks
    panels = ["parameters", "MACs", "memory traffic (bytes)", "predicted time (ms)"]
    assert [a.text for a in several.layout.annotations] == panels
    one = breakdown_figure(breakdown_info(two_networks[:1]))
    assert len(one.data) == 4 and list(one.data[0].x) == ["stem", "block1", "block2", "block3", "head"]
    assert list(one.data[3].y) == pytest.approx([two_networks[0].prediction.by_block_ms[b] for b in one.data[3].x])


# --- roofline ----------------------------------------------------------------------


def test_roofline_places_every_kernel_under_the_roofs(titanx):
    report = api.cost("ndnet", widths=(16, 32, 64), depths=(4, 12, 6), resolution=(128, 256))
    info = roofline_info(report, titanx)
    assert info.points + info.left_out == len(kernels(report, titanx.fusion)) and info.points > 100
    assert set(info.classes) <= {str(c) for c in OpClass}
    for points in info.classes.values():
        for x, y in zip(points.x, points.y):
            roof = max(roof_curve(r, info.peak_macs_per_s, x) for r in info.roofs)
            assert 0 < y <= roof * (1 + 1e-9)
    stem = report.records[1]  # the stem conv
    conv = info.classes[str(stem.op_class)]
    index = conv.labels.index(stem.node)
    work = stem.total.macs + stem.total.vector_ops
    assert conv.x[index] == pytest.approx(work / (stem.total.read_bytes + stem.total.write_bytes))
    figure = roofline_figure(info)
    assert figure.layout.xaxis.type == "log" and "MAC/byte" in figure.layout.xaxis.title.text
    assert "GMAC/s" in figure.layout.yaxis.title.text
    roofs = [t for t in figure.data if t.name.startswith("roof")]
    assert len(roofs) == len(info.roofs) == 1  # titanx: DRAM and cache at one speed


def test_roofline_draws_separate_dram_and_cache_roofs(titanx):
    profile = dataclasses.replace(titanx, cache_bytes_per_s=4 * titanx.dram_bytes_per_s)
    info = roofline_info(api.cost("ndnet", resolution=(64, 128)), profile)
    assert [r.bytes_per_s for r in info.roofs] == [profile.dram_bytes_per_s, profile.cache_bytes_per_s]
    assert [r.name for r in info.roofs] == ["DRAM 480GB/s", "cache 1.92TB/s"]


# --- validation ---------------------------------------------------------------------


def test_validation_scores_match_the_saved_summary():
    summary, rows = load_validation(RESULTS / "latency_validation.json")
    info = validation_info(rows, device=summary["device"])
    model, baseline = info.series
    assert model.name == "archscope model" and baseline.name == "MACs baseline"
    assert len(model.measured_ms) == summary["n"] == 24
    # the CSV's rounded values (4 significant digits) give the saved shares
    assert model.within == pytest.approx(summary["within_10pct"])
    assert baseline.within == pytest.approx(summary["baseline"]["within_10pct"])
    figure = validation_figure(info)
    titles = [f"archscope model: {100 * summary['within_10pct']:.0f}% within ±10%",
              f"MACs baseline: {100 * summary['baseline']['within_10pct']:.0f}% within ±10%"]
    assert [a.text for a in figure.layout.annotations] == titles
    band = [t for t in figure.data if t.name == "±10% band"][0]
    assert list(band.y) == pytest.approx([x * 1.1 for x in band.x])


def test_validation_band_edges_count_as_within():
    rows = [{"network": "a", "measured_ms": 10.0, "predicted_ms": 11.0, "baseline_ms": 8.9},
            {"network": "b", "measured_ms": 20.0, "predicted_ms": 20.0, "baseline_ms": 30.0}]
    model, baseline = validation_info(rows, device="d").series
    assert model.within == 1.0 and baseline.within == 0.0
    assert model.errors == pytest.approx([0.1, 0.0]) and math.isclose(baseline.errors[1], 0.5)


def test_a_costed_network_reports_the_search_metrics(titanx):
    costed = cost_network("x", "ndnet", {"widths": (16, 32, 64), "depths": (4, 12, 6)}, titanx)
    metrics = costed.metrics()
    assert metrics["layers"] == 45 and metrics["fps"] == pytest.approx(54.54, abs=0.01)  # README: 54.54 predicted
    assert isinstance(costed, Costed)


def test_front_axes_follow_the_objectives(run):
    assert front_axes(run.space) == ("layers", "params")  # maximise layers and width: width costs params
    latency = dataclasses.replace(run.space, objectives=(Objective("params", Direction.MAXIMIZE),
                                                         Objective("latency_ms", Direction.MINIMIZE)))
    assert front_axes(latency) == ("params", "latency_ms")
    single = dataclasses.replace(run.space, objectives=(Objective("fps", Direction.MAXIMIZE),))
    assert front_axes(single) == ("fps", "params")


def test_rows_decode_integers_tuples_and_categorical_choices(run):
    from archscope.families import HyperError, get_family
    from archscope.families.erfnet import ConvKind
    from archscope.report.candidates import row_hyper

    hyper = row_hyper(run.space, {"widths": "4,8,16", "depths": "1,3,2", "expansion": 4})
    assert hyper["widths"] == (4, 8, 16) and hyper["depths"] == (1, 3, 2) and hyper["expansion"] == 4
    assert hyper["resolution"] == (64, 128)  # the space's fixed settings come along
    conv = get_family("erfnet").param("conv")  # a categorical cell is read by the family's description
    assert conv.parse("grouped") is ConvKind.GROUPED
    assert get_family("espnet").param("decoder").parse("False") is False
    with pytest.raises(HyperError, match="'sparse' is not one of dense, grouped"):
        conv.parse("sparse")


def test_categorical_trial_axes_get_a_tick_per_choice(run):
    from archscope.report.figures.trials import _dimension

    dimension = _dimension("conv", pd.Series(["grouped", "dense", "grouped"]))
    assert dimension.ticktext == ["dense", "grouped"] and dimension.values == [1.0, 0.0, 1.0]
    assert _dimension("d1", pd.Series([1, 3])).tickvals is None
