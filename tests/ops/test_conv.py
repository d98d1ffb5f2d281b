"""Hand-computed costs of convolutions (REFERENCE.md §1 eq. 1-3) and linear layers."""

import pytest
import sympy

from archscope.dims import ShapeError
from archscope.ops import Conv2d, ConvTranspose2d, Linear, OpClass, Saved, Shape


def apply(op, *shapes, elem_bytes=4):
    out = op.output_shape(shapes)
    return out, op.cost(shapes, out, elem_bytes=elem_bytes)


def test_standard_conv_eq1():
    # k²·H·W·M·N = 9·8·8·16·32 on an 8x8 output
    out, c = apply(Conv2d(out_channels=32), Shape(1, 16, 8, 8))
    assert out == Shape(1, 32, 8, 8)
    assert c.params == 9 * 16 * 32 == 4608
    assert c.macs == 9 * 8 * 8 * 16 * 32 == 294912
    assert c.read_bytes == 4 * (16 * 64 + 4608)
    assert c.write_bytes == 4 * 32 * 64
    assert c.saved_bytes == 4 * 16 * 64
    assert c.vector_ops == 0 and c.norm_params == 0


def test_depthwise_separable_eq2_and_ratio_eq3():
    x = Shape(1, 64, 10, 10)
    dw_out, dw = apply(Conv2d(out_channels=64, groups=64), x)
    _, pw = apply(Conv2d(out_channels=128, kernel_size=1), dw_out)
    _, std = apply(Conv2d(out_channels=128), x)
    assert dw.macs == 9 * 100 * 64  # k²·H·W·M
    assert pw.macs == 100 * 64 * 128  # H·W·M·N
    ratio = sympy.Rational(std.macs, dw.macs + pw.macs)
    assert ratio == sympy.Rational(9 * 128, 9 + 128)  # k²N / (k² + N)


def test_asymmetric_pair_is_two_thirds_of_3x3():
    x = Shape(1, 32, 16, 16)
    mid, a = apply(Conv2d(out_channels=32, kernel_size=(3, 1)), x)
    _, b = apply(Conv2d(out_channels=32, kernel_size=(1, 3)), mid)
    _, full = apply(Conv2d(out_channels=32), x)
    assert a.macs + b.macs == 2 * 3 * 16 * 16 * 32 * 32
    assert sympy.Rational(a.macs + b.macs, full.macs) == sympy.Rational(6, 9)
    assert mid.h == 16 and mid.w == 16  # "same" padding per axis: (1, 0)


def test_strided_dilated_grouped_conv():
    op = Conv2d(out_channels=24, kernel_size=3, stride=2, dilation=2, groups=4, bias=True)
    assert op.padding == (2, 2)
    out, c = apply(op, Shape(2, 8, 15, 17))
    # (15 + 4 - 4 - 1)//2 + 1 = 8, (17 + 4 - 4 - 1)//2 + 1 = 9
    assert out == Shape(2, 24, 8, 9)
    assert c.params == 24 * 2 * 9 + 24
    assert c.macs == 2 * 8 * 9 * 24 * 2 * 9
    assert c.vector_ops == out.numel  # bias adds


def test_op_classes():
    x = Shape(1, 16, 8, 8)
    assert Conv2d(out_channels=16, groups=16).op_class([x]) is OpClass.DEPTHWISE
    assert Conv2d(out_channels=32, kernel_size=1).op_class([x]) is OpClass.POINTWISE
    assert Conv2d(out_channels=32, groups=4).op_class([x]) is OpClass.CONV


def test_transposed_conv():
    op = ConvTranspose2d(out_channels=16, kernel_size=3, stride=2, padding=1, output_padding=1, bias=True)
    out, c = apply(op, Shape(1, 32, 8, 8))
    assert out == Shape(1, 16, 16, 16)
    assert c.params == 32 * 16 * 9 + 16
    assert c.macs == 8 * 8 * 32 * 16 * 9  # every input position scatters a 3x3x16 patch


def test_linear_on_flattened_features():
    out, c = apply(Linear(out_features=10), Shape(4, 8, 2, 2))
    assert out == Shape(4, 10, 1, 1)
    assert c.params == 32 * 10 + 10
    assert c.macs == 4 * 32 * 10
    assert Linear(out_features=10).saved([Shape(4, 8, 2, 2)], out) == (Saved("input", 0, 4 * 32 * 4),)


def test_symbolic_conv_uses_the_same_formula():
    n, h = sympy.symbols("n h", integer=True, positive=True)
    op = Conv2d(out_channels=2 * n, stride=2)
    out, c = apply(op, Shape(1, n, 64 * h, 64 * h))
    assert out.h == 32 * h  # floor resolves for multiples of the stride
    assert sympy.expand(c.macs - 9 * n * 2 * n * (32 * h) ** 2) == 0
    assert c.macs.subs({n: 5, h: 1}) == apply(Conv2d(out_channels=10, stride=2), Shape(1, 5, 64, 64))[1].macs


@pytest.mark.parametrize(
    "op, shape, message",
    [
        (Conv2d(out_channels=8, groups=3), Shape(1, 6, 8, 8), "not divisible"),
        (Conv2d(out_channels=8, kernel_size=5, padding=0), Shape(1, 4, 3, 3), "too small"),
    ],
)
def test_bad_shapes_raise(op, shape, message):
    with pytest.raises(ShapeError, match=message):
        op.output_shape([shape])


def test_bad_config_raises():
    with pytest.raises(ValueError, match="out_channels"):
        Conv2d(out_channels=0)
    with pytest.raises(ValueError, match="stride"):
        Conv2d(out_channels=4, stride=0)
