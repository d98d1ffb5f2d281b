"""The graph builder: shapes, blocks, names, repeats (unrolled and folded)."""

import pytest
import sympy

from archscope.dims import ShapeError
from archscope.graph import GraphBuilder
from archscope.ops import Activation, Add, BatchNorm2d, Conv2d, Shape


def residual(b, x):
    y = b.add(Conv2d(out_channels=b.shape(x).c), x, name="conv", layers=1)
    y = b.add(BatchNorm2d(), y, name="bn")
    y = b.add(Add(), y, x, name="add")
    return b.add(Activation(), y, name="relu")


def build(depth):
    b = GraphBuilder("toy")
    x = b.input(Shape(1, 3, 16, 16))
    with b.block("stem"):
        x = b.add(Conv2d(out_channels=8, stride=2), x, name="conv", layers=1)
    with b.block("body"):
        x = b.repeat(depth, lambda z: residual(b, z), x)
    return b.build()


def test_nodes_blocks_and_order():
    net = build(2)
    assert net.blocks() == ["input", "stem", "body"]
    assert net.nodes()[:2] == ["input.input", "stem.conv"]
    assert "body.layer1.add" in net.graph
    assert net.sources("body.layer1.add") == ["body.layer1.bn", "body.layer0.relu"]
    assert net.output_shape == Shape(1, 8, 8, 8)
    assert net.outputs == ("body.layer1.relu",)
    assert not net.folded


def test_zero_repeats_is_identity():
    net = build(0)
    assert net.outputs == ("stem.conv",)


def test_symbolic_repeat_folds_one_copy():
    d = sympy.Symbol("d", integer=True, positive=True)
    net = build(d)
    assert net.folded
    assert net.multiplicity("body.layer*.conv") == d
    assert net.multiplicity("stem.conv") == 1


def test_folded_repeat_must_keep_shape():
    b = GraphBuilder("bad")
    x = b.input(Shape(1, 4, 8, 8))
    with pytest.raises(ShapeError, match="keep its shape"):
        b.repeat(sympy.Symbol("d"), lambda z: b.add(Conv2d(out_channels=8), z, name="c"), x)


def test_duplicate_names_raise():
    b = GraphBuilder("dup")
    x = b.input(Shape(1, 4, 8, 8))
    b.add(Activation(), x, name="relu")
    with pytest.raises(ValueError, match="duplicate"):
        b.add(Activation(), x, name="relu")


def test_shape_errors_name_the_node():
    b = GraphBuilder("small")
    x = b.input(Shape(1, 4, 2, 2))
    with b.block("stem"):
        with pytest.raises(ShapeError, match="stem.big"):
            b.add(Conv2d(out_channels=4, kernel_size=5, padding=0), x, name="big")
