"""Cross-checks of archscope's counts against fvcore, ptflops and torch.

Each tool counts a different set of ops under its own conventions. For every tool we
compute, from archscope's own per-op records, what that tool *should* report under its
conventions (``ours``) and compare with what it does report (``theirs``). The per-op
conventions live with the ops (each op class's ``tool_counts`` table, rules from
``archscope.ops.tools``); in short:

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
from typing import Any

import torch

from archscope.costs import CostReport
from archscope.graph import Network
from archscope.ops.tools import DROPS_DEAD, FVCORE, PTFLOPS_ATEN, PTFLOPS_PYTORCH
from archscope.torch_module import CALLS, builder_call, example_inputs, to_torch


@dataclass(frozen=True)
class ToolCheck:
    """One tool's figure next to archscope's figure under that tool's conventions;
    ``theirs`` is ``None`` (and ``error`` says why) when the tool failed on the model."""

    theirs: int | None
    ours: int
    note: str
    by_operator: dict[str, dict[str, int]] = field(default_factory=dict)
    error: str | None = None

    @property
    def diff(self) -> int | None:
        return None if self.theirs is None else self.theirs - self.ours

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"theirs": self.theirs, "ours": self.ours, "diff": self.diff, "note": self.note}
        if self.error is not None:
            row["error"] = self.error
        if self.by_operator:
            row["by_operator"] = self.by_operator
        return row


def ours(report: CostReport, tool: str) -> Counter:
    """What ``tool`` should report for ``report``'s network, by the tool's operator
    names: each op's rule (``archscope.ops.tools``) at every node, called as the module
    the tool runs calls it, and skipping work whose result is unused for a tool whose
    trace drops it."""
    network: Network = report.network
    total: Counter = Counter()
    skipped = network.dead if tool in DROPS_DEAD else frozenset()
    for record in report.records:
        op = network.op(record.node)
        if record.node in skipped or type(op) not in CALLS:  # no torch layer: an input or an unknown call
            continue
        call = network.call(record.node) or builder_call(op)
        for name, count in op.tool_count(tool, network.input_shapes(record.node), record.shape, call).items():
            total[name] += count * int(record.multiplicity)
    return Counter({name: int(count) if float(count).is_integer() else count for name, count in total.items()})


NOTES = {
    FVCORE: (
        "fvcore counts one multiply-add as one flop: conv and linear MACs (bias ignored), batch_norm "
        "2/element, upsample_bilinear2d 4/output element, adaptive_avg_pool2d 1/input element; "
        "a layer called twice (shared weights) counts twice; its trace drops work whose result is unused"
    ),
    PTFLOPS_PYTORCH: (
        "ptflops pytorch backend: counts by how an op is called. Hooks on modules of exact torch.nn types "
        "(conv/linear MACs + bias adds, batch_norm 2/element, ReLU, PReLU, ELU, LeakyReLU, ReLU6, GELU "
        "1/output element, pooling 1/input element, nn.Upsample 1/output element of the first image) plus "
        "patches of F.relu, F.prelu, F.elu, F.relu6, F.gelu, F.silu, F.softmax, the pooling functions (1/input "
        "element), F.interpolate (1/output element) and torch.add/mul, Tensor.add/mul (1/result element): a "
        "module calling a patched function counts twice; '+', '*', sigmoid, hardswish, concat, means, pads, "
        "F.conv2d and subclasses of hooked types are not counted"
    ),
    PTFLOPS_ATEN: "ptflops aten backend: aten.convolution and aten.addmm only, as MACs plus bias adds",
}

#: what a tool run gives: its total, its figures by operator (if it has them), a note
Counted = tuple[int, dict[str, int] | None, str]


def _fvcore(model: torch.nn.Module, inputs: tuple) -> Counted:
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model, inputs)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    theirs = {k: int(v) for k, v in analysis.by_operator().items()}
    skipped = ", ".join(f"{k.removeprefix('aten::')} x{v}" for k, v in sorted(analysis.unsupported_ops().items()))
    return sum(theirs.values()), theirs, f"it skips: {skipped or 'nothing'}"


def _ptflops(model: torch.nn.Module, inputs: tuple, backend: str) -> Counted:
    from ptflops import get_model_complexity_info

    x = inputs[0]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()) as printed:
        warnings.simplefilter("ignore")
        macs, _ = get_model_complexity_info(
            _Positional(model),
            tuple(x.shape[1:]),
            # a dict is passed as keywords, and ptflops then counts one batch: the total
            # over the batch (a tensor would be divided by its batch size)
            input_constructor=lambda _: {"x": x},
            as_strings=False,
            print_per_layer_stat=False,
            backend=backend,
        )
    if macs is None:  # ptflops prints the exception and returns None
        lines = [line for line in printed.getvalue().splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"ptflops ({backend} backend) failed on this network")
    return int(macs), None, ""


class _Positional(torch.nn.Module):
    """Calls the model with its input positionally, whatever its forward's parameter is
    named (``input``, ``img``; an ``nn.Sequential``'s is ``input``)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> Any:
        return self.model(x)


RUNNERS = {
    FVCORE: _fvcore,
    PTFLOPS_PYTORCH: lambda model, inputs: _ptflops(model, inputs, "pytorch"),
    PTFLOPS_ATEN: lambda model, inputs: _ptflops(model, inputs, "aten"),
}


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _tool_check(report: CostReport, tool: str, model: torch.nn.Module, inputs: tuple) -> ToolCheck:
    """Run one tool; a tool that fails gives ``theirs = None`` and its error."""
    counted = ours(report, tool)
    try:
        theirs, by_theirs, extra = RUNNERS[tool](model, inputs)
    except Exception as error:  # the tool failing on a user's module is a finding, not a crash
        by_op = {k: {"ours": v} for k, v in sorted(counted.items())}
        return ToolCheck(None, int(sum(counted.values())), NOTES[tool], by_operator=by_op, error=_first_line(error))
    names = sorted(set(counted) | set(by_theirs or {}))
    if by_theirs is None:
        by_op = {k: {"ours": counted[k]} for k in names}
    else:
        by_op = {k: {"theirs": by_theirs.get(k, 0), "ours": counted.get(k, 0)} for k in names}
    note = f"{NOTES[tool]}; {extra}" if extra else NOTES[tool]
    return ToolCheck(theirs, int(sum(counted.values())), note, by_operator=by_op)


def _torch_params(report: CostReport, model: torch.nn.Module) -> ToolCheck:
    theirs = sum(p.numel() for p in model.parameters())
    cost = report.total.cost
    ours = int(cost.params + cost.norm_params)
    note = (
        f"torch counts every parameter: params ({int(cost.params)}, conv/linear weights and biases, "
        f"the papers' convention) + norm_params ({int(cost.norm_params)}, BN gamma and beta)"
    )
    imported = report.network.imported
    if imported is not None and imported.unused_parameters:
        unused = sum(imported.unused_parameters.values())
        ours += unused
        note += f" + {unused} of modules never called ({', '.join(imported.unused_parameters)}), which torch lists"
    if imported is not None and imported.unregistered_parameters:
        ours -= imported.unregistered_parameters
        note += (f" - {imported.unregistered_parameters} of called layers kept outside the module tree (a plain "
                 "list), which torch does not list")
    return ToolCheck(theirs=theirs, ours=ours, note=note)


def cross_check(report: CostReport, *, model: torch.nn.Module | None = None) -> dict[str, ToolCheck]:
    """Count ``report``'s network with fvcore, ptflops (both backends) and torch.

    The tools run ``model`` if given (the user's module an imported network was traced
    from), else the torch module archscope builds from the graph.
    """
    network: Network = report.network
    model = (model if model is not None else to_torch(network)).eval()
    inputs = example_inputs(network)
    with torch.no_grad():
        checks = {tool: _tool_check(report, tool, model, inputs) for tool in RUNNERS}
    checks["torch_params"] = _torch_params(report, model)
    if report.unknown_ops:
        left_out = ", ".join(f"{name} x{count}" for name, count in report.unknown_ops.items())
        suffix = f"; ours leaves out the ops archscope has no formula for: {left_out}"
        checks = {name: dataclasses.replace(c, note=c.note + suffix) for name, c in checks.items()}
    return checks
