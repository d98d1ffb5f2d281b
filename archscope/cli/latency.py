"""``archscope bench``, ``archscope calibrate`` and ``archscope validate latency``."""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from archscope.cli import state
from archscope.cli.errors import domain_errors
from archscope.cli.module_cost import InputOption, ModuleOption
from archscope.cli.options import common_option, family_command, parse_resolution, parsed
from archscope.cli.report import REPORT_HELP, OpenOption, PlotlyJsOption, check_target, publish
from archscope.cli.render import OutputFormat, to_json
from archscope.families import FAMILIES, Family, get_family
from archscope.report.page import PlotlyJs

_err = Console(stderr=True)


def _malloc(no_tuning: bool) -> None:
    """Re-execute with tuned malloc settings (see ``latency.measure``) when allowed."""
    from archscope.latency.measure import ensure_malloc_env

    if not no_tuning and state.reexec_allowed:
        ensure_malloc_env(state.argv)


def _report(family: str, hyper: dict[str, Any]) -> Any:
    from archscope.costs import analyze

    return analyze(get_family(family).network(**hyper))


def _profile(device: str):
    from archscope.latency.profile import load_profile

    with domain_errors("'--device'"):
        return load_profile(device)


def _warn_if_busy() -> None:
    import os

    load = os.getloadavg()[0]
    if load > 0.5:
        _err.print(f"[yellow]note:[/] load average {load:.1f}: other processes are running, timings will be noisy")


BENCH_OPTIONS = [
    common_option("device", Annotated[str, typer.Option("--device", help="profile whose prediction is shown")], "local"),
    common_option("rounds", Annotated[int, typer.Option("--rounds", min=3, help="timed runs (after warm-up)")], 15),
    common_option("warmup", Annotated[int, typer.Option("--warmup", min=1, help="untimed runs first")], 3),
    common_option("threads", Annotated[Optional[int], typer.Option("--threads", min=1, help="CPU threads (default: torch's)")], None),
    common_option(
        "no_malloc_tuning",
        Annotated[bool, typer.Option("--no-malloc-tuning", help="keep glibc's default malloc settings")],
        False,
    ),
    common_option("output_format", Annotated[OutputFormat, typer.Option("--format", help="table or json")], OutputFormat.TABLE),
]


def run_bench(
    family: Family,
    hyper: dict[str, Any],
    *,
    device: str,
    rounds: int,
    warmup: int,
    threads: int | None,
    no_malloc_tuning: bool,
    output_format: OutputFormat,
) -> None:
    profile = _profile(device)
    with domain_errors():
        config = family.resolve(**hyper)
        report = _report(family.name, config)
    _bench(report, report.network, family.describe(config), {"family": family.name, "config": config}, profile,
           rounds=rounds, warmup=warmup, threads=threads, no_malloc_tuning=no_malloc_tuning, output_format=output_format)


def run_bench_module(
    spec: str, input_shape: str | None, *, device: str, rounds: int, warmup: int, threads: int | None,
    no_malloc_tuning: bool, output_format: OutputFormat,
) -> None:
    """``archscope bench --module pkg.mod:factory --input NxCxHxW``: the user's module
    itself timed here, next to the prediction of its imported network."""
    from archscope.costs import analyze
    from archscope.imports import from_module, load_factory, parse_input_shape
    from archscope.latency.measure import UserModule

    if input_shape is None:
        raise typer.BadParameter("--module needs --input NxCxHxW", param_hint="'--input'")
    profile = _profile(device)
    with domain_errors("'--input'"):
        shape = parse_input_shape(input_shape)
    with domain_errors("'--module'"):
        module = load_factory(spec)
        report = analyze(from_module(module, shape))
    keys = {"family": None, "config": {"module": spec, "input": "x".join(map(str, shape))}, "module": spec}
    _bench(report, UserModule(module, shape), f"{spec}  input={input_shape}", keys, profile, rounds=rounds,
           warmup=warmup, threads=threads, no_malloc_tuning=no_malloc_tuning, output_format=output_format)


