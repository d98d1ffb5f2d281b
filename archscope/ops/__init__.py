"""The op vocabulary: one small typed description per op kind (see ``base.Op``)."""

from archscope.ops.base import COST_FIELDS, OPS, Counts, Op, OpClass, OpCost, Saved, Shape, register_op
from archscope.ops.channels import ChannelPad, Slice
from archscope.ops.combine import Add, ChannelShuffle, Concat, Input
from archscope.ops.conv import Conv2d, ConvTranspose2d, Linear
from archscope.ops.dropout import Dropout
from archscope.ops.elementwise import Binary, Copy, Fill, Pad, Reduce, Scalar, View
from archscope.ops.norm import Activation, BatchNorm2d
from archscope.ops.pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d
from archscope.ops.resize import Upsample
from archscope.ops.unknown import UnknownOp

__all__ = [
    "COST_FIELDS",
    "OPS",
    "Activation",
    "AdaptiveAvgPool2d",
    "Add",
    "AvgPool2d",
    "BatchNorm2d",
    "Binary",
    "ChannelPad",
    "ChannelShuffle",
    "Concat",
    "Conv2d",
    "Copy",
    "ConvTranspose2d",
    "Counts",
    "Dropout",
    "Fill",
    "Input",
    "Linear",
    "MaxPool2d",
    "MaxUnpool2d",
    "Op",
    "OpClass",
    "OpCost",
    "Pad",
    "Reduce",
    "Saved",
    "Scalar",
    "Shape",
    "Slice",
    "UnknownOp",
    "Upsample",
    "View",
    "register_op",
]
