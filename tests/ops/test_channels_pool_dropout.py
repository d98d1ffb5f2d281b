"""Hand-computed costs of the ops ENet, VNet and imported modules added: channel slices
and padding, max-pooling with indices and max-unpooling, dropout, unknown ops."""

import pytest

from archscope.dims import ShapeError
from archscope.ops import ChannelPad, Dropout, MaxPool2d, MaxUnpool2d, OpClass, Shape, Slice, UnknownOp

X = Shape(2, 8, 10, 12)  # 1920 elements


def apply(op, *shapes):
    out = op.output_shape(shapes)
    return out, op.cost(shapes, out, elem_bytes=4)


def test_slice_is_a_free_view():
    out, c = apply(Slice(start=2, stop=6), X)
    assert out == Shape(2, 4, 10, 12)
    assert sum(c.values()) == 0
    for bad in (Slice(start=4, stop=4), Slice(start=0, stop=9), Slice(start=-1, stop=3)):
        with pytest.raises(ShapeError):
            bad.output_shape([X])


def test_channel_pad_copies_into_a_wider_tensor():
    out, c = apply(ChannelPad(channels=12), X)
    assert out == Shape(2, 12, 10, 12)
    assert (c.macs, c.vector_ops, c.params) == (0, 0, 0)
    assert c.read_bytes == 4 * 1920 and c.write_bytes == 4 * 2 * 12 * 120
    with pytest.raises(ShapeError):
        ChannelPad(channels=4).output_shape([X])


def test_max_pool_with_indices_writes_them():
    plain, c0 = apply(MaxPool2d(kernel_size=2), X)
    pool = MaxPool2d(kernel_size=2, return_indices=True)
    out, c = apply(pool, X)
    assert out == plain == Shape(2, 8, 5, 6) and pool.output_count() == 2
    assert c.write_bytes == c0.write_bytes + 8 * out.numel  # int64 indices
    assert c.saved_bytes == c0.saved_bytes


def test_max_unpool_scatters_back():
    pooled = Shape(2, 8, 5, 6)
    op = MaxUnpool2d(kernel_size=2)
    out, c = apply(op, pooled, pooled)
    assert out == X
    assert (c.macs, c.vector_ops, c.saved_bytes) == (0, 0, 0)
    assert c.read_bytes == 4 * pooled.numel + 8 * pooled.numel and c.write_bytes == 4 * 1920
    assert op.op_class([pooled, pooled]) is OpClass.RESIZE
    assert MaxUnpool2d(kernel_size=2, size=(11, 13)).output_shape([pooled, pooled]) == Shape(2, 8, 11, 13)
    with pytest.raises(ShapeError):
        op.output_shape([pooled, Shape(2, 8, 5, 5)])


@pytest.mark.parametrize("channelwise, mask_bytes", [(False, 1920), (True, 4 * 2 * 8)])
def test_dropout_is_free_at_inference_and_keeps_a_mask(channelwise, mask_bytes):
    out, c = apply(Dropout(p=0.1, channelwise=channelwise), X)
    assert out == X
    assert (c.macs, c.vector_ops, c.read_bytes, c.write_bytes) == (0, 0, 0, 0)
    assert c.saved_bytes == mask_bytes
    with pytest.raises(ValueError):
        Dropout(p=1.0)


def test_unknown_op_keeps_the_traced_shape_and_costs_nothing():
    op = UnknownOp(target="GELU", shape=X, outputs=2)
    out, c = apply(op, X, X, X)
    assert out == X and sum(c.values()) == 0 and op.output_count() == 2
    assert op.label() == "unknown:GELU"
