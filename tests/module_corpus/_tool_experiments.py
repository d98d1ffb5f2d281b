#!/usr/bin/env python
"""The experiments behind TOOLS.md: one tiny module per op form, counted by every tool.

    python tests/module_corpus/_tool_experiments.py

Columns: ptflops ``pytorch`` backend, ptflops ``aten`` backend, fvcore FlopCountAnalysis
total (+ the ops it lists as unsupported), torch FlopCounterMode total. The input is given
to ptflops through ``input_constructor`` returning a tensor (passed positionally). Default
input: x = randn(1, 4, 8, 8) (256 elements); per-case shapes are noted.
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode


class Fn(nn.Module):
    """Wraps a function of the input (and of the module's ``layers``)."""

    def __init__(self, fn, **layers):
        super().__init__()
        self.fn = fn
        for k, v in layers.items():
            setattr(self, k, v)

    def forward(self, x):
        return self.fn(self, x)


def M(layer):
    return Fn(lambda s, x: s.layer(x), layer=layer)


def conv(cin=4, cout=4, k=3, bias=True):
    return nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)


X = (1, 4, 8, 8)
CASES = [
    # name, module, input shape
    ("Conv2d 4->4 3x3 +bias", M(conv()), X),
    ("Conv2d 4->4 3x3 no bias", M(conv(bias=False)), X),
    ("ConvTranspose2d 4->4 k2 s2 +bias", M(nn.ConvTranspose2d(4, 4, 2, 2)), X),
    ("Linear 64->10 on (1,64)", M(nn.Linear(64, 10)), (1, 64)),
    ("Linear 64->10 no bias (1,64)", M(nn.Linear(64, 10, bias=False)), (1, 64)),
    ("Linear 8->10 on 4-D (1,4,8,8)", M(nn.Linear(8, 10)), X),
    ("F.linear 64->10 (1,64)", Fn(lambda s, x: F.linear(x, s.w, s.b), w=nn.Parameter(torch.randn(10, 64)),
                                 b=nn.Parameter(torch.randn(10))), (1, 64)),
    ("BatchNorm2d eval affine", M(nn.BatchNorm2d(4)), X),
    ("BatchNorm2d eval affine=False", M(nn.BatchNorm2d(4, affine=False)), X),
    ("nn.ReLU", M(nn.ReLU()), X),
    ("F.relu", Fn(lambda s, x: F.relu(x)), X),
    ("torch.relu", Fn(lambda s, x: torch.relu(x)), X),
    ("x.relu()", Fn(lambda s, x: x.relu()), X),
    ("nn.ReLU6", M(nn.ReLU6()), X),
    ("F.relu6", Fn(lambda s, x: F.relu6(x)), X),
    ("nn.PReLU() (1 slope)", M(nn.PReLU()), X),
    ("nn.PReLU(4)", M(nn.PReLU(4)), X),
    ("nn.LeakyReLU", M(nn.LeakyReLU(0.1)), X),
    ("F.leaky_relu", Fn(lambda s, x: F.leaky_relu(x, 0.1)), X),
    ("nn.ELU", M(nn.ELU()), X),
    ("nn.GELU", M(nn.GELU()), X),
    ("F.gelu", Fn(lambda s, x: F.gelu(x)), X),
    ("nn.SiLU", M(nn.SiLU()), X),
    ("F.silu", Fn(lambda s, x: F.silu(x)), X),
    ("nn.Sigmoid", M(nn.Sigmoid()), X),
    ("torch.sigmoid", Fn(lambda s, x: torch.sigmoid(x)), X),
    ("x.sigmoid()", Fn(lambda s, x: x.sigmoid()), X),
    ("nn.Tanh", M(nn.Tanh()), X),
    ("nn.Hardtanh", M(nn.Hardtanh()), X),
    ("nn.Hardswish", M(nn.Hardswish()), X),
    ("F.hardswish", Fn(lambda s, x: F.hardswish(x)), X),
    ("nn.Hardsigmoid", M(nn.Hardsigmoid()), X),
    ("x*F.relu6(x+3.)/6. (h-swish)", Fn(lambda s, x: x * F.relu6(x + 3.) / 6.), X),
    ("nn.Softmax(dim=1)", M(nn.Softmax(dim=1)), X),
    ("nn.MaxPool2d(2)", M(nn.MaxPool2d(2)), X),
    ("F.max_pool2d(x, 2)", Fn(lambda s, x: F.max_pool2d(x, 2)), X),
    ("nn.MaxPool2d(2, return_indices)", Fn(lambda s, x: s.p(x)[0], p=nn.MaxPool2d(2, return_indices=True)), X),
    ("nn.AvgPool2d(2)", M(nn.AvgPool2d(2)), X),
    ("F.avg_pool2d(x, 2)", Fn(lambda s, x: F.avg_pool2d(x, 2)), X),
    ("nn.AdaptiveAvgPool2d(1)", M(nn.AdaptiveAvgPool2d(1)), X),
    ("F.adaptive_avg_pool2d(x, 1)", Fn(lambda s, x: F.adaptive_avg_pool2d(x, 1)), X),
    ("F.adaptive_avg_pool2d(x, 2)", Fn(lambda s, x: F.adaptive_avg_pool2d(x, 2)), X),
    ("nn.Upsample x2 bilinear", M(nn.Upsample(scale_factor=2, mode="bilinear")), X),
    ("nn.Upsample x2 nearest", M(nn.Upsample(scale_factor=2)), X),
    ("nn.UpsamplingBilinear2d x2", M(nn.UpsamplingBilinear2d(scale_factor=2)), X),
    ("F.interpolate scale 2 bilinear", Fn(lambda s, x: F.interpolate(x, scale_factor=2, mode="bilinear")), X),
    ("F.interpolate size (16,16) bil ac", Fn(lambda s, x: F.interpolate(x, size=(16, 16), mode="bilinear",
                                                                        align_corners=True)), X),
    ("F.interpolate scale 0.5 bilinear", Fn(lambda s, x: F.interpolate(x, scale_factor=0.5, mode="bilinear")), X),
    ("MaxPool2d+MaxUnpool2d", Fn(lambda s, x: s.u(*s.p(x)), p=nn.MaxPool2d(2, return_indices=True),
                                 u=nn.MaxUnpool2d(2)), X),
    ("nn.Dropout2d (eval)", M(nn.Dropout2d(0.5)), X),
    ("x + x", Fn(lambda s, x: x + x), X),
    ("x += x (iadd)", Fn(lambda s, x: x.clone().__iadd__(x)), X),
    ("torch.add(x, x)", Fn(lambda s, x: torch.add(x, x)), X),
    ("x.add(x)", Fn(lambda s, x: x.add(x)), X),
    ("x * x", Fn(lambda s, x: x * x), X),
    ("torch.mul(x, x)", Fn(lambda s, x: torch.mul(x, x)), X),
    ("x.mul(x)", Fn(lambda s, x: x.mul(x)), X),
    ("x * x.mean((2,3),keepdim) (bcast)", Fn(lambda s, x: x * x.mean((2, 3), keepdim=True)), X),
    ("x + 3", Fn(lambda s, x: x + 3), X),
    ("x / 6", Fn(lambda s, x: x / 6), X),
    ("torch.cat([x, x], 1)", Fn(lambda s, x: torch.cat([x, x], 1)), X),
    ("x.mean((2, 3))", Fn(lambda s, x: x.mean((2, 3))), X),
    ("F.pad(x, [0,1,0,1])", Fn(lambda s, x: F.pad(x, [0, 1, 0, 1])), X),
    ("chunk+view+transpose", Fn(lambda s, x: torch.transpose(x.chunk(2, 1)[0].view(1, 2, 1, 8, 8), 1, 2)
                                .contiguous().view(1, -1, 8, 8)), X),
    ("torch.matmul (8x8 @ 8x8 per map)", Fn(lambda s, x: torch.matmul(x, x)), X),
    ("x @ x", Fn(lambda s, x: x @ x), X),
    ("torch.bmm (4,8,8)", Fn(lambda s, x: torch.bmm(x[0], x[0])), X),
    ("einsum bchw,bcwk->bchk", Fn(lambda s, x: torch.einsum("bchw,bcwk->bchk", x, x)), X),
    # structural experiments
    ("conv called twice", Fn(lambda s, x: s.c(s.c(x)), c=conv()), X),
    ("conv + unused conv", Fn(lambda s, x: s.c(x), c=conv(), unused=conv()), X),
    ("conv + dead conv (result dropped)", Fn(lambda s, x: (s.dead(x), s.c(x))[1], c=conv(), dead=conv()), X),
    ("dead conv -> F.relu dropped", Fn(lambda s, x: (F.relu(s.dead(x)), s.c(x))[1], c=conv(), dead=conv()), X),
    ("dead in-place relu_ on dropped conv", Fn(lambda s, x: (s.dead(x).relu_(), s.c(x))[1], c=conv(), dead=conv()), X),
    ("batch 2: Conv2d +bias", M(conv()), (2, 4, 8, 8)),
    ("batch 2: F.relu", Fn(lambda s, x: F.relu(x)), (2, 4, 8, 8)),
    ("batch 2: nn.Upsample x2 bilinear", M(nn.Upsample(scale_factor=2, mode="bilinear")), (2, 4, 8, 8)),
    ("batch 2: nn.ReLU", M(nn.ReLU()), (2, 4, 8, 8)),
]


