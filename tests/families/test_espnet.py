"""ESPNet: the published parameter count, the ESP module's structure and costs."""

import pytest
import sympy

from archscope import api
from archscope.graph import GraphBuilder
from archscope.families.espnet import esp_module
from archscope.ops import Shape

SMALL = (64, 128)


def test_published_params_within_2_percent():
    assert abs(api.cost("espnet").total.all_params / 364_000 - 1) < 0.02


@pytest.mark.parametrize("channels, branches", [(64, 5), (128, 5), (19, 5), (40, 4), (30, 3)])
def test_esp_module_params_and_branches(channels, branches):
    """d = N // K; the branches' widths add up to N, so the weights are N·d + 9·d·N."""
    b = GraphBuilder("esp")
    x = b.input(Shape(1, channels, 16, 16))
    with b.block("esp"):
        esp_module(b, x, out=channels, branches=branches)
    report = api.cost(b.build())
    d = channels // branches
    assert report.total.cost.params == channels * d + 9 * d * channels
    dilations = [report.network.op(r.node).dilation[0] for r in report.records if r.kind == "conv"][1:]
    assert dilations == [2**k for k in range(branches)]


def test_hierarchical_feature_fusion():
    net = api.build("espnet", resolution=SMALL)
    cat = "level2.esp0.cat"
    assert net.sources(cat) == ["level2.esp0.d1", "level2.esp0.d2", "level2.esp0.hff3",
                                "level2.esp0.hff4", "level2.esp0.hff5"]
    assert net.sources("level2.esp0.hff4") == ["level2.esp0.hff3", "level2.esp0.d8"]
    assert net.sources("level2.esp0.residual") == ["level2.down.out_prelu", cat]


def test_alpha3_adds_identical_modules():
    params = [api.cost("espnet", alpha3=a, resolution=SMALL).total.cost.params for a in (3, 4, 5)]
    # one ESP module on 128 channels: 10·128·25 weights + 128 PReLU slopes
    assert params[1] - params[0] == params[2] - params[1] == 10 * 128 * 25 + 128


def test_input_reinforcement_and_espnet_c():
    net = api.build("espnet", decoder=False, resolution=SMALL)
    assert net.shape("level2.cat").c == 64 + 64 + 3
    assert net.output_shape == Shape(1, 19, *SMALL)
    assert api.cost("espnet", decoder=False).total.cost.params < api.cost("espnet").total.cost.params


def test_too_many_branches():
    with pytest.raises(ValueError, match="branches"):
        api.build("espnet", branches=8, classes=5)


def test_module_closed_form():
    formulas = api.formulas("espnet", resolution=SMALL)
    n, h, w = sympy.symbols("N H W", integer=True, positive=True)
    assert sympy.simplify(formulas["block_params"] - 10 * n * sympy.floor(n / 5)) == 0
    assert sympy.simplify(formulas["block_macs"] - 10 * n * sympy.floor(n / 5) * h * w) == 0
