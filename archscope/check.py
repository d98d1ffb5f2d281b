"""Cross-checks of archscope's counts against fvcore, ptflops and torch.

Each tool counts a different set of ops under its own conventions. For every tool we
compute, from archscope's own per-op records, what that tool *should* report under its
conventions (``ours``) and compare with what it does report (``theirs``). The per-op
conventions are small tables below, one entry per op kind:

- fvcore (FlopCountAnalysis): one multiply-add is one "flop"; counts conv and linear
  (bias ignored), batch norm (2 per element at inference with affine), bilinear
  upsampling (4 per output element), nearest (1), adaptive avg pool (1 per input
  element); skips ReLU, adds, max-pool, concat (reported as skipped).
- ptflops, ``pytorch`` backend: module hooks count conv/linear MACs plus their bias adds,
  BN (2 per element), ReLU/PReLU (1), pooling (1 per input element), upsampling (1 per
  output element of the first image only: its hook reads ``output[0]``); its functional
  patches count F.relu, F.prelu, F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d and
  F.interpolate (1 per output element) a second time when the module calls them.
  ReLU6 (F.hardtanh) and SiLU are counted once, sigmoid and ``+`` adds not at all.
- ptflops, ``aten`` backend: aten.convolution and aten.addmm/mm: conv and linear MACs
  plus bias adds.
- torch: ``sum(p.numel())`` counts ``params + norm_params``.

Measured for the ops ENet, VNet and ICNet added (torch 2.13, fvcore 0.1.5, ptflops
0.7.5): no tool counts max-unpooling, dropout, channel slices or channel padding;
fvcore lists ``max_pool2d_with_indices``, ``max_unpool2d``, ``feature_dropout``
(``Dropout2d`` traced in eval mode still records it) and ``pad`` as skipped and ignores
plain dropout and slices; ptflops' ``pytorch`` backend counts a max-pool returning
indices like any max-pool (twice). A layer whose weights are shared (called twice)
is counted at every call by all three tools and its parameters once by torch, as
archscope does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from archscope.costs import CostReport, OpRecord
from archscope.graph import Network
from archscope.torch_module import example_inputs, to_torch


@dataclass(frozen=True)
class ToolCheck:
    """One tool's figure next to archscope's figure under that tool's conventions."""

    theirs: int
    ours: int
    note: str
    by_operator: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def diff(self) -> int:
        return self.theirs - self.ours

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"theirs": self.theirs, "ours": self.ours, "diff": self.diff, "note": self.note}
        if self.by_operator:
            row["by_operator"] = self.by_operator
        return row


Rule = Callable[[OpRecord], Counter]


def _numel(record: OpRecord) -> int:
    return int(record.shape.numel)


def _input_numel(report: CostReport, record: OpRecord) -> int:
    return int(sum(s.numel for s in report.network.input_shapes(record.node)))


def _fvcore_counts(report: CostReport, record: OpRecord) -> Counter:
    kind, macs = record.kind, int(record.total.macs)
    op = report.network.op(record.node)
    if kind in ("conv", "conv_transpose"):
        return Counter(conv=macs)
    if kind == "linear":
        return Counter(linear=macs)
    if kind == "batch_norm":
        return Counter(batch_norm=2 * _numel(record))
    if kind == "upsample":
        taps = 4 if op.mode == "bilinear" else 1
        return Counter({f"upsample_{op.mode}2d": taps * _numel(record)})
    if kind == "adaptive_avgpool":
        return Counter(adaptive_avg_pool2d=_input_numel(report, record))
    return Counter()


