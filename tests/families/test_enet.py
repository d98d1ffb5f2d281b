"""ENet: the published parameter count, Table 1's stages and the unpooling indices."""

import pytest
import torch

from archscope import api
from archscope.graph import Port
from archscope.torch_module import example_inputs, to_torch


def test_published_params_within_2_percent():
    total = api.cost("enet").total
    assert abs(total.cost.params / 360_000 - 1) < 0.02, total.cost.params
    assert abs(total.all_params / 360_000 - 1) < 0.02, total.all_params


def test_table1_stages_and_layers():
    report = api.cost("enet", resolution=(512, 512))
    assert report.total.layers == 29
    shapes = {b.name: (b.shape.c, b.shape.h) for b in report.blocks}
    assert shapes == {"initial": (16, 256), "stage1": (64, 128), "stage2": (128, 64), "stage3": (128, 64),
                      "stage4": (64, 128), "stage5": (16, 256), "fullconv": (19, 512)}


def test_upsampling_unpools_with_the_matching_indices():
    net = api.build("enet", resolution=(64, 64))
    assert net.ports("stage4.b0.unpool")[1] == Port("stage2.b0.pool", 1)
    assert net.ports("stage5.b0.unpool")[1] == Port("stage1.b0.pool", 1)
    assert net.op("stage2.b0.pool").return_indices


def test_pattern_of_stage2():
    net = api.build("enet", resolution=(64, 64))
    assert net.op("stage2.b3.conv2_a").kernel_size == (5, 1)
    assert net.op("stage2.b3.conv2_b").kernel_size == (1, 5)
    dilations = [net.op(f"stage2.b{i}.conv2").dilation[0] for i in (1, 2, 4, 5, 6, 8)]
    assert dilations == [1, 2, 4, 1, 8, 16]


def test_torch_module_unpools_to_sparse_maps():
    net = api.build("enet", resolution=(32, 32))
    model = to_torch(net).eval()
    captured = {}
    unpool = model.blocks["stage5"]["b0__unpool"]
    unpool.register_forward_hook(lambda module, args, out: captured.update(out=out, values=args[0]))
    with torch.no_grad():
        model(*example_inputs(net))
    out, values = captured["out"], captured["values"]
    assert out.shape[-2:] == (2 * values.shape[-2], 2 * values.shape[-1])
    assert (out != 0).sum() <= values.numel()  # one position per 2x2 window


def test_bad_widths():
    with pytest.raises(ValueError, match="multiples of 4"):
        api.build("enet", widths=(16, 62, 128))
