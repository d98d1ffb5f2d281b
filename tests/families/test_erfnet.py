"""ERFNet: the published parameter count, Table 1's layers and the gradual-grouping variants."""

import pytest
import sympy

from archscope import api
from archscope.dims import ShapeError

SMALL = (64, 128)


def conv_records(report, *, contains: str):
    return [r for r in report.records if r.kind == "conv" and contains in r.node]


def test_published_params_within_2_percent():
    total = api.cost("erfnet").total
    assert abs(total.cost.params / 2_070_000 - 1) < 0.02, total.cost.params
    assert abs(total.all_params / 2_070_000 - 1) < 0.02, total.all_params


def test_table1_layers_and_scales():
    report = api.cost("erfnet", resolution=(512, 1024))
    assert report.total.layers == 23
    scales = {b.name: (b.shape.c, b.shape.h) for b in report.blocks}
    assert scales == {"down1": (16, 256), "stage2": (64, 128), "stage3": (128, 64), "up4": (64, 128),
                      "up5": (16, 256), "output": (19, 512)}


def test_dilations_of_the_128_channel_blocks():
    net = api.build("erfnet", resolution=SMALL)
    dilations = [net.op(f"stage3.nb{i}.pair2_3x1").dilation[0] for i in range(8)]
    assert dilations == [2, 4, 8, 16, 2, 4, 8, 16]


@pytest.mark.parametrize("groups", [2, 4, 8])
def test_grouping_divides_the_factorised_convs_by_the_groups(groups):
    dense = api.cost("erfnet", resolution=SMALL)
    grouped = api.cost("erfnet", conv="grouped", groups=groups, resolution=SMALL)
    dense_macs = sum(r.total.macs for r in conv_records(dense, contains="pair"))
    grouped_macs = sum(r.total.macs for r in conv_records(grouped, contains="pair"))
    assert dense_macs == groups * grouped_macs
    others = {r.node: r.total for r in dense.records if "pair" not in r.node}
    assert others == {r.node: r.total for r in grouped.records if "pair" not in r.node}


def test_shuffled_adds_one_shuffle_per_converted_block():
    grouped = api.cost("erfnet", conv="grouped", resolution=SMALL)
    shuffled = api.cost("erfnet", conv="shuffled", resolution=SMALL)
    assert shuffled.total.cost.params == grouped.total.cost.params
    assert sum(r.kind == "channel_shuffle" for r in shuffled.records) == 5 + 8 + 2 + 2


def test_scope_converts_only_the_chosen_blocks():
    dense = {r.node: r for r in api.cost("erfnet", resolution=SMALL).records}
    encoder = api.cost("erfnet", conv="separable", scope="encoder", resolution=SMALL)
    changed = {r.block for r in encoder.records if r.node not in dense or dense[r.node].total != r.total}
    assert changed == {"stage2", "stage3"}
    decoder = api.cost("erfnet", conv="separable", scope="decoder", resolution=SMALL)
    assert {r.block for r in decoder.records if r.node not in dense or dense[r.node].total != r.total} == {"up4", "up5"}


def test_separable_pair_is_depthwise_then_pointwise():
    net = api.build("erfnet", conv="separable", resolution=SMALL)
    dw = net.op("stage3.nb0.pair1_dw3x1")
    assert dw.groups == 128 and dw.kernel_size == (3, 1)
    assert net.op("stage3.nb0.pair1_pw").kernel_size == (1, 1)


def test_light_decoder_and_the_ds_preset_macs_ratio():
    """The docstring's figure: the depthwise-separable encoder with the light decoder has
    6.2x fewer MACs than ERFNet at 1024x2048."""
    erfnet = api.cost("erfnet").total.cost.macs
    light = api.cost("erfnet", conv="separable", scope="encoder", decoder="light")
    assert not any(r.kind == "conv_transpose" for r in light.records)
    assert round(erfnet / light.total.cost.macs, 1) == 6.2
    assert light.total.shape == api.cost("erfnet").total.shape


@pytest.mark.parametrize(
    "hyper, error",
    [
        (dict(widths=(16, 8, 128)), ValueError),
        (dict(widths=(16, 64)), ValueError),
        (dict(conv="grouped", groups=3), ShapeError),
        (dict(depths=(5, -1)), ValueError),
    ],
)
def test_bad_hyper_parameters(hyper, error):
    with pytest.raises(error):
        api.build("erfnet", resolution=SMALL, **hyper)


@pytest.mark.parametrize(
    "conv, params, macs",
    [
        ("dense", "12*C**2 + 4*C", "12*C**2*H*W"),  # four 3-tap convs with biases
        ("grouped", "12*C**2/g + 4*C", "12*C**2*H*W/g"),
        ("separable", "2*C**2 + 18*C", "2*C**2*H*W + 12*C*H*W"),  # 2 pointwise + 4 depthwise 3-tap, biases
    ],
)
def test_block_closed_forms(conv, params, macs):
    formulas = api.formulas("erfnet", conv=conv, resolution=SMALL)
    names = {s: sympy.Symbol(s, integer=True, positive=True) for s in "CgHW"}
    assert sympy.simplify(formulas["block_params"] - sympy.sympify(params, locals=names)) == 0
    assert sympy.simplify(formulas["block_macs"] - sympy.sympify(macs, locals=names)) == 0