def _ptflops_pytorch_counts(report: CostReport, record: OpRecord) -> Counter:
    kind, op = record.kind, report.network.op(record.node)
    bias_adds = _numel(record) if getattr(op, "bias", False) else 0
    if kind in ("conv", "conv_transpose", "linear"):
        return Counter({kind: int(record.total.macs) + bias_adds})
    if kind == "batch_norm":
        return Counter(batch_norm=2 * _numel(record))
    if kind == "activation":
        twice = {"relu": 2, "prelu": 2, "relu6": 1, "silu": 1, "sigmoid": 0}[op.function]
        return Counter({op.function: twice * _numel(record)})
    if kind in ("maxpool", "avgpool", "adaptive_avgpool"):
        return Counter({kind: 2 * _input_numel(report, record)})
    if kind == "upsample":
        # the nn.Upsample hook reads output[0], the first image, as if it were the batch
        return Counter(upsample=_numel(record) + _numel(record) // int(record.shape.n))
    return Counter()


def _ptflops_aten_counts(report: CostReport, record: OpRecord) -> Counter:
    kind, op = record.kind, report.network.op(record.node)
    if kind in ("conv", "conv_transpose", "linear"):
        bias_adds = _numel(record) if op.bias else 0
        return Counter({kind: int(record.total.macs) + bias_adds})
    return Counter()


def _ours(report: CostReport, rule: Callable[[CostReport, OpRecord], Counter]) -> Counter:
    total: Counter = Counter()
    for record in report.records:
        total.update(rule(report, record))
    return total


def _fvcore(report: CostReport, model: torch.nn.Module, inputs: tuple) -> ToolCheck:
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model, inputs)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    theirs = {k: int(v) for k, v in analysis.by_operator().items()}
    ours = _ours(report, _fvcore_counts)
    skipped = ", ".join(f"{k.removeprefix('aten::')} x{v}" for k, v in sorted(analysis.unsupported_ops().items()))
    note = (
        "fvcore counts one multiply-add as one flop: conv and linear MACs (bias ignored), batch_norm "
        "2/element, upsample_bilinear2d 4/output element, adaptive_avg_pool2d 1/input element; "
        f"it skips: {skipped or 'nothing'}; a layer called twice (shared weights) counts twice"
    )
    by_op = {k: {"theirs": theirs.get(k, 0), "ours": ours.get(k, 0)} for k in sorted(set(theirs) | set(ours))}
    return ToolCheck(theirs=sum(theirs.values()), ours=sum(ours.values()), note=note, by_operator=by_op)


def _ptflops(report: CostReport, model: torch.nn.Module, inputs: tuple, backend: str) -> ToolCheck:
    from ptflops import get_model_complexity_info

    x = inputs[0]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        macs, _ = get_model_complexity_info(
            model,
            tuple(x.shape[1:]),
            input_constructor=lambda _: {"x": x},
            as_strings=False,
            print_per_layer_stat=False,
            backend=backend,
        )
    if macs is None:
        raise RuntimeError(f"ptflops ({backend} backend) failed on this network")
    if backend == "pytorch":
        ours = _ours(report, _ptflops_pytorch_counts)
        note = (
            "ptflops pytorch backend: conv/linear MACs + bias adds, batch_norm 2/element, relu, prelu "
            "and pooling counted twice (module hook + functional patch), upsample 1/output element by "
            "F.interpolate plus 1/output element of the first image by its module hook; residual adds "
            "written as '+', concat, sigmoid, max-unpool, dropout, slices and pads are not counted. Ours "
            "assumes activations and pooling are called as modules, as archscope's torch modules do; "
            "in an imported module a functional call (F.relu) is counted once"
        )
    else:
        ours = _ours(report, _ptflops_aten_counts)
        note = "ptflops aten backend: aten.convolution and aten.addmm only, as MACs plus bias adds"
    by_op = {k: {"ours": v} for k, v in sorted(ours.items())}
    return ToolCheck(theirs=int(macs), ours=sum(ours.values()), note=note, by_operator=by_op)


def _torch_params(report: CostReport, model: torch.nn.Module) -> ToolCheck:
    theirs = sum(p.numel() for p in model.parameters())
    cost = report.total.cost
    note = (
        f"torch counts every parameter: params ({int(cost.params)}, conv/linear weights and biases, "
        f"the papers' convention) + norm_params ({int(cost.norm_params)}, BN gamma and beta)"
    )
    return ToolCheck(theirs=theirs, ours=int(cost.params + cost.norm_params), note=note)


def cross_check(report: CostReport, *, model: torch.nn.Module | None = None) -> dict[str, ToolCheck]:
    """Count ``report``'s network with fvcore, ptflops (both backends) and torch.

    The tools run ``model`` if given (the user's module an imported network was traced
    from), else the torch module archscope builds from the graph.
    """
    network: Network = report.network
    model = (model if model is not None else to_torch(network)).eval()
    inputs = example_inputs(network)
    with torch.no_grad():
        checks = {
            "fvcore": _fvcore(report, model, inputs),
            "ptflops_pytorch": _ptflops(report, model, inputs, "pytorch"),
            "ptflops_aten": _ptflops(report, model, inputs, "aten"),
            "torch_params": _torch_params(report, model),
        }
    if report.unknown_ops:
        left_out = ", ".join(f"{name} x{count}" for name, count in report.unknown_ops.items())
        suffix = f"; ours leaves out the ops archscope has no formula for: {left_out}"
        checks = {name: dataclasses.replace(c, note=c.note + suffix) for name, c in checks.items()}
    return checks