def _bench(report: Any, subject: Any, title: str, keys: dict[str, Any], profile: Any, *, rounds: int, warmup: int,
           threads: int | None, no_malloc_tuning: bool, output_format: OutputFormat) -> None:
    from archscope.latency.measure import measure
    from archscope.latency.model import predict

    _malloc(no_malloc_tuning)
    _warn_if_busy()
    with _err.status(f"measuring {rounds} runs after {warmup} warm-up runs..."):
        measured = measure(subject, rounds=rounds, warmup=warmup, threads=threads, memory_format=profile.memory_format)
    predicted = predict(report, profile)
    result = {
        **keys,
        "device": profile.name,
        "predicted_ms": predicted.latency_ms,
        "measured_ms": measured.median_ms,
        "error_pct": 100 * (predicted.latency_ms / measured.median_ms - 1),
        "measurement": measured.as_dict(),
    }
    if output_format is OutputFormat.JSON:
        sys.stdout.write(to_json(result) + "\n")
        return
    table = Table(title=title, title_justify="left")
    for column in ("", "ms", "fps"):
        table.add_column(column, justify="left" if not column else "right")
    table.add_row(f"predicted ({profile.name})", f"{predicted.latency_ms:.2f}", f"{predicted.fps:.2f}")
    table.add_row("measured (median)", f"{measured.median_ms:.2f}", f"{1e3 / measured.median_ms:.2f}")
    Console().print(table)
    Console().print(
        f"spread (IQR) {measured.spread_pct:.1f}% over {measured.runs} runs, min {measured.min_ms:.2f} ms; "
        f"{measured.threads} threads on {measured.device}, {measured.memory_format}, "
        f"malloc {'tuned' if measured.malloc_tuned else 'default'}; prediction error {result['error_pct']:+.1f}%",
        highlight=False,
    )


bench_app = typer.Typer(
    help="Measure a network's real latency here (batch as built, eval, inference mode) next to the prediction.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _bench_module_group(ctx: typer.Context, module: str | None, input_shape: str | None, **values: Any) -> None:
    """``archscope bench FAMILY ...`` or ``archscope bench --module pkg.mod:factory --input NxCxHxW``."""
    if ctx.invoked_subcommand is not None:
        if module is not None or input_shape is not None:
            raise typer.BadParameter(f"--module/--input time a module, not the family {ctx.invoked_subcommand}")
        return
    if module is None:
        raise typer.BadParameter("give a family (archscope bench --help lists them) or --module", param_hint="'--module'")
    run_bench_module(module, input_shape, **values)


_bench_module_group.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
    inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
    common_option("module", ModuleOption, None),
    common_option("input_shape", InputOption, None),
    *BENCH_OPTIONS,
])
bench_app.callback(invoke_without_command=True)(_bench_module_group)
for _family in FAMILIES.values():
    bench_app.command(name=_family.name, help=_family.summary)(family_command(_family, run_bench, BENCH_OPTIONS))


calibrate_app = typer.Typer(rich_markup_mode=None)


