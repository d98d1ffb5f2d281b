"""Hand-computed costs of BN, activations, pooling, upsampling, add, concat and shuffle."""

import pytest

from archscope.dims import ShapeError
from archscope.ops import (
    Activation,
    AdaptiveAvgPool2d,
    Add,
    AvgPool2d,
    BatchNorm2d,
    ChannelShuffle,
    Concat,
    Input,
    MaxPool2d,
    OpClass,
    Shape,
    Upsample,
)

X = Shape(2, 8, 10, 12)  # 1920 elements


def apply(op, *shapes):
    out = op.output_shape(shapes)
    return out, op.cost(shapes, out, elem_bytes=4)


def test_batch_norm():
    out, c = apply(BatchNorm2d(), X)
    assert out == X
    assert (c.params, c.norm_params) == (0, 16)
    assert c.vector_ops == 1920
    assert c.read_bytes == 4 * (1920 + 16 + 16)  # input, gamma/beta, running stats
    assert c.write_bytes == 4 * 1920
    assert c.saved_bytes == 4 * 1920 + 2 * 8 * 4  # input + batch mean / inv std


@pytest.mark.parametrize("function, params, saved", [("relu", 0, "output"), ("prelu", 8, "input"), ("relu6", 0, "input")])
def test_activations(function, params, saved):
    op = Activation(function=function)
    out, c = apply(op, X)
    assert c.params == params and c.vector_ops == 1920
    assert op.saved([X], out)[0].tensor == saved
    assert op.op_class([X]) is OpClass.NORM_ACT


def test_unknown_activation_and_slopes():
    with pytest.raises(ValueError, match="unknown activation 'mish'"):
        Activation(function="mish")
    with pytest.raises(ValueError, match="slopes are PReLU's"):
        Activation(function="relu", slopes=1)
    one = Activation(function="prelu", slopes=1)  # nn.PReLU(): one slope for every channel
    assert apply(one, X)[1].params == 1 and one.label() == "prelu1"


def test_max_pool_stem():
    out, c = apply(MaxPool2d(kernel_size=3, stride=2, padding=1), X)
    assert out == Shape(2, 8, 5, 6)
    assert c.vector_ops == out.numel * 9
    assert c.saved_bytes == 4 * 1920 + 8 * out.numel  # input + int64 indices


def test_avg_pool_ceil_mode():
    out, _ = apply(AvgPool2d(kernel_size=3, stride=2, ceil_mode=True), Shape(1, 1, 10, 10))
    assert out.h == 5  # torch: ceil((10-3)/2)+1 = 5, last window starts inside


def test_global_pool():
    out, c = apply(AdaptiveAvgPool2d(output_size=1), X)
    assert out == Shape(2, 8, 1, 1)
    assert c.vector_ops == 1920
    with pytest.raises(ShapeError):
        AdaptiveAvgPool2d(output_size=16).output_shape([X])


@pytest.mark.parametrize("mode, ops", [("nearest", 0), ("bilinear", 4)])
def test_upsample(mode, ops):
    out, c = apply(Upsample(scale_factor=2, mode=mode), X)
    assert out == Shape(2, 8, 20, 24)
    assert c.vector_ops == ops * out.numel
    assert c.saved_bytes == 0
    sized, _ = apply(Upsample(size=(7, 9), mode=mode), X)
    assert sized == Shape(2, 8, 7, 9)


def test_add_concat_shuffle():
    out, c = apply(Add(), X, X, X)
    assert out == X and c.vector_ops == 2 * 1920 and c.read_bytes == 3 * 4 * 1920
    out, c = apply(Concat(), X, Shape(2, 3, 10, 12))
    assert out == Shape(2, 11, 10, 12) and c.vector_ops == 0 and c.write_bytes == 4 * 2 * 11 * 120
    out, c = apply(ChannelShuffle(groups=4), X)
    assert out == X and c.read_bytes == c.write_bytes == 4 * 1920
    with pytest.raises(ShapeError):
        Add().output_shape([X, Shape(2, 8, 10, 11)])
    with pytest.raises(ShapeError):
        ChannelShuffle(groups=3).output_shape([X])


def test_input_costs_nothing():
    op = Input(shape=X)
    out, c = apply(op)
    assert out == X and sum(c.values()) == 0
