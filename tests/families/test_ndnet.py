"""NDNet: Table II params, depth counting, readings of the block transitions."""

import pytest
import sympy

from archscope import api
from archscope.families import FAMILIES
from archscope.families.ndnet import NDNET_PRESETS


@pytest.mark.parametrize("name", sorted(NDNET_PRESETS))
def test_table2_params_within_2_percent(name):
    preset = NDNET_PRESETS[name]
    report = api.cost("ndnet", widths=preset["widths"], depths=preset["depths"], head="none")
    params = report.total.cost.params
    assert abs(params / preset["paper_params"] - 1) < 0.02, (name, params)


@pytest.mark.parametrize("name, layers", [("ndnet29", 29), ("ndnet45", 45), ("ndnet61", 61), ("ndnet29-wide", 29)])
def test_layers_count_as_the_paper(name, layers):
    preset = NDNET_PRESETS[name]
    assert api.cost("ndnet", widths=preset["widths"], depths=preset["depths"]).total.layers == layers


def test_params_quadratic_in_width_linear_in_depth():
    def params(widths, depths):
        return api.cost("ndnet", widths=widths, depths=depths, head="none").total.cost.params

    by_depth = [params((8, 16, 32), (d, d, d)) for d in (1, 2, 3, 4)]
    steps = {b - a for a, b in zip(by_depth, by_depth[1:])}
    assert len(steps) == 1 and steps.pop() > 0  # linear in depth
    s = sympy.Symbol("s")
    by_width = [(k, params((8 * k, 16 * k, 32 * k), (2, 2, 2))) for k in (1, 2, 3, 4, 5)]
    poly = sympy.Poly(sympy.interpolate(by_width[:3], s), s)
    assert poly.degree() == 2 and all(poly.eval(k) == v for k, v in by_width[3:])  # quadratic
    # NDNet61 is lighter than NDNet29 (halved width, doubled depth)
    n29, n61 = NDNET_PRESETS["ndnet29"], NDNET_PRESETS["ndnet61"]
    assert params(n61["widths"], n61["depths"]) < params(n29["widths"], n29["depths"])


def test_output_scales_of_table1():
    report = api.cost("ndnet", widths=(16, 32, 64), depths=(4, 12, 6), head="none", resolution=(1024, 2048))
    scales = {b.name: (b.shape.h, b.shape.w) for b in report.blocks}
    assert scales == {"stem": (256, 512), "block1": (128, 256), "block2": (64, 128), "block3": (32, 64)}


@pytest.mark.parametrize("transition", ["strided", "strided-separable"])
def test_other_readings_keep_depth_and_scales(transition):
    a = api.cost("ndnet", transition=transition, head="none")
    b = api.cost("ndnet", head="none")
    assert a.total.layers == b.total.layers == 29
    assert a.total.shape == b.total.shape


@pytest.mark.parametrize(
    "hyper, message",
    [
        (dict(widths=(16, 32, 64), depths=(4, 12)), "same number of entries"),
        (dict(widths=(16, 0, 64)), "widths must be integers >= 1, got 16,0,64"),
        (dict(depths=(4, -1, 6)), "depths"),
        (dict(expansion=0), "expansion"),
        (dict(widths=(16, 2.5, 64)), "2.5"),
    ],
)
def test_bad_hyper_parameters(hyper, message):
    with pytest.raises(ValueError, match=message):
        api.build("ndnet", **hyper)


def test_registered_once():
    assert FAMILIES["ndnet"].presets is NDNET_PRESETS
    with pytest.raises(ValueError, match="already registered"):
        from archscope.families import register_family

        register_family(FAMILIES["ndnet"])
