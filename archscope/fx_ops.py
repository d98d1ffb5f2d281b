"""The table of torch calls archscope knows, for importing modules traced by torch.fx.

One small handler per torch module type, function or tensor method (fvcore-style): it
receives the call's arguments by name (tensors as ``Tensor``: where the value lives in
archscope's graph and its real torch shape) and returns the archscope op it is
(``Mapped``), the input it merely passes on (``Alias``: identity, flatten, a view that
keeps the elements), or ``None`` when archscope has no cost formula for this form of
the call. ``fx_import`` turns ``None`` into an ``UnknownOp`` that is listed, never
silently costed as zero.
"""

from __future__ import annotations

import inspect
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping

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
    ChannelPad,
    ChannelShuffle,
    Concat,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Linear,
    MaxPool2d,
    MaxUnpool2d,
    Op,
    Slice,
    Upsample,
)


@dataclass(frozen=True)
class Tensor:
    """A traced tensor: the graph output holding it and its real (torch) shape."""

    ref: Port
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Mapped:
    """The call is ``op`` applied to ``inputs``."""

    op: Op
    inputs: tuple[Tensor, ...]


@dataclass(frozen=True)
class Alias:
    """The call returns ``tensor``'s elements unchanged (no kernel)."""

    tensor: Tensor


@dataclass(frozen=True)
class Call:
    """One traced call: its arguments by name, the module called (``call_module``) and
    the real shape of its output."""

    arguments: Mapping[str, Any]
    out_shape: tuple[int, ...]
    module: nn.Module | None = None

    def tensor(self, name: str) -> Tensor | None:
        value = self.arguments.get(name)
        return value if isinstance(value, Tensor) else None


Result = Mapped | Alias | None
Handler = Callable[[Call], Result]

#: parameter names of builtins and tensor methods, whose signatures inspect cannot read
_PARAMS: dict[Any, tuple[str, ...]] = {
    torch.cat: ("tensors", "dim"),
    torch.add: ("input", "other"),
    operator.add: ("input", "other"),
    operator.iadd: ("input", "other"),
    operator.getitem: ("input", "index"),
    torch.flatten: ("input", "start_dim", "end_dim"),
    torch.relu: ("input",),
    torch.sigmoid: ("input",),
    torch.chunk: ("input", "chunks", "dim"),
    torch.split: ("input", "split_size_or_sections", "dim"),
    F.max_pool2d: ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    F.avg_pool2d: ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "add": ("input", "other"),
    "relu": ("input",),
    "sigmoid": ("input",),
    "flatten": ("input", "start_dim", "end_dim"),
    "contiguous": ("input",),
    "chunk": ("input", "chunks", "dim"),
    "split": ("input", "split_size", "dim"),
}


