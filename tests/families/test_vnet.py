"""VNet: the V module's reversible coupling and costs, the CPP module, ~0.16M params."""

import pytest
import sympy

from archscope import api
from archscope.families.vnet import v_module
from archscope.graph import GraphBuilder
from archscope.autograd.couplings import reversible_couplings
from archscope.ops import Shape

SMALL = (64, 128)


def test_near_the_published_params():
    assert abs(api.cost("vnet").total.cost.params / 160_000 - 1) < 0.02


@pytest.mark.parametrize("channels", [8, 32, 128])
def test_v_module_weights_and_asymmetric_saving(channels):
    b = GraphBuilder("v")
    x = b.input(Shape(1, channels, 8, 8))
    with b.block("v"):
        v_module(b, x)
    report = api.cost(b.build())
    half = channels // 2
    assert report.total.cost.params == 2 * 3 * half**2 == 1.5 * channels**2
    # a third fewer weights and MACs than a 3x3 conv at the same width
    assert 3 * report.total.cost.params == 2 * 9 * half**2
    assert report.total.cost.macs == 8 * 8 * report.total.cost.params


def test_coupling_structure():
    net = api.build("vnet", resolution=SMALL)
    layer = "stage3.v0"
    assert net.op(f"{layer}.x1").stop == net.op(f"{layer}.x2").start == 64
    assert net.sources(f"{layer}.z") == [f"{layer}.x1", f"{layer}.f1_1x3_relu"]
    assert net.sources(f"{layer}.y2") == [f"{layer}.x2", f"{layer}.z"]
    assert net.sources(f"{layer}.y") == [f"{layer}.z", f"{layer}.y2"]
    assert net.op(f"{layer}.f1_3x1").dilation == (2, 1)


def test_cpp_halves_the_resolution():
    net = api.build("vnet", resolution=SMALL, cpp_convs=3, cpp_channels=16)
    assert net.shape("stage3.v3.y").h == SMALL[0] // 8
    assert net.shape("cpp.cat") == Shape(1, (3 + 1) * 16, SMALL[0] // 16, SMALL[1] // 16)
    assert len(net.sources("cpp.pyramid_sum")) == 4


def test_odd_widths_cannot_split():
    with pytest.raises(ValueError, match="even"):
        api.build("vnet", widths=(16, 33, 128))


def test_module_closed_form():
    formulas = api.formulas("vnet", resolution=SMALL)
    c, h, w = sympy.symbols("C H W", integer=True, positive=True)
    assert sympy.simplify(formulas["block_params"] - sympy.Rational(3, 2) * c**2) == 0
    assert sympy.simplify(formulas["block_macs"] - sympy.Rational(3, 2) * c**2 * h * w) == 0


def test_reversible_marks_the_v_modules_and_changes_no_cost():
    reversible, plain = (api.cost("vnet", resolution=SMALL, reversible=flag) for flag in (True, False))
    assert reversible.total == plain.total and reversible.network.nodes() == plain.network.nodes()
    couplings = reversible_couplings(reversible.network)
    assert len(couplings) == 3 + 4 and reversible_couplings(plain.network) == ()
    first = couplings[0]
    assert (first.input, first.x2, first.f1_output, first.y1, first.output) == (
        "stage2.down_relu", "stage2.v0.x2", "stage2.v0.f1_1x3_relu", "stage2.v0.z", "stage2.v0.y")
    assert first.f2_output is None  # VNet's F2 is the identity: Y2 = X2 + Y1
