"""Memory layout of a module: channels-last (NHWC) is about 2x faster for training on
CPUs here, with one exception worked around.

oneDNN's 1×1 strided convolution writes past its workspace in the backward pass for the
weights when the input is NHWC and has fewer channels than its channel block (16 with
AVX-512): heap corruption, then a crash (uxlfoundation/oneDNN issue #6035, open; seen with
torch 2.13 on this machine for NDNet's projection after an 8-channel stem). Those
convolutions keep an NCHW weight and take an NCHW input; their output goes back to NHWC.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

#: oneDNN's channel block on AVX-512 (the largest one); fewer input channels trigger the bug
ONEDNN_CHANNEL_BLOCK = 16


def _affected(module: nn.Module) -> bool:
    return (
        isinstance(module, nn.Conv2d)
        and module.kernel_size == (1, 1)
        and module.stride != (1, 1)
        and module.groups == 1
        and module.in_channels < ONEDNN_CHANNEL_BLOCK
    )


def _nchw_input(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(a.contiguous() if isinstance(a, torch.Tensor) else a for a in args)


def _nhwc_output(module: nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> torch.Tensor:
    return output.contiguous(memory_format=torch.channels_last)


def set_memory_format(model: nn.Module, *, channels_last: bool) -> nn.Module:
    """``model`` in NHWC (``channels_last``) or NCHW, in place; call it before an
    optimizer is made (NCHW weights of the worked-around convolutions are new tensors
    behind the same parameters)."""
    if not channels_last:
        return model
    model.to(memory_format=torch.channels_last)
    for module in model.modules():
        if _affected(module):
            module.weight.data = module.weight.data.clone(memory_format=torch.contiguous_format)
            module.register_forward_pre_hook(_nchw_input)
            module.register_forward_hook(_nhwc_output)
    return model
