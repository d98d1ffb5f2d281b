"""NDNet: Table II params, depth counting, readings of the block transitions."""

import pytest
import sympy

from archscope import api
from archscope.families import FAMILIES
from archscope.families.ndnet import NDNET_PRESETS


@pytest.mark.parametrize("name", sorted(NDNET_PRESETS))
def test_table2_params_within_2_percent(name):
    preset = NDNET_PRESETS[name]
    report = api.cost("ndnet", widths=preset.hyper["widths"], depths=preset.hyper["depths"], head="none")
    params = report.total.cost.params
    assert abs(params / preset.paper["params"] - 1) < 0.02, (name, params)


@pytest.mark.parametrize("name, layers", [("ndnet29", 29), ("ndnet45", 45), ("ndnet61", 61), ("ndnet29-wide", 29)])
def test_layers_count_as_the_paper(name, layers):
    preset = NDNET_PRESETS[name]
    assert api.cost("ndnet", widths=preset.hyper["widths"], depths=preset.hyper["depths"]).total.layers == layers


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
    assert params(n61.hyper["widths"], n61.hyper["depths"]) < params(n29.hyper["widths"], n29.hyper["depths"])


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


@pytest.mark.parametrize("transition", ["strided", "strided-separable"])
def test_a_strided_layer_halves_the_map_in_its_depthwise_conv(transition):
    """The stride sits on the 3x3 depthwise conv, so the pointwise convs after it run on
    the halved map (moving it to the pointwise conv changes these readings' MACs)."""
    report = api.cost("ndnet", widths=(8, 16, 32), depths=(2, 2, 2), head="none", resolution=(64, 128),
                      transition=transition, stem_channels=16)
    macs = {r.node: r.cost.macs for r in report.records}
    h, w = 8, 16  # block1's input is the stem's 16 x 16 x 32 map, halved
    assert macs["block1.layer0.sep1_dw"] == 9 * 16 * h * w
    assert macs["block1.layer0.sep1_pw"] == 16 * 8 * h * w
    if transition == "strided-separable":
        assert macs["block1.layer0.shortcut_dw"] == 9 * 16 * h * w
        assert macs["block1.layer0.shortcut_pw"] == 16 * 32 * h * w
    else:
        assert macs["block1.layer0.shortcut"] == 16 * 32 * h * w
