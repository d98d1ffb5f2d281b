"""``archscope cost FAMILY [hyper-parameters]``: params, MACs, memory traffic and layers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer
from rich.console import Console

from archscope.cli import module_cost
from archscope.cli.errors import domain_errors
from archscope.cli.options import common_option, family_command, parse_number, parsed
from archscope.cli.report import REPORT_OPTIONS, check_target, publish, this_command
from archscope.cli.render import (
    OutputFormat,
    blocks_csv,
    blocks_table,
    op_class_table,
    print_checks,
    print_formulas,
    print_latency,
    to_json,
)
from archscope.cli.train_memory import TRAIN_MEMORY_OPTIONS, print_train_memory, train_memory_payload
from archscope.costs import analyze
from archscope.families import FAMILIES, Family
from archscope.latency.model import predict
from archscope.latency.profile import load_profile
from archscope.symbolic import all_formulas
from archscope.report.page import PlotlyJs

if TYPE_CHECKING:
    import sympy

    from archscope.check import ToolCheck
    from archscope.costs import CostReport
    from archscope.latency.model import LatencyPrediction

#: the device a cost report predicts time on when no --device is given
REPORT_DEVICE = "titanx"

COMMON = [
    common_option(
        "output_format",
        Annotated[OutputFormat, typer.Option("--format", help="table (rich), json (one object) or csv (per block)")],
        OutputFormat.TABLE,
    ),
    common_option(
        "check",
        Annotated[bool, typer.Option("--check", help="cross-check against fvcore, ptflops and torch")],
        False,
    ),
    common_option(
        "symbolic",
        Annotated[bool, typer.Option("--symbolic", help="add closed-form formulas derived from the graph")],
        False,
    ),
    common_option(
        "device",
        Annotated[
            str | None,
            typer.Option("--device", metavar="NAME", help="predict latency and fps on a device profile (titanx, local, ... or a .toml)"),
        ],
        None,
    ),
    common_option(
        "elem_bytes",
        Annotated[str, typer.Option("--elem-bytes", metavar="INT", help="bytes per activation/weight element (2 for fp16)")],
        "4",
    ),
    *TRAIN_MEMORY_OPTIONS,
    *REPORT_OPTIONS,
]


def run_cost(
    family: Family,
    hyper: dict[str, Any],
    *,
    output_format: OutputFormat,
    check: bool,
    symbolic: bool,
    device: str | None,
    elem_bytes: str,
    train_memory: bool = False,
    measure: bool = False,
    report: Path | None = None,
    open_report: bool = False,
    plotly_js: PlotlyJs = PlotlyJs.INLINE,
) -> None:
    elem_bytes = parsed("--elem-bytes", lambda text: parse_number(text, int, 1), elem_bytes)
    if report is not None:
        check_target(report, "--report")
    with domain_errors():
        config = family.resolve(**hyper)
    results = _cost(family, config, elem_bytes=elem_bytes, device=device, check=check, symbolic=symbolic,
                    train_memory=train_memory, measure=measure, output_format=output_format)
    if report is not None:
        _write_report(family, config, results, elem_bytes=elem_bytes, device=device, path=report,
                      plotly_js=plotly_js, open_browser=open_report)


class CostResults(NamedTuple):
    """What ``archscope cost`` computed, for the HTML report."""

    report: CostReport
    prediction: LatencyPrediction | None
    checks: dict[str, ToolCheck] | None
    formulas: dict[str, sympy.Expr] | None


def _cost(
    family: Family,
    config: dict[str, Any],
    *,
    elem_bytes: int,
    device: str | None,
    check: bool,
    symbolic: bool,
    train_memory: bool,
    measure: bool,
    output_format: OutputFormat,
) -> CostResults:
    """Cost the network and print the results in ``output_format``."""
    with domain_errors():
        report = analyze(family.network(**config), elem_bytes=elem_bytes)
    with domain_errors("'--device'"):
        prediction = predict(report, load_profile(device)) if device else None
    err = Console(stderr=True)
    checks = None
    if check:
        from archscope.check import cross_check  # imports torch, fvcore and ptflops

        with err.status("cross-checking with fvcore, ptflops and torch (runs the network once per tool)..."):
            checks = cross_check(report)
    formulas = all_formulas(family, config, elem_bytes=elem_bytes) if symbolic else None
    with domain_errors():
        memory = train_memory_payload(report, measure=measure) if train_memory or measure else None

    if output_format is OutputFormat.JSON:
        payload: dict[str, Any] = {"family": family.name, "config": config, **report.summary()}
        if prediction is not None:
            payload.update(latency_ms=prediction.latency_ms, fps=prediction.fps, latency=prediction.summary())
        if checks is not None:
            payload["check"] = {name: c.as_dict() for name, c in checks.items()}
        if formulas is not None:
            payload["formulas"] = formulas
        if memory is not None:
            payload.update(memory)
        sys.stdout.write(to_json(payload) + "\n")
        return CostResults(report, prediction, checks, formulas)
    if output_format is OutputFormat.CSV:
        sys.stdout.write(blocks_csv(report))
        return CostResults(report, prediction, checks, formulas)
    console = Console()
    console.print(blocks_table(report, family.describe(config), prediction))
    console.print(op_class_table(report, prediction))
    if prediction is not None:
        print_latency(console, prediction)
    if checks is not None:
        print_checks(console, checks)
    if formulas is not None:
        print_formulas(console, formulas)
    if memory is not None:
        print_train_memory(console, memory)
    return CostResults(report, prediction, checks, formulas)


def _write_report(
    family: Family,
    config: dict[str, Any],
    results: CostResults,
    *,
    elem_bytes: int,
    device: str | None,
    path: Path,
    plotly_js: PlotlyJs,
    open_browser: bool,
) -> None:
    """The HTML report: everything ``--device``, ``--check`` and ``--symbolic`` add, always."""
    from archscope.check import cross_check
    from archscope.report.candidates import Costed
    from archscope.report.cost_page import cost_page

    note = "" if device else f"No --device given: predicted on {REPORT_DEVICE} (NDNet's GPU); choose one with --device."
    with domain_errors("'--device'"):
        profile = load_profile(device or REPORT_DEVICE)
    report, prediction, checks, formulas = results
    prediction = prediction or predict(report, profile)
    if checks is None:
        with Console(stderr=True).status("cross-checking with fvcore, ptflops and torch for the report..."):
            checks = cross_check(report)
    if formulas is None:
        with domain_errors():
            formulas = all_formulas(family, config, elem_bytes=elem_bytes)
    costed = Costed(label=family.name, report=report, prediction=prediction)
    page = cost_page(costed, profile, description=family.describe(config), checks=checks, formulas=formulas,
                     device_note=note, command=this_command())
    publish(page, path, plotly_js=plotly_js, open_browser=open_browser, option="--report")


app = typer.Typer(
    help="Params, MACs, memory traffic and layers of a network, per block and in total.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def module_group(
    ctx: typer.Context,
    module: module_cost.ModuleOption = None,
    input_shape: module_cost.InputOption = None,
    output_format: module_cost.FormatOption = OutputFormat.TABLE,
    check: module_cost.CheckOption = False,
    elem_bytes: module_cost.ElemBytesOption = "4",
    device: module_cost.DeviceOption = None,
) -> None:
    """``archscope cost FAMILY ...`` or ``archscope cost --module pkg.mod:factory --input NxCxHxW``."""
    if ctx.invoked_subcommand is not None:
        if module is not None or input_shape is not None:
            raise typer.BadParameter(f"--module/--input cost a module, not the family {ctx.invoked_subcommand}")
        if device is not None:
            raise typer.BadParameter(f"--device goes after the family name: archscope cost {ctx.invoked_subcommand} --device {device}")
        return
    if module is None:
        raise typer.BadParameter("give a family (archscope cost --help lists them) or --module", param_hint="'--module'")
    module_cost.run_module_cost(module, input_shape, output_format=output_format, check=check, elem_bytes=elem_bytes,
                                device=device)


for _family in FAMILIES.values():
    app.command(name=_family.name, help=_family.summary)(family_command(_family, run_cost, COMMON))
