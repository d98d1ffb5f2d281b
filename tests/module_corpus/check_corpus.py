#!/usr/bin/env python
"""Check the hand-computed numbers of every corpus module against torch, eagerly.

    python tests/module_corpus/check_corpus.py            # all modules
    python tests/module_corpus/check_corpus.py enet_style # some of them
    python tests/module_corpus/check_corpus.py --tools    # + fvcore / ptflops figures (information only)

For each module: build(), eval(), one forward pass on ``torch.randn(INPUT)``, then

* ``PARAMS``            == sum(p.numel() for p in model.parameters())
* ``CONV_LINEAR_MACS``  == torch.utils.flop_counter.FlopCounterMode total / 2. FlopCounterMode
  counts 2 flops per multiply-accumulate of aten convolution / mm / addmm / bmm and ignores the
  bias add (its addmm formula drops the bias operand, its conv formula never reads it), so
  half its total is exactly our bias-free MAC count; it must report nothing but those ops.
  The same number is also rebuilt from the conv/linear calls recorded by a TorchFunctionMode.
* ``LIVE_MACS``         == MACs of the recorded conv/linear calls whose output's autograd node
  is reachable from the model output's ``grad_fn`` (the result reaches the output).
* ``UNUSED_PARAMS``     == {name: params} of the top-most modules that neither they nor any
  descendant were called (forward pre-hooks), listing only modules holding parameters.

It also tries ``torch.fx.symbolic_trace(build())`` and prints the first line of the error.
Exit status 1 when any expectation does not match.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import pkgutil
import sys
import warnings
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils.flop_counter import FlopCounterMode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository root, so `tests.module_corpus` imports
PACKAGE = "tests.module_corpus"
NOT_CORPUS = {"check_corpus"}

_CONV = {F.conv1d, F.conv2d, F.conv3d}
_CONV_T = {F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d}
_LINEAR = {F.linear}
_MAC_OPS = {"convolution", "_convolution", "mm", "addmm", "bmm", "baddbmm"}


def corpus_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)])
                  if not m.name.startswith("_") and m.name not in NOT_CORPUS)


class MacRecorder(TorchFunctionMode):
    """Every conv / conv-transpose / linear call: (MACs without bias, autograd node of its output)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int, Any]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if func in _CONV or func in _CONV_T or func in _LINEAR:
            x = args[0] if args else kwargs["input"]
            w = args[1] if len(args) > 1 else kwargs["weight"]
            if func in _CONV:  # per output element: Cin/groups * prod(kernel) = w[0].numel()
                macs = out.numel() * w[0].numel()
            elif func in _CONV_T:  # per input element: Cout/groups * prod(kernel) = w[0].numel()
                macs = x.numel() * w[0].numel()
            else:  # per output element: in_features
                macs = out.numel() * w.shape[1]
            self.calls.append((func.__name__, int(macs), out.grad_fn))
        return out


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _reachable(output: Any) -> set:
    stack = [t.grad_fn for t in _tensors(output) if t.grad_fn is not None]
    seen: set = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(f for f, _ in node.next_functions if f is not None)
    return seen


def _example(mod) -> torch.Tensor:
    return torch.randn(mod.INPUT, generator=torch.Generator().manual_seed(0))


def measure(mod) -> dict[str, Any]:
    """torch's numbers for one corpus module."""
    model = mod.build().eval()
    x = _example(mod)
    params = sum(p.numel() for p in model.parameters())

    # FlopCounterMode, no autograd
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    by_op = {str(op).split(".")[-1]: int(n) for op, n in counter.get_flop_counts()["Global"].items()}
    flops = counter.get_total_flops()

    # recorded calls, liveness and called modules (autograd on: parameters require grad)
    called: set[str] = set()
    handles = [m.register_forward_pre_hook(lambda _m, _a, name=name: called.add(name))
               for name, m in model.named_modules()]
    recorder = MacRecorder()
    with torch.enable_grad(), recorder:
        out = model(x)
    for h in handles:
        h.remove()
    live_nodes = _reachable(out)
    recorded = sum(m for _, m, _ in recorder.calls)
    live = sum(m for _, m, node in recorder.calls if node is not None and node in live_nodes)

    used = {""} if called else set()
    for name in called:
        parts = name.split(".") if name else []
        used.update(".".join(parts[:k]) for k in range(len(parts) + 1))
    unused = {}
    for name, m in model.named_modules():
        if name in used or name.rpartition(".")[0] not in used:
            continue
        n = sum(p.numel() for p in m.parameters())
        if n:
            unused[name] = n
    return {"params": params, "flops": flops, "by_op": by_op, "recorded_macs": recorded,
            "live_macs": live, "unused": unused, "calls": len(recorder.calls)}


