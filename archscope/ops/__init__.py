"""The op vocabulary: one small typed description per op kind (see ``base.Op``)."""

from archscope.ops.base import COST_FIELDS, OPS, Counts, Op, OpClass, OpCost, Saved, Shape, register_op
from archscope.ops.combine import Add, ChannelShuffle, Concat, Input
from archscope.ops.conv import Conv2d, ConvTranspose2d, Linear
from archscope.ops.norm import Activation, BatchNorm2d
from archscope.ops.pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from archscope.ops.resize import Upsample

__all__ = [
    "COST_FIELDS",
    "OPS",
    "Activation",
    "AdaptiveAvgPool2d",
    "Add",
    "AvgPool2d",
    "BatchNorm2d",
    "ChannelShuffle",
    "Concat",
    "Conv2d",
    "ConvTranspose2d",
    "Counts",
    "Input",
    "Linear",
    "MaxPool2d",
    "Op",
    "OpClass",
    "OpCost",
    "Saved",
    "Shape",
    "Upsample",
    "register_op",
]
