"""The op vocabulary: one small typed description per op kind (see ``base.Op``)."""

from archscope.ops.base import COST_FIELDS, OPS, Counts, Op, OpClass, OpCost, Saved, Shape, register_op
from archscope.ops.channels import ChannelPad, Slice
from archscope.ops.combine import Add, ChannelShuffle, Concat, Input
from archscope.ops.conv import Conv2d, ConvTranspose2d, Linear
from archscope.ops.dropout import Dropout
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
    "ChannelPad",
    "ChannelShuffle",
    "Concat",
    "Conv2d",
    "ConvTranspose2d",
    "Counts",
    "Dropout",
    "Input",
    "Linear",
    "MaxPool2d",
    "MaxUnpool2d",
    "Op",
    "OpClass",
    "OpCost",
    "Saved",
    "Shape",
    "Slice",
    "UnknownOp",
    "Upsample",
    "register_op",
]
