"""``archscope cost --module package.module:factory --input NxCxHxW``: the cost table
and cross-checks of any ``nn.Module``, traced with torch.fx (see ``archscope.imports``)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from archscope.cli.errors import domain_errors
from archscope.cli.options import parse_number, parsed
from archscope.cli.render import (
    OutputFormat,
    blocks_csv,
    blocks_table,
    op_class_table,
    print_checks,
    print_latency,
    to_json,
)
from archscope.costs import CostReport

ModuleOption = Annotated[
    str | None,
    typer.Option("--module", metavar="PKG.MOD:FACTORY", help="cost any nn.Module that factory() returns (torch.fx)"),
]
InputOption = Annotated[
    str | None, typer.Option("--input", metavar="NxCxHxW", help="input shape of --module (e.g. 1x3x512x1024)")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="with --module: table, json or csv")]
CheckOption = Annotated[bool, typer.Option("--check", help="with --module: cross-check against fvcore, ptflops, torch")]
ElemBytesOption = Annotated[str, typer.Option("--elem-bytes", metavar="INT", help="with --module: bytes per element")]
DeviceOption = Annotated[
    str | None,
    typer.Option("--device", metavar="NAME", help="with --module: predict latency and fps on a device profile"),
]


def unknown_line(report: CostReport) -> str | None:
    """The ops the totals leave out, as one line (``None`` if there are none)."""
    if not report.unknown_ops:
        return None
    listed = ", ".join(f"{name} x{count}" for name, count in report.unknown_ops.items())
    return f"not counted (archscope has no formula for them): {listed}"


def import_lines(report: CostReport) -> list[str]:
    """How the module was read, the work it drops and the parameters it never reads."""
    imported = report.network.imported
    if imported is None:
        return []
    how = {"fx": "torch.fx symbolic trace", "eager": "the calls recorded as it ran (torch.fx cannot trace it)"}
    lines = [f"read with {how[imported.path]}, shapes from {imported.engine} tensors"]
    dead = report.dead_ops.line()
    if dead:
        lines.append(f"{dead}: in the totals and the latency (they run); fvcore's trace drops them")
    if imported.unused_parameters:
        listed = ", ".join(f"{name} {count:,}" for name, count in imported.unused_parameters.items())
        lines.append(f"parameters of modules never called (not in params; torch counts them): {listed}")
    if imported.unregistered_parameters:
        lines.append(f"{imported.unregistered_parameters:,} parameters of layers outside the module tree (in params; "
                     "torch does not list them)")
    return lines


def run_module_cost(
    spec: str,
    input_shape: str | None,
    *,
    output_format: OutputFormat,
    check: bool,
    elem_bytes: str,
    device: str | None = None,
) -> None:
    """Import ``spec``'s module, cost it on ``input_shape`` and print like a family."""
    from archscope.costs import analyze
    from archscope.imports import from_module, load_factory, parse_input_shape  # imports torch
    from archscope.latency.model import predict
    from archscope.latency.profile import load_profile

    elem_bytes = parsed("--elem-bytes", lambda text: parse_number(text, int, 1), elem_bytes)
    if input_shape is None:
        raise typer.BadParameter("--module needs --input NxCxHxW", param_hint="'--input'")
    with domain_errors("'--input'"):
        shape = parse_input_shape(input_shape)
    with domain_errors("'--module'"):
        module = load_factory(spec)
        report = analyze(from_module(module, shape), elem_bytes=elem_bytes)
    with domain_errors("'--device'"):
        prediction = predict(report, load_profile(device)) if device else None
    checks = None
    if check:  # a tool failing on the module is its row's error, not the command's
        from archscope.check import cross_check  # imports fvcore and ptflops

        with Console(stderr=True).status("cross-checking with fvcore, ptflops and torch..."):
            checks = cross_check(report, model=module)
    if output_format is OutputFormat.JSON:
        payload: dict[str, Any] = {"module": spec, "input": list(shape), **report.summary()}
        if prediction is not None:
            payload.update(latency_ms=prediction.latency_ms, fps=prediction.fps, latency=prediction.summary())
        if checks is not None:
            payload["check"] = {name: c.as_dict() for name, c in checks.items()}
        sys.stdout.write(to_json(payload) + "\n")
        return
    line = unknown_line(report)
    if output_format is OutputFormat.CSV:
        sys.stdout.write(blocks_csv(report))
        for text in [*import_lines(report), *([line] if line else [])]:
            print(f"archscope: {text}", file=sys.stderr)
        return
    console = Console()
    console.print(blocks_table(report, f"{spec}  input={input_shape}"))
    console.print(op_class_table(report))
    if prediction is not None:
        print_latency(console, prediction)
    for text in import_lines(report):
        console.print(text, highlight=False)
    if line:
        console.print(f"[yellow]{line}[/]", highlight=False)
    if checks is not None:
        print_checks(console, checks)