def ptflops_count(model, shape, backend):
    from ptflops import get_model_complexity_info
    x = torch.randn(shape)
    macs, _ = get_model_complexity_info(model, tuple(shape[1:]), as_strings=False, print_per_layer_stat=False,
                                        backend=backend, input_constructor=lambda _r: x)
    return macs


def fvcore_count(model, shape):
    from fvcore.nn import FlopCountAnalysis
    fca = FlopCountAnalysis(model.eval(), (torch.randn(shape),))
    fca.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    total = fca.total()
    skipped = ",".join(k.replace("aten::", "") for k in fca.unsupported_ops())
    return total, skipped


def torch_count(model, shape):
    with torch.no_grad(), FlopCounterMode(display=False) as c:
        model.eval()(torch.randn(shape))
    return c.get_total_flops()


def quiet(fn, *args):
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001
            return f"ERR {type(e).__name__}"


def main():
    torch.manual_seed(0)
    print(f"{'case':38} {'pt-pytorch':>10} {'pt-aten':>8} {'fvcore':>7} {'torch':>7}  fvcore skipped")
    for name, model, shape in CASES:
        import copy
        pp = quiet(ptflops_count, copy.deepcopy(model), shape, "pytorch")
        pa = quiet(ptflops_count, copy.deepcopy(model), shape, "aten")
        fv = quiet(fvcore_count, copy.deepcopy(model), shape)
        fv, sk = fv if isinstance(fv, tuple) else (fv, "")
        tc = quiet(torch_count, copy.deepcopy(model), shape)
        print(f"{name:38} {pp!s:>10} {pa!s:>8} {fv!s:>7} {tc!s:>7}  {sk}")


if __name__ == "__main__":
    sys.exit(main())
