"""The table of torch calls archscope knows, for importing a user's ``nn.Module``.

One small handler per torch module type, function or tensor method (fvcore-style): it
receives the call's arguments by name (tensors as ``Tensor``: where the value lives in
archscope's graph, its real torch shape and whether it is contiguous; parameters read
directly as ``Param``) and returns the archscope op it is (``Mapped``), the input it
merely passes on (``Alias``: identity, a flatten, a view that keeps the elements and
their NCHW reading), or ``None`` when archscope has no cost formula for this form of the
call. ``archscope.imports.importer`` turns ``None`` into an ``UnknownOp`` that is listed,
never silently costed as zero.

Module handlers are looked up by exact type (a subclass may override ``forward``);
a subclass that does not is traced through, and its functional calls are handled.
"""

from __future__ import annotations

import inspect
import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from archscope.graph import Port
from archscope.ops import (
    Activation,
    AdaptiveAvgPool2d,
    Add,
    AvgPool2d,
    BatchNorm2d,
    Binary,
    ChannelPad,
    ChannelShuffle,
    Concat,
    Conv2d,
    ConvTranspose2d,
    Copy,
    Dropout,
    Fill,
    Linear,
    MaxPool2d,
    MaxUnpool2d,
    Op,
    Pad,
    Reduce,
    Scalar,
    Shape,
    Slice,
    Upsample,
    View,
)


@dataclass(frozen=True)
class Tensor:
    """A traced tensor: the graph output holding it, its real (torch) shape and layout."""

    ref: Port
    shape: tuple[int, ...]
    contiguous: bool = True


@dataclass(frozen=True)
class Param:
    """A parameter or buffer read directly (``F.conv2d(x, self.weight)``)."""

    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Mapped:
    """The call is ``op`` applied to ``inputs``."""

    op: Op
    inputs: tuple[Tensor, ...]


@dataclass(frozen=True)
class Alias:
    """The call returns ``tensor``'s elements unchanged, read the same way (no kernel)."""

    tensor: Tensor


@dataclass(frozen=True)
class Call:
    """One traced call: its arguments by name, the module called (``call_module``) and
    the real shape and layout of its output."""

    arguments: Mapping[str, Any]
    out_shape: tuple[int, ...]
    module: nn.Module | None = None
    out_contiguous: bool = True

    def tensor(self, name: str) -> Tensor | None:
        value = self.arguments.get(name)
        return value if isinstance(value, Tensor) else None


Result = Mapped | Alias | None
Handler = Callable[[Call], Result]


def as_shape(dims: Sequence[int]) -> Shape:
    """A torch shape as NCHW: (N, F) is N×F×1×1; other ranks are padded or folded."""
    dims = [int(d) for d in dims]
    if len(dims) > 4:
        dims = [*dims[:3], math.prod(dims[3:])]
    return Shape(*(dims + [1] * (4 - len(dims))))


