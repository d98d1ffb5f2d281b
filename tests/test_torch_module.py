"""The torch module derived from the graph computes the same network."""

import pytest
import sympy
import torch

from archscope import api
from archscope.graph import GraphBuilder, Port
from archscope.ops import (
    Activation,
    AdaptiveAvgPool2d,
    Add,
    AvgPool2d,
    BatchNorm2d,
    ChannelPad,
    ChannelShuffle,
    Concat,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Linear,
    MaxPool2d,
    MaxUnpool2d,
    Shape,
    Slice,
    Upsample,
    View,
)
from archscope.ops import Binary, Copy, Fill, Pad, Reduce, Scalar
from archscope.torch_module import BUILDERS, example_inputs, to_torch
from archscope.ops import OPS


def every_op_network():
    """A small network that uses every op kind of the vocabulary (but ``unknown``, which
    only imported modules have), with a shared-weight layer and a two-output node."""
    b = GraphBuilder("zoo")
    x = b.input(Shape(2, 3, 32, 32))
    with b.block("a"):
        x = b.add(Conv2d(out_channels=16, stride=2, bias=True), x, name="conv")
        x = b.add(BatchNorm2d(), x, name="bn")
        x = b.add(Activation(function="prelu"), x, name="prelu")
        y = b.add(Conv2d(out_channels=16, kernel_size=(3, 1), groups=4, dilation=2), x, name="asym")
        y = b.add(ChannelShuffle(groups=4), y, name="shuffle")
        y = b.add(Dropout(p=0.1, channelwise=True), y, name="drop")
        y = b.add(Conv2d(out_channels=16, kernel_size=(3, 1), groups=4, dilation=2), y, name="asym2", shares="a.asym")
        x = b.add(Add(), x, y, name="add")
        p = b.add(MaxPool2d(kernel_size=2, return_indices=True), x, name="pool_idx")
        u = b.add(MaxUnpool2d(kernel_size=2), p, Port(p, 1), name="unpool")
        h = b.add(Slice(start=4, stop=12), u, name="slice")
        h = b.add(ChannelPad(channels=16), h, name="pad")
        x = b.add(Add(), x, h, h, name="add3")
        x = b.add(MaxPool2d(kernel_size=2), x, name="maxpool")
    with b.block("b"):
        p = b.add(AvgPool2d(kernel_size=3, stride=1, padding=1), x, name="avgpool")
        x = b.add(Concat(), x, p, name="cat")
        x = b.add(ConvTranspose2d(out_channels=8, kernel_size=2, stride=2), x, name="deconv")
        x = b.add(Upsample(scale_factor=2, mode="nearest"), x, name="up")
        x = b.add(Activation(function="relu6"), x, name="relu6")
    with b.block("c"):  # the ops imported modules use: h-swish, squeeze-excitation, padding, copies
        e = b.add(Scalar(operation="add", value=3.0), x, name="plus3")
        e = b.add(Activation(function="hardswish"), e, name="hswish")
        gate = b.add(AdaptiveAvgPool2d(output_size=1), e, name="se_pool")
        gate = b.add(Activation(function="hardsigmoid"), gate, name="se_gate")
        x = b.add(Binary(operation="mul"), e, gate, name="se_mul")
        x = b.add(Pad(pads=(1, 1, 0, 0, 0, 0)), x, name="pad_w")
        x = b.add(Copy(), x, name="copy")
        x = b.add(View(shape=Shape(2, 8, 32, 17)), x, name="half")
        zeros = b.add(Fill(shape=Shape(2, 8, 32, 17)), name="zeros")
        x = b.add(Binary(operation="add"), x, zeros, name="plus_zeros")
        x = b.add(BatchNorm2d(affine=False), x, name="bn_plain")
        x = b.add(Activation(function="prelu", slopes=1), x, name="prelu1")
        g = b.add(AdaptiveAvgPool2d(output_size=2), x, name="pool")
        x = b.add(Linear(out_features=5), g, name="fc")
        x = b.add(Activation(function="sigmoid"), x, name="sigmoid")
        x = b.add(Reduce(operation="amax", shape=Shape(2, 1, 1, 1)), x, name="most")
    return b.build()


def test_every_op_kind_has_a_builder():
    assert {op.kind for op in BUILDERS} | {"input", "unknown"} == set(OPS)
    kinds = {every_op_network().op(n).kind for n in every_op_network().nodes()}
    assert kinds == set(OPS) - {"unknown"}


def test_every_op_network_runs_with_graph_shapes():
    net = every_op_network()
    model = to_torch(net).eval()
    with torch.no_grad():
        out = model(*example_inputs(net))
    assert tuple(out.shape) == tuple(net.output_shape)
    report = api.cost(net)
    assert sum(p.numel() for p in model.parameters()) == report.total.all_params


@pytest.mark.parametrize("transition", ["projection", "strided", "strided-separable"])
def test_ndnet_module_output_and_names(transition):
    net = api.build("ndnet", widths=(8, 16, 32), depths=(2, 2, 1), resolution=(64, 128), transition=transition)
    model = to_torch(net).eval()
    with torch.no_grad():
        out = model(*example_inputs(net))
    assert out.shape == (1, 19, 64, 128)
    names = dict(model.named_modules())
    assert "blocks.block2.layer1__sep1_dw" in names


def test_intermediates_are_released():
    net = api.build("ndnet", widths=(4,), depths=(3,), resolution=(32, 32))
    model = to_torch(net)
    released = {name for *_, release in model._plan for name in release}
    assert len(released) >= len(net.nodes()) - 2  # all but the input and output


def test_folded_network_has_no_module():
    d = sympy.Symbol("d", integer=True, positive=True)
    net = api.build("ndnet", widths=(4,), depths=(d,), resolution=(32, 32))
    with pytest.raises(ValueError, match="symbolic"):
        to_torch(net)