@calibrate_app.command(name="calibrate")
def calibrate(
    from_csv: Annotated[Optional[Path], typer.Option("--from", help="fit to measured networks (CSV: family, hyper-parameters, fps or latency_ms)")] = None,
    device: Annotated[str, typer.Option("--device", help="profile to calibrate (with --from: the one to fit)")] = "local",
    out: Annotated[Optional[Path], typer.Option("--out", help="where to write the profile (default: your config folder)")] = None,
    free: Annotated[Optional[str], typer.Option("--free", help="with --from: the device-wide parameters to fit, comma-separated (default: compute_efficiency, memory_efficiency, overhead_us)")] = None,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, help="CPU threads for local calibration")] = None,
    networks: Annotated[Optional[int], typer.Option("--networks", min=0, help="local: calibration networks whose ops are timed in context (0: none; default three per family)")] = None,
    families: Annotated[Optional[str], typer.Option("--families", help="local: families the calibration networks are drawn from (default: every registered family)")] = None,
    no_malloc_tuning: Annotated[bool, typer.Option("--no-malloc-tuning", help="keep glibc's default malloc settings")] = False,
) -> None:
    """Fit a device profile: the local machine from op micro-benchmarks, or any device
    from measured networks (--from FILE.csv --device NAME)."""
    from archscope.latency.fit import BOUNDS, DEVICE_WIDE, fit_device_wide, predicted_s, sample
    from archscope.latency.profile import save_profile

    if from_csv is None:
        if device != "local":
            raise typer.BadParameter("micro-benchmarks calibrate this machine only: use --device local, or --from FILE.csv", param_hint="'--device'")
        return _calibrate_local(out, threads, no_malloc_tuning, _calibration_set(networks, families))
    names = list(DEVICE_WIDE) if free is None else [n.strip() for n in free.split(",") if n.strip()]
    bad = [n for n in names if n not in BOUNDS]
    if bad or not names:
        raise typer.BadParameter(f"{free!r}: choose from {', '.join(BOUNDS)}", param_hint="'--free'")
    from archscope.latency.measured import read_measurements

    profile = _profile(device)
    with domain_errors("'--from'"):
        rows = read_measurements(from_csv)
        samples = [sample(_report(m.family, m.hyper), profile, m.seconds, get_family(m.family).describe(m.hyper))
                   for m in rows]
        fitted, rms = fit_device_wide(profile, samples, names)
    fit = {
        "method": f"archscope calibrate --from {from_csv.name} --device {device}: device-wide least squares on log latency",
        "data": from_csv.name,
        "free": names,
        "rms_log_error": round(rms, 5),
        **{
            f"row{i + 1}": f"{s.label}: measured {1 / s.measured_s:.2f} fps, fitted {1 / predicted_s(s, fitted):.2f} fps"
            for i, s in enumerate(samples)
        },
    }
    fitted = type(fitted)(**{**fitted.__dict__, "fit": {**fitted.fit, **fit}})
    path = save_profile(fitted, out)
    table = Table(title=f"{device}: fitted {', '.join(names)} (RMS log error {rms:.4f})", title_justify="left")
    for column in ("network", "measured fps", "predicted fps", "error %"):
        table.add_column(column, justify="left" if column == "network" else "right")
    for s in samples:
        measured, predicted = 1 / s.measured_s, 1 / predicted_s(s, fitted)
        table.add_row(s.label, f"{measured:.2f}", f"{predicted:.2f}", f"{100 * (predicted / measured - 1):+.1f}")
    Console().print(table)
    first = fitted.classes["conv"]
    Console().print(f"compute_efficiency={first.compute_efficiency:.4g} memory_efficiency={first.memory_efficiency:.4g} "
                    f"overhead_us={first.overhead_us:.4g}; wrote {path}", highlight=False)


def _calibration_set(networks: int | None, families: str | None) -> Any:
    """The calibration networks: ``networks`` (default three per family) drawn from
    ``families`` (default every registered family); ``None`` for ``--networks 0``."""
    from archscope.latency.calibrate import DEFAULT_CALIBRATION, NETWORKS_PER_FAMILY
    from archscope.latency.validate import CalibrationSet

    names = _family_names(families) if families is not None else DEFAULT_CALIBRATION.families
    count = networks if networks is not None else NETWORKS_PER_FAMILY * len(names)
    if count == 0:
        return None
    return CalibrationSet(names, count, DEFAULT_CALIBRATION.resolutions)


def _family_names(families: str) -> tuple[str, ...]:
    """The comma-separated families of ``--families``, each checked to exist."""
    names = tuple(f.strip() for f in families.split(",") if f.strip())
    if not names:
        raise typer.BadParameter(f"{families!r}: name at least one family", param_hint="'--families'")
    for name in names:
        with domain_errors("'--families'"):
            get_family(name)
    return names


