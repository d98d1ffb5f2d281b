"""Building blocks shared by several families: conv + BN + activation, and the
"conv ‖ max-pool" downsampler of ENet's initial block and ERFNet's downsampler block."""

from __future__ import annotations

from typing import Any

from archscope.graph import GraphBuilder
from archscope.ops import Activation, BatchNorm2d, Concat, Conv2d, MaxPool2d
from archscope.ops.norm import ActivationName


def bn_act(b: GraphBuilder, x: str, name: str, *, act: ActivationName | None = "relu", eps: float = 1e-5) -> str:
    """BN (``eps``) then the activation ``act`` (none if ``None``)."""
    x = b.add(BatchNorm2d(eps=eps), x, name=f"{name}_bn")
    return x if act is None else b.add(Activation(function=act), x, name=f"{name}_{act}")


def conv_bn_act(
    b: GraphBuilder,
    x: str,
    *,
    out: Any,
    name: str,
    kernel: int | tuple[int, int] = 3,
    stride: int = 1,
    dilation: int | tuple[int, int] = 1,
    groups: Any = 1,
    act: ActivationName | None = "relu",
    eps: float = 1e-5,
    layers: int = 1,
    shares: str | None = None,
) -> str:
    """Conv (no bias, "same" padding) + BN + activation. ``shares`` names the conv node
    whose weights this conv reuses; its BN then shares the owner's BN (``<conv>_bn``)."""
    conv = Conv2d(out_channels=out, kernel_size=kernel, stride=stride, dilation=dilation, groups=groups)
    x = b.add(conv, x, name=name, layers=layers, shares=shares)
    bn_shares = f"{shares}_bn" if shares is not None else None
    x = b.add(BatchNorm2d(eps=eps), x, name=f"{name}_bn", shares=bn_shares)
    return x if act is None else b.add(Activation(function=act), x, name=f"{name}_{act}")


def downsampler(
    b: GraphBuilder,
    x: str,
    *,
    out: Any,
    name: str,
    act: ActivationName = "relu",
    eps: float = 1e-3,
    bias: bool = True,
    layers: int = 1,
) -> str:
    """A 3×3 stride-2 conv to ``out - in`` channels concatenated with a 2×2 max-pool of
    the input, then BN and the activation (ERFNet's downsampler block, ENet's initial
    block): the width grows to ``out`` and the resolution halves."""
    channels = b.shape(x).c
    conv = b.add(Conv2d(out_channels=out - channels, stride=2, bias=bias), x, name=f"{name}_conv", layers=layers)
    pool = b.add(MaxPool2d(kernel_size=2), x, name=f"{name}_pool")
    x = b.add(Concat(), conv, pool, name=f"{name}_cat")
    return bn_act(b, x, name, act=act, eps=eps)
