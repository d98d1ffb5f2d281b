"""Graph features the new families need: shared weights, several outputs (ports), a
tensor used twice by one op."""

import pytest
import torch

from archscope import api
from archscope.dims import ShapeError
from archscope.graph import GraphBuilder, Port
from archscope.ops import Add, BatchNorm2d, Conv2d, MaxPool2d, MaxUnpool2d, Shape
from archscope.torch_module import example_inputs, to_torch


def shared_network():
    b = GraphBuilder("shared")
    x = b.input(Shape(1, 4, 8, 8))
    with b.block("body"):
        a = b.add(Conv2d(out_channels=4, bias=True), x, name="conv")
        a = b.add(BatchNorm2d(), a, name="bn")
        c = b.add(Conv2d(out_channels=4, bias=True), a, name="conv_again", shares="body.conv")
        c = b.add(BatchNorm2d(), c, name="bn_again", shares="body.bn")
        d = b.add(Conv2d(out_channels=4, bias=True), c, name="conv_third", shares="body.conv_again")
        b.add(Add(), d, d, name="twice")
    return b.build()


def test_shared_weights_count_once_and_their_macs_each_time():
    report = api.cost(shared_network())
    one = 4 * 4 * 9 + 4
    assert report.total.cost.params == one and report.total.cost.norm_params == 8
    assert report.total.cost.macs == 3 * 64 * 4 * 4 * 9
    assert report.network.shares("body.conv_third") == "body.conv"  # resolved to the owner


def test_torch_module_calls_the_owner_layer():
    network = shared_network()
    model = to_torch(network).eval()
    assert sum(p.numel() for p in model.parameters()) == api.cost(network).total.all_params
    assert list(model.blocks["body"]) == ["conv", "bn", "twice"]
    x = example_inputs(network)[0]
    with torch.no_grad():
        conv, bn = model.blocks["body"]["conv"], model.blocks["body"]["bn"]
        expected = 2 * conv(bn(conv(bn(conv(x)))))
        assert torch.allclose(model(x), expected)


def test_sharing_needs_the_same_op_and_channels():
    b = GraphBuilder("bad")
    x = b.input(Shape(1, 4, 8, 8))
    with b.block("body"):
        a = b.add(Conv2d(out_channels=4), x, name="conv")
        with pytest.raises(ShapeError, match="cannot share"):
            b.add(Conv2d(out_channels=4, kernel_size=1), a, name="other", shares=a)
        y = b.add(Conv2d(out_channels=8), a, name="wide")
        with pytest.raises(ShapeError, match="cannot share"):
            b.add(Conv2d(out_channels=4), y, name="wrong_input", shares=a)
        with pytest.raises(ValueError, match="unknown node"):
            b.add(Conv2d(out_channels=4), a, name="nobody", shares="body.nothing")


def test_ports_name_secondary_outputs():
    b = GraphBuilder("ports")
    x = b.input(Shape(1, 4, 8, 8))
    with b.block("body"):
        pool = b.add(MaxPool2d(kernel_size=2, return_indices=True), x, name="pool")
        up = b.add(MaxUnpool2d(kernel_size=2), pool, Port(pool, 1), name="unpool")
        with pytest.raises(ValueError, match="no output 2"):
            b.add(MaxUnpool2d(kernel_size=2), pool, Port(pool, 2), name="bad")
        with pytest.raises(ValueError, match="no output 1"):
            b.add(Add(), up, Port(up, 1), name="bad_add")
    network = b.build()
    assert network.ports("body.unpool") == [Port("body.pool", 0), Port("body.pool", 1)]
    model = to_torch(network).eval()
    x = example_inputs(network)[0]
    with torch.no_grad():
        values, indices = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
        assert torch.equal(model(x), torch.nn.functional.max_unpool2d(values, indices, 2))