def _calibrate_local(out: Path | None, threads: int | None, no_malloc_tuning: bool, calibration: Any) -> None:
    from archscope.latency.calibrate import MICRO_PASSES, calibrate_local, micro_benchmarks
    from archscope.latency.profile import save_profile

    _malloc(no_malloc_tuning)
    _warn_if_busy()
    total = MICRO_PASSES * len(list(micro_benchmarks()))
    with Progress(console=_err, transient=True) as progress:
        task = progress.add_task(f"micro-benchmarks ({MICRO_PASSES} passes)", total=total)
        rounds_task = progress.add_task("calibration networks, rounds", total=None, visible=calibration is not None)

        def on_round(done: int, total: int) -> None:
            progress.update(rounds_task, completed=done, total=total)

        profile, errors = calibrate_local(threads=threads, on_step=lambda _: progress.advance(task),
                                          calibration=calibration, on_round=on_round)
    path = save_profile(profile, out)
    table = Table(title=f"local profile: {profile.description}", title_justify="left")
    for column in ("class or kind", "compute eff.", "memory eff.", "overhead us", "ns per position", "RMS log error",
                   "corrected"):
        table.add_column(column, justify="left" if column == "class or kind" else "right", no_wrap=column == "class or kind")
    for name, params in profile.classes.items():
        after = errors.get(f"residual.{name}")
        table.add_row(name, f"{params.compute_efficiency:.3f}", f"{params.memory_efficiency:.3f}",
                      f"{params.overhead_us:.1f}", f"{params.position_ns:.2f}", f"{errors.get(name, float('nan')):.3f}",
                      "-" if after is None else f"{after:.3f}")
    Console().print(table)
    if "framework_overhead_us" in profile.fit:
        Console().print(f"ops of {profile.fit['calibration_networks']} calibration networks of "
                        f"{', '.join(profile.fit['calibration_families'])} timed in context; framework time between "
                        f"ops {profile.kernel_overhead_us:.1f} us per kernel; learned corrections for "
                        f"{len(profile.residuals)} kernel kinds", highlight=False)
    Console().print(f"peak {profile.peak_macs_per_s / 1e9:.1f} GMAC/s, DRAM {profile.dram_bytes_per_s / 1e9:.1f} GB/s, "
                    f"{_memory(profile)}, convs computed {profile.channel_block} output channels at a time; wrote {path}",
                    highlight=False)


def _group_table(summary: dict[str, Any]) -> Table:
    """Each family's (and the modules') scores, model against the MACs baseline."""
    table = Table(title="by family: model / MACs baseline", title_justify="left")
    for column in ("", "n", "within ±10%", "MAPE %", "median error %", "repeatable"):
        table.add_column(column, justify="left" if not column else "right")
    groups = list(summary["by_family"].items())
    if summary.get("drawn") and "modules" in summary["by_family"]:
        groups.append(("families (no modules)", summary["drawn"]))
    for name, f in groups:
        base = f["baseline"]
        table.add_row(name, str(f["n"]), f"{f['within_10pct'] * 100:.0f}% / {base['within_10pct'] * 100:.0f}%",
                      f"{f['mape']:.1f} / {base['mape']:.1f}", f"{f['median_error_pct']:+.1f} / {base['median_error_pct']:+.1f}",
                      f"{f['repeatability'] * 100:.0f}%")
    return table


def _memory(profile: Any) -> str:
    """How a profile models memory: its measured bandwidth curve, else the two-level cache rule."""
    curve = profile.bandwidth_curve
    if curve:
        return (f"bandwidth curve of {len(curve)} copies, {curve[0][0] / 2**10:g} KiB to {curve[-1][0] / 2**20:g} MiB "
                f"moved: fastest {max(rate for _, rate in curve) / 1e9:.1f} GB/s")
    return f"cache {profile.cache_bytes / 2**20:g} MiB at {profile.cache_bytes_per_s / 1e9:.1f} GB/s"


validate_app = typer.Typer(help="Check archscope's models against measurements.", no_args_is_help=True, rich_markup_mode=None)