def fx_status(mod) -> str:
    try:
        torch.fx.symbolic_trace(mod.build())
    except Exception as e:  # noqa: BLE001 - report any failure
        first = (str(e).strip().splitlines() or [""])[0]
        return f"FAILS  {type(e).__name__}: {first}"
    return "ok"


def tool_figures(mod) -> dict[str, Any]:
    """fvcore / ptflops totals (information only: their conventions differ, see TOOLS.md)."""
    res: dict[str, Any] = {}
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        try:
            from fvcore.nn import FlopCountAnalysis
            fca = FlopCountAnalysis(mod.build().eval(), (_example(mod),))
            fca.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            res["fvcore"] = int(fca.total())
            res["fvcore_skipped"] = dict(fca.unsupported_ops())
        except Exception as e:  # noqa: BLE001
            res["fvcore"] = f"error {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        from ptflops import get_model_complexity_info
        for backend in ("pytorch", "aten"):
            try:
                macs, _ = get_model_complexity_info(
                    mod.build(), tuple(mod.INPUT[1:]), as_strings=False, print_per_layer_stat=False,
                    backend=backend, input_constructor=lambda _res: _example(mod))  # a tensor: passed positionally
                res[f"ptflops_{backend}"] = macs
            except Exception as e:  # noqa: BLE001
                res[f"ptflops_{backend}"] = f"error {type(e).__name__}: {e}"
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="corpus modules (default: all)")
    parser.add_argument("--tools", action="store_true", help="also print fvcore / ptflops totals")
    args = parser.parse_args(argv)
    names = args.names or corpus_names()
    failures = 0
    fx_failures = []
    print(f"{'module':22} {'params':>9} {'conv+linear MACs':>17} {'live MACs':>11}  status")
    for name in names:
        mod = importlib.import_module(f"{PACKAGE}.{name}")
        got = measure(mod)
        problems = []
        if got["params"] != mod.PARAMS:
            problems.append(f"PARAMS {mod.PARAMS} != torch {got['params']} (diff {got['params'] - mod.PARAMS:+})")
        extra_ops = {op: n for op, n in got["by_op"].items() if op not in _MAC_OPS}
        if extra_ops:
            problems.append(f"FlopCounterMode counted non-MAC ops {extra_ops}")
        if got["flops"] != 2 * mod.CONV_LINEAR_MACS:
            problems.append(f"CONV_LINEAR_MACS {mod.CONV_LINEAR_MACS} != FlopCounterMode/2 {got['flops'] / 2:g}"
                            f" (diff {got['flops'] / 2 - mod.CONV_LINEAR_MACS:+g})")
        if got["recorded_macs"] != mod.CONV_LINEAR_MACS:
            problems.append(f"CONV_LINEAR_MACS {mod.CONV_LINEAR_MACS} != recorded calls {got['recorded_macs']}")
        if got["live_macs"] != mod.LIVE_MACS:
            problems.append(f"LIVE_MACS {mod.LIVE_MACS} != reachable {got['live_macs']}")
        if got["unused"] != dict(mod.UNUSED_PARAMS):
            problems.append(f"UNUSED_PARAMS {dict(mod.UNUSED_PARAMS)} != never called {got['unused']}")
        for attr in ("INPUT", "PATTERN", "KINDS", "build"):
            if not hasattr(mod, attr):
                problems.append(f"missing {attr}")
        status = "ok" if not problems else "MISMATCH"
        failures += bool(problems)
        print(f"{name:22} {got['params']:>9} {got['flops'] // 2:>17} {got['live_macs']:>11}  {status}")
        for p in problems:
            print(f"    - {p}")
        fx = fx_status(mod)
        if fx != "ok":
            fx_failures.append((name, fx))
        if args.tools:
            for tool, value in tool_figures(mod).items():
                print(f"    {tool:16} {value}")
    print()
    print("torch.fx.symbolic_trace:", "all trace" if not fx_failures else f"{len(fx_failures)} fail")
    for name, fx in fx_failures:
        print(f"  {name:22} {fx}")
    print()
    print("all expectations match" if not failures else f"{failures} module(s) with mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