def bind(target: Any, args: tuple, kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The call's arguments by parameter name (defaults filled in), or ``None`` if the
    parameter names of ``target`` are not known."""
    if target in _PARAMS:
        names = _PARAMS[target]
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


# ---- modules -------------------------------------------------------------------------

def _conv_padding(m: nn.Conv2d) -> tuple[int, int] | None:
    if m.padding == "valid":
        return (0, 0)
    if m.padding == "same":
        spans = [d * (k - 1) for k, d in zip(m.kernel_size, m.dilation)]
        return None if any(s % 2 for s in spans) else (spans[0] // 2, spans[1] // 2)
    return _pair(m.padding)


def _conv2d(call: Call) -> Result:
    m, x = call.module, call.tensor("input")
    padding = _conv_padding(m)
    if not _is_4d(x) or m.padding_mode != "zeros" or padding is None:
        return None
    op = Conv2d(out_channels=m.out_channels, kernel_size=m.kernel_size, stride=m.stride, padding=padding,
                dilation=m.dilation, groups=m.groups, bias=m.bias is not None)
    return Mapped(op, (x,))


def _conv_transpose2d(call: Call) -> Result:
    m, x = call.module, call.tensor("input")
    if not _is_4d(x) or m.padding_mode != "zeros" or call.arguments.get("output_size") is not None:
        return None
    op = ConvTranspose2d(out_channels=m.out_channels, kernel_size=m.kernel_size, stride=m.stride, padding=m.padding,
                         output_padding=m.output_padding, dilation=m.dilation, groups=m.groups, bias=m.bias is not None)
    return Mapped(op, (x,))


def _linear(call: Call) -> Result:
    x = call.tensor("input")
    if x is None or len(x.shape) != 2:
        return None  # archscope's linear layer acts on flattened (N, features) inputs
    return Mapped(Linear(out_features=call.module.out_features, bias=call.module.bias is not None), (x,))


def _batch_norm(call: Call) -> Result:
    m, x = call.module, call.tensor("input")
    if not _is_4d(x) or not m.affine or not m.track_running_stats:
        return None
    return Mapped(BatchNorm2d(eps=m.eps, momentum=m.momentum if m.momentum is not None else 0.1), (x,))


def _activation(function: str) -> Handler:
    def handle(call: Call) -> Result:
        x = call.tensor("input")
        return None if x is None else Mapped(Activation(function=function), (x,))

    return handle


def _prelu(call: Call) -> Result:
    x = call.tensor("input")
    if not _is_4d(x) or call.module.num_parameters != x.shape[1]:
        return None  # archscope's PReLU has one slope per channel
    return Mapped(Activation(function="prelu"), (x,))


def _max_pool(call: Call) -> Result:
    m, x = call.module, call.tensor("input")
    if not _is_4d(x) or _pair(m.dilation) != (1, 1):
        return None
    op = MaxPool2d(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding, ceil_mode=m.ceil_mode,
                   return_indices=m.return_indices)
    return Mapped(op, (x,))


def _avg_pool(call: Call) -> Result:
    m, x = call.module, call.tensor("input")
    if not _is_4d(x) or not m.count_include_pad or m.divisor_override is not None:
        return None
    return Mapped(AvgPool2d(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding, ceil_mode=m.ceil_mode), (x,))


def _adaptive_avg_pool(call: Call) -> Result:
    x, size = call.tensor("input"), _pair(call.module.output_size)
    return Mapped(AdaptiveAvgPool2d(output_size=size), (x,)) if _is_4d(x) and size else None


def _resize(x: Tensor | None, call: Call, mode: Any, align_corners: Any) -> Result:
    if not _is_4d(x) or mode not in ("nearest", "bilinear"):
        return None
    align = bool(align_corners) if mode == "bilinear" else False
    return Mapped(Upsample(size=(call.out_shape[2], call.out_shape[3]), mode=mode, align_corners=align), (x,))


def _upsample_module(call: Call) -> Result:
    m = call.module
    return _resize(call.tensor("input"), call, m.mode, m.align_corners)


def _unpool_module(call: Call) -> Result:
    m, x, indices = call.module, call.tensor("input"), call.tensor("indices")
    if not _is_4d(x, indices):
        return None
    op = MaxUnpool2d(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding, size=call.out_shape[2:])
    return Mapped(op, (x, indices))


def _dropout_module(channelwise: bool) -> Handler:
    def handle(call: Call) -> Result:
        x = call.tensor("input")
        return None if x is None else Mapped(Dropout(p=call.module.p, channelwise=channelwise), (x,))

    return handle


def _shuffle_module(call: Call) -> Result:
    x = call.tensor("input")
    return Mapped(ChannelShuffle(groups=call.module.groups), (x,)) if _is_4d(x) else None


def _identity(call: Call) -> Result:
    x = call.tensor("input")
    return None if x is None else Alias(x)


def _flatten_module(call: Call) -> Result:
    x, m = call.tensor("input"), call.module
    return Alias(x) if x is not None and m.start_dim == 1 and m.end_dim == -1 else None


MODULES: dict[type[nn.Module], Handler] = {
    nn.Conv2d: _conv2d,
    nn.ConvTranspose2d: _conv_transpose2d,
    nn.Linear: _linear,
    nn.BatchNorm2d: _batch_norm,
    nn.ReLU: _activation("relu"),
    nn.ReLU6: _activation("relu6"),
    nn.Sigmoid: _activation("sigmoid"),
    nn.SiLU: _activation("silu"),
    nn.PReLU: _prelu,
    nn.MaxPool2d: _max_pool,
    nn.AvgPool2d: _avg_pool,
    nn.AdaptiveAvgPool2d: _adaptive_avg_pool,
    nn.Upsample: _upsample_module,
    nn.MaxUnpool2d: _unpool_module,
    nn.Dropout: _dropout_module(False),
    nn.Dropout2d: _dropout_module(True),
    nn.ChannelShuffle: _shuffle_module,
    nn.Identity: _identity,
    nn.Flatten: _flatten_module,
}


# ---- functions and tensor methods -----------------------------------------------------

def _add(call: Call) -> Result:
    """``a + b``; ``more`` holds the further summands of a chain of adds made one."""
    tensors = (call.arguments.get("input"), call.arguments.get("other"), *call.arguments.get("more", ()))
    if not all(isinstance(t, Tensor) for t in tensors) or len({t.shape for t in tensors}) != 1:
        return None  # broadcasting or scalar adds have no formula here
    return Mapped(Add(), tensors) if call.arguments.get("alpha", 1) == 1 else None


def _cat(call: Call) -> Result:
    tensors = call.arguments.get("tensors")
    dim = call.arguments.get("dim", 0)
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, Tensor) and len(t.shape) == 4 for t in tensors):
        return None
    if dim not in (1, -3) or len(tensors) < 2:
        return None
    return Mapped(Concat(), tuple(tensors))


def _interpolate(call: Call) -> Result:
    a = call.arguments
    return _resize(call.tensor("input"), call, a.get("mode", "nearest"), a.get("align_corners"))


def _max_pool_function(call: Call) -> Result:
    a, x = call.arguments, call.tensor("input")
    if not _is_4d(x) or _pair(a.get("dilation", 1)) != (1, 1):
        return None
    stride = a.get("stride") or a["kernel_size"]
    op = MaxPool2d(kernel_size=a["kernel_size"], stride=stride, padding=a.get("padding", 0),
                   ceil_mode=bool(a.get("ceil_mode")), return_indices=bool(a.get("return_indices")))
    return Mapped(op, (x,))


def _avg_pool_function(call: Call) -> Result:
    a, x = call.arguments, call.tensor("input")
    if not _is_4d(x) or not a.get("count_include_pad", True) or a.get("divisor_override") is not None:
        return None
    op = AvgPool2d(kernel_size=a["kernel_size"], stride=a.get("stride") or a["kernel_size"],
                   padding=a.get("padding", 0), ceil_mode=bool(a.get("ceil_mode")))
    return Mapped(op, (x,))


def _adaptive_avg_pool_function(call: Call) -> Result:
    x, size = call.tensor("input"), _pair(call.arguments.get("output_size"))
    return Mapped(AdaptiveAvgPool2d(output_size=size), (x,)) if _is_4d(x) and size else None


def _unpool_function(call: Call) -> Result:
    a, x, indices = call.arguments, call.tensor("input"), call.tensor("indices")
    if not _is_4d(x, indices):
        return None
    op = MaxUnpool2d(kernel_size=a["kernel_size"], stride=a.get("stride") or a["kernel_size"],
                     padding=a.get("padding", 0), size=call.out_shape[2:])
    return Mapped(op, (x, indices))


def _pad(call: Call) -> Result:
    a, x = call.arguments, call.tensor("input")
    pad = a.get("pad")
    if not _is_4d(x) or a.get("mode", "constant") != "constant" or a.get("value") not in (None, 0, 0.0):
        return None
    if not isinstance(pad, (tuple, list)) or len(pad) != 6 or tuple(pad[:5]) != (0, 0, 0, 0, 0):
        return None  # only zero channels appended
    return Mapped(ChannelPad(channels=x.shape[1] + pad[5]), (x,))


def _dropout_function(channelwise: bool) -> Handler:
    def handle(call: Call) -> Result:
        x, p = call.tensor("input"), call.arguments.get("p", 0.5)
        return None if x is None or not isinstance(p, float) else Mapped(Dropout(p=p, channelwise=channelwise), (x,))

    return handle


def _flatten(call: Call) -> Result:
    a, x = call.arguments, call.tensor("input")
    return Alias(x) if x is not None and a.get("start_dim", 0) == 1 and a.get("end_dim", -1) == -1 else None


def _getitem(call: Call) -> Result:
    """``x[:, a:b]`` (a channel slice) or ``x[:, :, None, None]`` (a view)."""
    x, index = call.tensor("input"), call.arguments.get("index")
    if x is None or not isinstance(index, tuple):
        return None
    full = slice(None, None, None)
    if all(i is None or i == full for i in index):
        return Alias(x)  # only new axes
    if len(x.shape) == 4 and len(index) >= 2 and index[0] == full and all(i == full for i in index[2:]):
        channels = index[1]
        if isinstance(channels, slice) and channels.step in (None, 1):
            start, stop, _ = channels.indices(x.shape[1])
            if stop > start:
                return Mapped(Slice(start=start, stop=stop), (x,))
    return None


FUNCTIONS: dict[Any, Handler] = {
    operator.add: _add,
    operator.iadd: _add,
    torch.add: _add,
    "add": _add,
    torch.cat: _cat,
    F.relu: _activation("relu"),
    torch.relu: _activation("relu"),
    "relu": _activation("relu"),
    F.relu6: _activation("relu6"),
    torch.sigmoid: _activation("sigmoid"),
    F.sigmoid: _activation("sigmoid"),
    "sigmoid": _activation("sigmoid"),
    F.silu: _activation("silu"),
    F.interpolate: _interpolate,
    F.max_pool2d: _max_pool_function,
    F.avg_pool2d: _avg_pool_function,
    F.adaptive_avg_pool2d: _adaptive_avg_pool_function,
    F.max_unpool2d: _unpool_function,
    F.pad: _pad,
    F.dropout: _dropout_function(False),
    F.dropout2d: _dropout_function(True),
    torch.flatten: _flatten,
    "flatten": _flatten,
    "contiguous": _identity,
    operator.getitem: _getitem,
}


def handler_for(target: Any) -> Handler | None:
    """The handler of a module type, function or tensor method name."""
    if isinstance(target, type):
        return next((h for t, h in MODULES.items() if target is t), None)
    try:
        return FUNCTIONS.get(target)
    except TypeError:  # an unhashable target
        return None