@validate_app.command(name="latency")
def validate_latency(
    device: Annotated[str, typer.Option("--device", help="a calibrated profile of this machine")] = "local",
    families: Annotated[str, typer.Option("--families", help="comma-separated families to draw candidates from")] = "ndnet",
    count: Annotated[int, typer.Option("--count", min=0, help="validation candidates drawn from the families")] = 24,
    modules: Annotated[Optional[list[str]], typer.Option("--module", metavar="PKG.MOD:FACTORY@NxCxHxW", help="a user's module as a candidate too (repeatable)")] = None,
    calibration_count: Annotated[int, typer.Option("--calibration-count", min=1, help="networks the MACs baseline is fitted on, for a profile that records none (profiles from `archscope calibrate` name theirs)")] = 6,
    resolutions: Annotated[str, typer.Option("--resolutions", help="input sizes, comma-separated HxW")] = "256x512,512x1024",
    seed: Annotated[int, typer.Option("--seed", help="random seed of the candidates")] = 0,
    rounds: Annotated[int, typer.Option("--rounds", min=3, help="timed runs per network")] = 11,
    out: Annotated[Optional[Path], typer.Option("--out", help="write the summary JSON here (rows go to the same name .csv)")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table or json")] = OutputFormat.TABLE,
    no_malloc_tuning: Annotated[bool, typer.Option("--no-malloc-tuning", help="keep glibc's default malloc settings")] = False,
    report: Annotated[Optional[Path], typer.Option("--report", metavar="FILE.html", help=REPORT_HELP)] = None,
    open_report: OpenOption = False,
    plotly_js: PlotlyJsOption = PlotlyJs.INLINE,
) -> None:
    """Measure random candidates here and score the latency model against a MACs baseline."""
    from archscope.latency.validate import validate_latency as run

    if report is not None:
        check_target(report, "--report")
    profile = _profile(device)
    if not profile.fit:
        raise typer.BadParameter(f"profile {device!r} is not calibrated: run `archscope calibrate` first", param_hint="'--device'")
    names = list(_family_names(families))
    sizes = [tuple(parsed("--resolutions", parse_resolution, r)) for r in resolutions.split(",")]
    with domain_errors("'--module'"):
        from archscope.latency.validate import parse_module_candidate

        extra = [parse_module_candidate(text) for text in modules or ()]
        for candidate in extra:
            candidate.network()  # imports it now: a bad module is a usage error, before any measuring
    if count + len(extra) < 3:
        raise typer.BadParameter(f"{count} candidates and {len(extra)} modules: score at least 3", param_hint="'--count'")
    _malloc(no_malloc_tuning)
    _warn_if_busy()
    with Progress(console=_err, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"measuring {name} networks", total=total)
            progress.update(tasks[name], completed=done)

        with domain_errors():
            result = run(profile, families=names, count=count, calibration_count=calibration_count,
                         resolutions=sizes, seed=seed, rounds=rounds, modules=extra, on_progress=advance)
    summary = {**result.summary(), "command": "archscope " + " ".join(state.argv)}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=2) + "\n")
        rows = [{"set": "calibration", **r} for r in result.calibration] + [{"set": "validation", **r} for r in result.candidates]
        import pandas as pd

        pd.DataFrame(rows).to_csv(out.with_suffix(".csv"), index=False, float_format="%.4g")
    if report is not None:
        from archscope.report.validation_page import validation_page

        page = validation_page(summary, result.candidates, command=summary["command"])
        publish(page, report, plotly_js=plotly_js, open_browser=open_report, option="--report")
    if output_format is OutputFormat.JSON:
        sys.stdout.write(to_json(summary) + "\n")
        return
    table = Table(title=f"latency validation on {profile.name}: {summary['n']} candidates", title_justify="left")
    for column in ("", "within ±10%", "MAPE %", "median error %", "Spearman"):
        table.add_column(column, justify="left" if not column else "right")
    shown = [("archscope model", result.model), ("MACs baseline", result.baseline),
             ("model, profile as saved", result.uncorrected)]
    if result.roofline_only is not None:
        shown.append(("model without its learned corrections", result.roofline_only))
    for name, figures in shown:
        table.add_row(name, f"{figures['within_10pct'] * 100:.0f}%", f"{figures['mape']:.1f}",
                      f"{figures['median_error_pct']:+.1f}", f"{figures['spearman']:.3f}")
    Console().print(table)
    Console().print(_group_table(summary))
    Console().print(f"repeatability (the two halves of a candidate's rounds within ±10% of each other): "
                    f"{100 * summary['repeatability']:.0f}%; the model's within ±10% is "
                    f"{summary['share_of_repeatability']:.2f} of it; with the drift between the halves taken out "
                    f"(one factor, fitted on the calibration networks): {100 * summary['repeatability_same_speed']:.0f}%, "
                    f"the model {summary['share_of_repeatability_same_speed']:.2f} of it", highlight=False)
    Console().print(f"both fitted on the same {len(result.calibration)} calibration networks of this run: the model's "
                    f"speed factor {result.speed_factor:.3f}, the baseline's {result.ms_per_gmac:.2f} ms per GMAC",
                    highlight=False)