#: parameter names of builtins and tensor methods, whose signatures inspect cannot read
_UNARY = ("input",)
_BINARY = ("input", "other")
_PARAMS: dict[Any, tuple[str, ...]] = {
    torch.cat: ("tensors", "dim"),
    torch.concat: ("tensors", "dim"),
    torch.add: ("input", "other", "alpha"),
    torch.sub: ("input", "other", "alpha"),
    torch.mul: _BINARY,
    torch.div: ("input", "other", "rounding_mode"),
    torch.maximum: _BINARY,
    torch.minimum: _BINARY,
    operator.getitem: ("input", "index"),
    torch.flatten: ("input", "start_dim", "end_dim"),
    torch.relu: _UNARY,
    torch.sigmoid: _UNARY,
    torch.tanh: _UNARY,
    torch.mean: ("input", "dim", "keepdim"),
    torch.softmax: ("input", "dim"),
    torch.chunk: ("input", "chunks", "dim"),
    torch.split: ("input", "split_size_or_sections", "dim"),
    torch.transpose: ("input", "dim0", "dim1"),
    torch.permute: ("input", "dims"),
    torch.reshape: ("input", "shape"),
    torch.squeeze: ("input", "dim"),
    torch.unsqueeze: ("input", "dim"),
    torch.conv2d: ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    torch.conv_transpose2d: ("input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation"),
    torch.channel_shuffle: ("input", "groups"),
    torch.max_pool2d: ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    F.max_pool2d: ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    F.avg_pool2d: ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    F.adaptive_avg_pool2d: ("input", "output_size"),
    F.hardtanh: ("input", "min_val", "max_val", "inplace"),
    F.linear: ("input", "weight", "bias"),
    F.prelu: ("input", "weight"),
    F.gelu: ("input", "approximate"),
    F.silu: ("input", "inplace"),
    F.hardswish: ("input", "inplace"),
    F.hardsigmoid: ("input", "inplace"),
    F.pad: ("input", "pad", "mode", "value"),
    **dict.fromkeys((torch.zeros, torch.ones, torch.empty), ("*size",)),
    torch.full: ("size", "fill_value"),
    **dict.fromkeys((torch.zeros_like, torch.ones_like, torch.empty_like), ("input",)),
    **{name: _BINARY for name in ("add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "__iadd__")},
    **{name: _UNARY for name in ("relu", "relu_", "sigmoid", "sigmoid_", "tanh", "contiguous", "clone", "float",
                                 "detach", "hardtanh_")},
    "flatten": ("input", "start_dim", "end_dim"),
    "mean": ("input", "dim", "keepdim"),
    "softmax": ("input", "dim"),
    "chunk": ("input", "chunks", "dim"),
    "split": ("input", "split_size", "dim"),
    "transpose": ("input", "dim0", "dim1"),
    "expand_as": ("input", "other"),
}
for _name in ("view", "reshape", "permute", "expand", "repeat", "new_zeros", "new_ones", "new_empty"):
    _PARAMS[_name] = ("input", "*shape")
for _name in ("squeeze", "unsqueeze"):
    _PARAMS[_name] = ("input", "dim")
for _op in (operator.add, operator.iadd, operator.sub, operator.isub, operator.mul, operator.imul,
            operator.truediv, operator.itruediv, operator.gt, operator.ge, operator.lt, operator.le, operator.eq,
            operator.ne, torch.gt, torch.ge, torch.lt, torch.le, torch.eq, torch.ne, "gt", "ge", "lt", "le", "eq", "ne"):
    _PARAMS[_op] = _BINARY
for _op in (operator.neg, torch.neg, "neg", "__neg__"):
    _PARAMS[_op] = _UNARY
for _op in (torch.sum, "sum", torch.amax, "amax", torch.amin, "amin"):
    _PARAMS[_op] = ("input", "dim", "keepdim")


def bind(target: Any, args: tuple, kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The call's arguments by parameter name (defaults filled in), or ``None`` if the
    parameter names of ``target`` are not known. A ``*shape`` parameter collects the
    remaining positional arguments (``x.view(n, -1)``)."""
    if target in _PARAMS:
        names = _PARAMS[target]
        if names[-1].startswith("*"):
            rest = args[len(names) - 1:]
            shape = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list, torch.Size)) else rest
            return {**dict(zip(names[:-1], args)), names[-1][1:]: tuple(shape), **kwargs}
        if len(args) > len(names):
            return None
        return {**dict(zip(names, args)), **kwargs}
    try:
        bound = inspect.signature(target).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    bound.apply_defaults()
    return dict(bound.arguments)


def _pair(value: Any) -> tuple[int, int] | None:
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (value[0], value[1])
    return None


def _is_4d(*tensors: Tensor | None) -> bool:
    return all(t is not None and len(t.shape) == 4 for t in tensors)


# ---- convolutions and linear layers ----------------------------------------------------

def _conv_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int] | None:
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        spans = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return None if any(s % 2 for s in spans) else (spans[0] // 2, spans[1] // 2)
    return _pair(padding)


def _conv(x: Tensor | None, out_channels: int, kernel: Any, *, stride: Any, padding: Any, dilation: Any, groups: int,
          bias: bool) -> Result:
    kernel, dilation = _pair(kernel), _pair(dilation)
    padding = _conv_padding(padding, kernel, dilation) if kernel and dilation else None
    if not _is_4d(x) or padding is None or _pair(stride) is None:
        return None
    op = Conv2d(out_channels=out_channels, kernel_size=kernel, stride=_pair(stride), padding=padding,
                dilation=dilation, groups=groups, bias=bias)
    return Mapped(op, (x,))


def _conv2d(call: Call) -> Result:
    m = call.module
    if m.padding_mode != "zeros":
        return None
    return _conv(call.tensor("input"), m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
                 dilation=m.dilation, groups=m.groups, bias=m.bias is not None)


def _conv2d_function(call: Call) -> Result:
    a, weight = call.arguments, call.arguments.get("weight")
    if not isinstance(weight, Param) or len(weight.shape) != 4:
        return None
    return _conv(call.tensor("input"), weight.shape[0], weight.shape[2:], stride=a.get("stride", 1),
                 padding=a.get("padding", 0), dilation=a.get("dilation", 1), groups=a.get("groups", 1),
                 bias=a.get("bias") is not None)


def _deconv(x: Tensor | None, out: tuple[int, ...], out_channels: int, kernel: Any, *, stride: Any, padding: Any,
            dilation: Any, groups: int, bias: bool) -> Result:
    kernel, stride, padding, dilation = (_pair(v) for v in (kernel, stride, padding, dilation))
    if not _is_4d(x) or None in (kernel, stride, padding, dilation):
        return None
    # the output padding that gives the traced size (ConvTranspose2d(..., output_size=...) chooses it)
    extra = tuple(o - ((i - 1) * s - 2 * p + d * (k - 1) + 1)
                  for o, i, s, p, d, k in zip(out[2:], x.shape[2:], stride, padding, dilation, kernel))
    if min(extra) < 0:
        return None
    op = ConvTranspose2d(out_channels=out_channels, kernel_size=kernel, stride=stride, padding=padding,
                         output_padding=extra, dilation=dilation, groups=groups, bias=bias)
    return Mapped(op, (x,))


def _conv_transpose2d(call: Call) -> Result:
    m = call.module
    if m.padding_mode != "zeros":
        return None
    return _deconv(call.tensor("input"), call.out_shape, m.out_channels, m.kernel_size, stride=m.stride,
                   padding=m.padding, dilation=m.dilation, groups=m.groups, bias=m.bias is not None)


def _conv_transpose2d_function(call: Call) -> Result:
    a, weight = call.arguments, call.arguments.get("weight")
    if not isinstance(weight, Param) or len(weight.shape) != 4:
        return None
    groups = a.get("groups", 1)
    return _deconv(call.tensor("input"), call.out_shape, weight.shape[1] * groups, weight.shape[2:],
                   stride=a.get("stride", 1), padding=a.get("padding", 0), dilation=a.get("dilation", 1),
                   groups=groups, bias=a.get("bias") is not None)


def _linear_op(x: Tensor | None, out_features: int, bias: bool) -> Result:
    if x is None or len(x.shape) not in (2, 4):
        return None
    if len(x.shape) == 2:  # (N, features)
        return Mapped(Linear(out_features=out_features, bias=bias), (x,))
    return Mapped(Linear(out_features=out_features, bias=bias, last_dim=True, contiguous=x.contiguous), (x,))


def _linear(call: Call) -> Result:
    return _linear_op(call.tensor("input"), call.module.out_features, call.module.bias is not None)


def _linear_function(call: Call) -> Result:
    weight = call.arguments.get("weight")
    if not isinstance(weight, Param) or len(weight.shape) != 2:
        return None
    return _linear_op(call.tensor("input"), weight.shape[0], call.arguments.get("bias") is not None)


# ---- normalisation and activations -----------------------------------------------------

def _bn_input(x: Tensor | None) -> bool:
    return x is not None and len(x.shape) in (2, 4)


def _batch_norm(call: Call) -> Result:
    m, x = call.module, call.tensor("input")
    if not _bn_input(x):
        return None
    momentum = m.momentum if m.momentum is not None else 0.1
    return Mapped(BatchNorm2d(eps=m.eps, momentum=momentum, affine=m.affine), (x,))


def _batch_norm_function(call: Call) -> Result:
    a, x = call.arguments, call.tensor("input")
    if not _bn_input(x) or a.get("training"):
        return None
    return Mapped(BatchNorm2d(eps=a.get("eps", 1e-5), momentum=a.get("momentum", 0.1),
                              affine=a.get("weight") is not None), (x,))


def _activation(function: str) -> Handler:
    def handle(call: Call) -> Result:
        x = call.tensor("input")
        return None if x is None else Mapped(Activation(function=function), (x,))

    return handle


def _softmax(function: str) -> Handler:
    def handle(call: Call) -> Result:
        x, dim = call.tensor("input"), call.arguments.get("dim")
        if call.module is not None:
            dim = call.module.dim
        if x is None or dim not in (1, -len(x.shape) + 1):
            return None  # across channels only (a classifier's or a segmentation head's scores)
        return Mapped(Activation(function=function), (x,))

    return handle


def _hardtanh(call: Call) -> Result:
    x = call.tensor("input")
    if call.module is not None:
        low, high = call.module.min_val, call.module.max_val
    else:
        low, high = call.arguments.get("min_val", -1.0), call.arguments.get("max_val", 1.0)
    if x is None:
        return None
    return Mapped(Activation(function="relu6" if (low, high) == (0.0, 6.0) else "hardtanh"), (x,))


def _prelu_op(x: Tensor | None, slopes: int) -> Result:
    if not _is_4d(x) or slopes not in (1, x.shape[1]):
        return None
    return Mapped(Activation(function="prelu", slopes=1 if slopes == 1 else None), (x,))


def _prelu(call: Call) -> Result:
    return _prelu_op(call.tensor("input"), call.module.num_parameters)


def _prelu_function(call: Call) -> Result:
    weight = call.arguments.get("weight")
    return _prelu_op(call.tensor("input"), math.prod(weight.shape)) if isinstance(weight, Param) else None


# ---- pooling, resizing, unpooling ------------------------------------------------------

def _max_pool_op(x: Tensor | None, kernel: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool,
                 indices: bool) -> Result:
    if not _is_4d(x) or _pair(dilation) != (1, 1):
        return None
    op = MaxPool2d(kernel_size=kernel, stride=stride or kernel, padding=padding, ceil_mode=bool(ceil_mode),
                   return_indices=bool(indices))
    return Mapped(op, (x,))


def _max_pool(call: Call) -> Result:
    m = call.module
    return _max_pool_op(call.tensor("input"), m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode,
                        m.return_indices)


def _max_pool_function(call: Call) -> Result:
    a = call.arguments
    return _max_pool_op(call.tensor("input"), a["kernel_size"], a.get("stride"), a.get("padding", 0),
                        a.get("dilation", 1), a.get("ceil_mode"), a.get("return_indices"))


def _avg_pool_op(x: Tensor | None, kernel: Any, stride: Any, padding: Any, ceil_mode: bool, include_pad: bool,
                 divisor: Any) -> Result:
    if not _is_4d(x) or not include_pad or divisor is not None:
        return None
    return Mapped(AvgPool2d(kernel_size=kernel, stride=stride or kernel, padding=padding, ceil_mode=bool(ceil_mode)),
                  (x,))


def _avg_pool(call: Call) -> Result:
    m = call.module
    return _avg_pool_op(call.tensor("input"), m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad,
                        m.divisor_override)


def _avg_pool_function(call: Call) -> Result:
    a = call.arguments
    return _avg_pool_op(call.tensor("input"), a["kernel_size"], a.get("stride"), a.get("padding", 0),
                        a.get("ceil_mode"), a.get("count_include_pad", True), a.get("divisor_override"))


def _adaptive_op(x: Tensor | None, size: Any) -> Result:
    size = _pair(size)
    return Mapped(AdaptiveAvgPool2d(output_size=size), (x,)) if _is_4d(x) and size else None


def _adaptive_avg_pool(call: Call) -> Result:
    return _adaptive_op(call.tensor("input"), call.module.output_size)


def _adaptive_avg_pool_function(call: Call) -> Result:
    return _adaptive_op(call.tensor("input"), call.arguments.get("output_size"))


def _mean(call: Call) -> Result:
    """A mean over the spatial dimensions is global average pooling; over others, a reduction."""
    x, dims = call.tensor("input"), call.arguments.get("dim")
    dims = (dims,) if isinstance(dims, int) else dims
    if _is_4d(x) and isinstance(dims, (tuple, list)) and {d % 4 for d in dims} == {2, 3}:
        return Mapped(AdaptiveAvgPool2d(output_size=1), (x,))
    return _reduce("mean")(call)


def _reduce(operation: str) -> Handler:
    def handle(call: Call) -> Result:
        x = call.tensor("input")
        if x is None or not isinstance(call.out_shape, tuple) or any(isinstance(d, tuple) for d in call.out_shape):
            return None  # max(x, dim) returns values and indices
        return Mapped(Reduce(operation=operation, shape=as_shape(call.out_shape)), (x,))

    return handle


def _neg(call: Call) -> Result:
    x = call.tensor("input")
    return Mapped(Scalar(operation="mul", value=-1.0), (x,)) if x is not None else None


def _resize(x: Tensor | None, call: Call, mode: Any, align_corners: Any, scale: Any = None) -> Result:
    if not _is_4d(x) or mode not in ("nearest", "bilinear"):
        return None
    align = bool(align_corners) if mode == "bilinear" else False
    given = float(scale) if isinstance(scale, (int, float)) else None
    op = Upsample(size=(call.out_shape[2], call.out_shape[3]), mode=mode, align_corners=align, given_scale=given)
    return Mapped(op, (x,))


def _upsample_module(call: Call) -> Result:
    m = call.module
    return _resize(call.tensor("input"), call, m.mode, m.align_corners, m.scale_factor)


def _interpolate(call: Call) -> Result:
    a = call.arguments
    return _resize(call.tensor("input"), call, a.get("mode", "nearest"), a.get("align_corners"), a.get("scale_factor"))


def _upsample_bilinear(call: Call) -> Result:  # F.upsample_bilinear: align_corners=True
    return _resize(call.tensor("input"), call, "bilinear", True, call.arguments.get("scale_factor"))


def _unpool_op(x: Tensor | None, indices: Tensor | None, kernel: Any, stride: Any, padding: Any, out: Any) -> Result:
    if not _is_4d(x, indices):
        return None
    op = MaxUnpool2d(kernel_size=kernel, stride=stride or kernel, padding=padding, size=tuple(out[2:]))
    return Mapped(op, (x, indices))


def _unpool_module(call: Call) -> Result:
    m = call.module
    return _unpool_op(call.tensor("input"), call.tensor("indices"), m.kernel_size, m.stride, m.padding,
                      call.out_shape)


def _unpool_function(call: Call) -> Result:
    a = call.arguments
    return _unpool_op(call.tensor("input"), call.tensor("indices"), a["kernel_size"], a.get("stride"),
                      a.get("padding", 0), call.out_shape)


# ---- arithmetic --------------------------------------------------------------------------

_NUMBER = (int, float)


def _arith(operation: str) -> Handler:
    """``a <op> b``: two tensors (an n-ary sum for same-shape adds, with broadcasting a
    ``Binary``) or a tensor and a number (``Scalar``; ``3 - x`` is ``rsub``)."""

    def handle(call: Call) -> Result:
        a = call.arguments
        first, second = a.get("input"), a.get("other")
        more = a.get("more", ())
        if a.get("alpha", 1) != 1 or a.get("rounding_mode") is not None:
            return None
        tensors = [t for t in (first, second, *more) if isinstance(t, Tensor)]
        if len(tensors) == 2 + len(more):
            if operation == "add" and len({t.shape for t in tensors}) == 1:
                return Mapped(Add(), tuple(tensors))
            return Mapped(Binary(operation=operation), (first, second)) if not more else None
        if len(tensors) != 1 or more:
            return None
        constant = second if isinstance(first, Tensor) else first
        if not isinstance(constant, _NUMBER) or isinstance(constant, bool):
            return None
        name = operation if isinstance(first, Tensor) else {"sub": "rsub", "div": "rdiv"}.get(operation, operation)
        return Mapped(Scalar(operation=name, value=float(constant)), (tensors[0],))

    return handle


def _binary(operation: str) -> Handler:
    def handle(call: Call) -> Result:
        a, b = call.tensor("input"), call.tensor("other")
        return Mapped(Binary(operation=operation), (a, b)) if a is not None and b is not None else None

    return handle


def _cat(call: Call) -> Result:
    tensors = call.arguments.get("tensors")
    dim = call.arguments.get("dim", 0)
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, Tensor) and len(t.shape) == 4 for t in tensors):
        return None
    if dim not in (1, -3) or len(tensors) < 2:
        return None
    return Mapped(Concat(), tuple(tensors))


# ---- views, copies, padding, new tensors ---------------------------------------------

def _reshaped(x: Tensor | None, call: Call) -> Result:
    """The input read with the traced output's shape: an alias when its NCHW reading is
    unchanged, else a zero-cost view; a copy first when torch must copy (the input is not
    contiguous and the output is)."""
    if x is None or math.prod(x.shape) != math.prod(call.out_shape):
        return None
    if not x.contiguous and call.out_contiguous:
        return Mapped(Copy(shape=as_shape(call.out_shape)), (x,))
    if as_shape(call.out_shape) == as_shape(x.shape):
        return Alias(x)
    return Mapped(View(shape=as_shape(call.out_shape)), (x,))


def _view(call: Call) -> Result:
    return _reshaped(call.tensor("input"), call)


def _flatten(call: Call) -> Result:
    return _reshaped(call.tensor("input"), call)


def _flatten_module(call: Call) -> Result:
    return _reshaped(call.tensor("input"), call)


def _contiguous(call: Call) -> Result:
    return _reshaped(call.tensor("input"), call)


def _clone(call: Call) -> Result:
    x = call.tensor("input")
    return Mapped(Copy(shape=as_shape(call.out_shape)), (x,)) if x is not None else None


def _expand(call: Call) -> Result:
    """A broadcast view: the consumers read the unexpanded tensor (``Binary`` broadcasts)."""
    x = call.tensor("input")
    return Alias(x) if x is not None else None


def _identity(call: Call) -> Result:
    x = call.tensor("input")
    return None if x is None else Alias(x)


def _getitem(call: Call) -> Result:
    """``x[:, a:b]`` (a channel slice), ``x[:, :, None, None]`` (new axes) or any other
    basic indexing (a strided view, such as ``x[:, :, ::2, ::2]``)."""
    x, index = call.tensor("input"), call.arguments.get("index")
    if x is None:
        return None
    index = index if isinstance(index, tuple) else (index,)
    if not all(i is None or i is Ellipsis or isinstance(i, (slice, int)) for i in index):
        return None  # advanced indexing (a tensor of indices): a gather
    full = slice(None, None, None)
    if all(i is None or i == full for i in index):
        return _reshaped(x, call)
    if len(x.shape) == 4 and len(index) >= 2 and index[0] == full and all(i == full for i in index[2:]):
        channels = index[1]
        if isinstance(channels, slice) and channels.step in (None, 1):
            start, stop, _ = channels.indices(x.shape[1])
            if stop > start:
                return Mapped(Slice(start=start, stop=stop), (x,))
    return Mapped(View(shape=as_shape(call.out_shape)), (x,))


def _pad_op(x: Tensor | None, pad: Any, mode: Any, value: Any) -> Result:
    if not _is_4d(x) or (mode or "constant") != "constant" or not isinstance(pad, (tuple, list)):
        return None
    pads = [*pad, *[0] * (6 - len(pad))]
    if len(pads) != 6 or min(pads) < 0 or not all(isinstance(p, int) for p in pads):
        return None
    value = float(value or 0.0)
    if tuple(pads[:5]) == (0, 0, 0, 0, 0) and value == 0.0:
        return Mapped(ChannelPad(channels=x.shape[1] + pads[5]), (x,))  # zero channels appended
    return Mapped(Pad(pads=tuple(pads), value=value), (x,))


def _pad(call: Call) -> Result:
    a = call.arguments
    return _pad_op(call.tensor("input"), a.get("pad"), a.get("mode", "constant"), a.get("value"))


def _pad_module(call: Call) -> Result:
    m = call.module
    return _pad_op(call.tensor("input"), m.padding, "constant", getattr(m, "value", 0.0))


def _fill(value: float) -> Handler:
    def handle(call: Call) -> Result:
        a = call.arguments
        fill = a.get("fill_value", value)
        if not _is_4d(Tensor(Port("", 0), call.out_shape)) or not isinstance(fill, _NUMBER):
            return None
        return Mapped(Fill(shape=as_shape(call.out_shape), value=float(fill)), ())

    return handle


def _dropout_module(channelwise: bool) -> Handler:
    def handle(call: Call) -> Result:
        x = call.tensor("input")
        return None if x is None else Mapped(Dropout(p=call.module.p, channelwise=channelwise), (x,))

    return handle


def _dropout_function(channelwise: bool) -> Handler:
    def handle(call: Call) -> Result:
        x, p = call.tensor("input"), call.arguments.get("p", 0.5)
        return None if x is None or not isinstance(p, float) else Mapped(Dropout(p=p, channelwise=channelwise), (x,))

    return handle


def _shuffle(call: Call) -> Result:
    x = call.tensor("input")
    groups = call.module.groups if call.module is not None else call.arguments.get("groups")
    return Mapped(ChannelShuffle(groups=groups), (x,)) if _is_4d(x) and isinstance(groups, int) else None


MODULES: dict[type[nn.Module], Handler] = {
    nn.Conv2d: _conv2d,
    nn.ConvTranspose2d: _conv_transpose2d,
    nn.Linear: _linear,
    nn.BatchNorm2d: _batch_norm,
    nn.BatchNorm1d: _batch_norm,
    nn.ReLU: _activation("relu"),
    nn.ReLU6: _activation("relu6"),
    nn.Hardtanh: _hardtanh,
    nn.Sigmoid: _activation("sigmoid"),
    nn.Tanh: _activation("tanh"),
    nn.SiLU: _activation("silu"),
    nn.GELU: _activation("gelu"),
    nn.Hardswish: _activation("hardswish"),
    nn.Hardsigmoid: _activation("hardsigmoid"),
    nn.LeakyReLU: _activation("leaky_relu"),
    nn.ELU: _activation("elu"),
    nn.Softmax: _softmax("softmax"),
    nn.LogSoftmax: _softmax("log_softmax"),
    nn.PReLU: _prelu,
    nn.MaxPool2d: _max_pool,
    nn.AvgPool2d: _avg_pool,
    nn.AdaptiveAvgPool2d: _adaptive_avg_pool,
    nn.Upsample: _upsample_module,
    nn.UpsamplingBilinear2d: _upsample_module,
    nn.UpsamplingNearest2d: _upsample_module,
    nn.MaxUnpool2d: _unpool_module,
    nn.Dropout: _dropout_module(False),
    nn.Dropout2d: _dropout_module(True),
    nn.ChannelShuffle: _shuffle,
    nn.Identity: _identity,
    nn.Flatten: _flatten_module,
    nn.ZeroPad2d: _pad_module,
    nn.ConstantPad2d: _pad_module,
}

FUNCTIONS: dict[Any, Handler] = {
    # arithmetic: operators, torch functions, tensor methods (in place too)
    **dict.fromkeys((operator.add, operator.iadd, torch.add, "add", "add_", "__iadd__"), _arith("add")),
    **dict.fromkeys((operator.sub, operator.isub, torch.sub, "sub", "sub_"), _arith("sub")),
    **dict.fromkeys((operator.mul, operator.imul, torch.mul, "mul", "mul_"), _arith("mul")),
    **dict.fromkeys((operator.truediv, operator.itruediv, torch.div, "div", "div_"), _arith("div")),
    torch.maximum: _binary("maximum"),
    torch.minimum: _binary("minimum"),
    **{key: _arith(name) for name in ("gt", "ge", "lt", "le", "eq", "ne")
       for key in (getattr(operator, name), getattr(torch, name), name)},
    **dict.fromkeys((operator.neg, torch.neg, "neg", "__neg__"), _neg),
    **dict.fromkeys((torch.sum, "sum"), _reduce("sum")),
    **dict.fromkeys((torch.amax, "amax"), _reduce("amax")),
    **dict.fromkeys((torch.amin, "amin"), _reduce("amin")),
    torch.cat: _cat,
    torch.concat: _cat,
    # activations
    **dict.fromkeys((F.relu, torch.relu, "relu", "relu_"), _activation("relu")),
    F.relu6: _activation("relu6"),
    **dict.fromkeys((F.hardtanh, "hardtanh_"), _hardtanh),
    **dict.fromkeys((torch.sigmoid, F.sigmoid, "sigmoid", "sigmoid_"), _activation("sigmoid")),
    **dict.fromkeys((torch.tanh, F.tanh, "tanh"), _activation("tanh")),
    F.silu: _activation("silu"),
    F.gelu: _activation("gelu"),
    F.hardswish: _activation("hardswish"),
    F.hardsigmoid: _activation("hardsigmoid"),
    F.leaky_relu: _activation("leaky_relu"),
    F.elu: _activation("elu"),
    F.prelu: _prelu_function,
    **dict.fromkeys((F.softmax, torch.softmax, "softmax"), _softmax("softmax")),
    F.log_softmax: _softmax("log_softmax"),
    # layers written as functions
    **dict.fromkeys((F.conv2d, torch.conv2d), _conv2d_function),
    **dict.fromkeys((F.conv_transpose2d, torch.conv_transpose2d), _conv_transpose2d_function),
    F.linear: _linear_function,
    F.batch_norm: _batch_norm_function,
    # pooling and resizing
    F.interpolate: _interpolate,
    F.upsample: _interpolate,
    F.upsample_bilinear: _upsample_bilinear,
    **dict.fromkeys((F.max_pool2d, torch.max_pool2d), _max_pool_function),
    F.avg_pool2d: _avg_pool_function,
    F.adaptive_avg_pool2d: _adaptive_avg_pool_function,
    **dict.fromkeys((torch.mean, "mean"), _mean),
    F.max_unpool2d: _unpool_function,
    # views, copies, padding, new tensors
    F.pad: _pad,
    **dict.fromkeys((F.dropout, torch.dropout), _dropout_function(False)),
    F.dropout2d: _dropout_function(True),
    **dict.fromkeys((torch.flatten, "flatten"), _flatten),
    **dict.fromkeys((torch.reshape, "view", "reshape", torch.squeeze, "squeeze", torch.unsqueeze, "unsqueeze",
                     torch.transpose, "transpose", torch.permute, "permute", "float", "detach"), _view),
    "contiguous": _contiguous,
    "clone": _clone,
    **dict.fromkeys(("expand", "expand_as"), _expand),
    **dict.fromkeys((torch.channel_shuffle, F.channel_shuffle), _shuffle),
    operator.getitem: _getitem,
    **dict.fromkeys((torch.zeros, torch.zeros_like, "new_zeros"), _fill(0.0)),
    **dict.fromkeys((torch.ones, torch.ones_like, "new_ones"), _fill(1.0)),
    **dict.fromkeys((torch.empty, torch.empty_like, "new_empty"), _fill(0.0)),
    torch.full: _fill(0.0),
}


def handler_for(target: Any) -> Handler | None:
    """The handler of a module type (exactly that type), function or tensor method name."""
    if isinstance(target, type):
        return MODULES.get(target)
    try:
        return FUNCTIONS.get(target)
    except TypeError:  # an unhashable target
        return None
