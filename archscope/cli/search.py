"""``archscope search``: a multi-objective Optuna search over a search space (TOML data)
with the analytic cost and latency models; prints the Pareto front and writes the run
folder (trials.csv, pareto.csv, config.toml)."""

from __future__ import annotations

import inspect
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from archscope.cli import state
from archscope.cli.options import common_option, parse_resolution, parsed
from archscope.cli.render import to_json
from archscope.search.constraints import BOUNDS
from archscope.search.objectives import METRICS, MINIMISED, parse_objectives
from archscope.search.pruners import DEFAULT_PRUNER, PRUNERS
from archscope.search.samplers import SAMPLERS

search_app = typer.Typer(rich_markup_mode=None)


class SearchFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


_err = Console(stderr=True)


def _bad(message: str, hint: str | None = None) -> typer.BadParameter:
    return typer.BadParameter(" ".join(str(message).split()), param_hint=hint)


class _Plain(typer.BadParameter):
    """A usage error whose message stands alone (no "Invalid value")."""

    def format_message(self) -> str:
        return self.message


class _LazyProgress:
    """A rich progress bar on stderr that appears with the first trial."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: Any = None

    def __call__(self, done: int, total: int, feasible: int) -> None:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("[bold]search[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("trials, {task.fields[feasible]} feasible"),
                TimeElapsedColumn(),
                console=_err,
            )
            self._task = self._progress.add_task("search", total=total, feasible=0)
            self._progress.start()
        self._progress.update(self._task, completed=done, total=total, feasible=feasible)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _front_table(outcome: Any) -> Table:
    space = outcome.request.space
    objectives = ", ".join(f"{o.direction.value} {o.metric}" for o in space.objectives)
    table = Table(title=f"Pareto front: {space.name} ({objectives})", title_justify="left")
    columns = [c for c in outcome.pareto.columns if c not in ("family", "feasible", "trial", "max_width")]
    for column in columns:
        table.add_column(column, justify="left" if column in [p.hyper for p in space.parameters] else "right")
    for row in outcome.pareto.itertuples(index=False):
        record = row._asdict()
        cells = []
        for column in columns:
            value = record[column]
            if column in ("latency_ms", "fps"):
                cells.append(f"{value:.2f}")
            elif column == "miou":
                cells.append(f"{100 * value:.1f}%")
            elif column in ("params", "macs"):
                cells.append(f"{int(value):,}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return table


def _summary(outcome: Any) -> list[str]:
    from archscope.search.runner import proxy_totals

    counts = outcome.counts
    request = outcome.request
    lines = [f"{counts['trials']:,} {'configurations' if request.enumerates else 'finished trials'}, "
             f"{counts['feasible']:,} feasible, front of {len(outcome.pareto)} in {outcome.duration_s:.1f} s ({request.sampler})"]
    if outcome.hypervolume_ratio is not None and not request.enumerates:
        lines.append(f"hypervolume {outcome.hypervolume:.6g} = {100 * outcome.hypervolume_ratio:.1f}% of the true front's "
                     f"{outcome.true_hypervolume:.6g} ({outcome.true_front_size} points, exhaustive)")
    else:
        lines.append(f"hypervolume {outcome.hypervolume:.6g}")
    proxy = proxy_totals(outcome.trials)
    if proxy:
        lines.append(f"{proxy['proxy_trainings']} proxy trainings ({proxy['proxy_pruned']} pruned, "
                     f"pruner {request.pruner}): {proxy['proxy_steps']:,} training steps")
    lines.append("wrote " + ", ".join(str(f) for f in outcome.files))
    if not request.enumerates:
        lines.append(f"study {request.study_name!r} in {request.storage_url}")
    return lines


def _resume_hint(outcome: Any) -> str:
    request = outcome.request
    return (f"resume with: archscope search --storage {shlex.quote(request.storage_url)} "
            f"--study-name {shlex.quote(request.study_name)} --out {shlex.quote(str(request.out))}")


def _payload(outcome: Any) -> dict[str, Any]:
    from archscope.search.run import pareto_records
    from archscope.search.runner import proxy_totals

    request = outcome.request
    counts = outcome.counts
    return {
        "space": request.space.name,
        "sampler": request.sampler,
        "seed": request.seed,
        "study_name": None if request.enumerates else request.study_name,
        "storage": None if request.enumerates else request.storage_url,
        "out": str(request.out),
        "trials": counts["trials"],
        "feasible": counts["feasible"],
        "duration_s": outcome.duration_s,
        "objectives": [{"metric": o.metric, "direction": o.direction.value} for o in request.space.objectives],
        "front": pareto_records(outcome.pareto),
        "hypervolume": outcome.hypervolume,
        "true_front_hypervolume": outcome.true_hypervolume,
        "hypervolume_ratio": outcome.hypervolume_ratio,
        "true_front_points": outcome.true_front_size,
        "interrupted": outcome.interrupted,
        "files": [str(f) for f in outcome.files],
        "pruner": request.pruner,
        **proxy_totals(outcome.trials),
    }


def _options() -> list[inspect.Parameter]:
    """The options of ``archscope search``; one per bound of ``archscope.search.constraints``
    and the sampler choices of ``archscope.search.samplers``."""
    samplers = "|".join(SAMPLERS)
    bounds = [
        common_option(bound.key, Annotated[Optional[int if bound.integer else float], typer.Option(
            bound.flag, help=f"constraint: {bound.help} (overrides the space)")], None)
        for bound in BOUNDS
    ]
    return [
        common_option("space", Annotated[Optional[str], typer.Option("--space", metavar="NAME|PATH", help="search space: a shipped name (ndnet, ndnet-table1, espnet, erfnet-grouping), a .toml file or a run's config.toml (default ndnet)")], None),
        common_option("device", Annotated[Optional[str], typer.Option("--device", metavar="NAME", help="device profile fps is predicted on (overrides the space)")], None),
        common_option("resolution", Annotated[Optional[str], typer.Option("--resolution", metavar="HxW", help="input size (overrides the space)")], None),
        *bounds,
        common_option("trials", Annotated[Optional[int], typer.Option("--trials", min=1, help="finished trials of the study, all workers together (default 300)")], None),
        common_option("sampler", Annotated[Optional[str], typer.Option("--sampler", metavar=samplers, help="; ".join(f"{s.name}: {s.help}" for s in SAMPLERS.values()) + " (default tpe)")], None),
        common_option("seed", Annotated[Optional[int], typer.Option("--seed", help="sampler seed (default 0)")], None),
        common_option("storage", Annotated[Optional[str], typer.Option("--storage", metavar="URL|PATH", help="SQLAlchemy URL (sqlite:///x.db, postgresql://...) or journal file path; several workers may share it (default: sqlite in the run folder)")], None),
        common_option("study_name", Annotated[Optional[str], typer.Option("--study-name", metavar="NAME", help="study to create, resume or join (default: the --out folder's name)")], None),
        common_option("out", Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="run folder (default: results/runs/<study name>/)")], None),
        common_option("output_format", Annotated[SearchFormat, typer.Option("--format", help="table (rich) or json (one object)")], SearchFormat.TABLE),
        common_option("true_front", Annotated[bool, typer.Option("--true-front/--no-true-front", help="enumerate the space when it is small enough, to compare with its exhaustive front; --no-true-front skips that (the reference point then comes from the space's corners)")], True),
        *_accuracy_options(),
    ]


def _accuracy_options() -> list[inspect.Parameter]:
    """``--objective`` and the proxy task's options (``archscope.search.proxy``)."""
    pruners = "|".join(PRUNERS)
    return [
        common_option("objective", Annotated[Optional[str], typer.Option("--objective", metavar="METRIC[,METRIC...]", help=f"objectives instead of the space's, each maximised ({', '.join(MINIMISED)} minimised) unless METRIC:maximize|minimize: {', '.join(METRICS)}; miou trains each feasible candidate briefly on the proxy task")], None),
        common_option("proxy_steps", Annotated[Optional[int], typer.Option("--proxy-steps", min=1, help="miou: training steps per candidate (default 200)")], None),
        common_option("proxy_resolution", Annotated[Optional[str], typer.Option("--proxy-resolution", metavar="HxW", help="miou: training crop (default 128x128)")], None),
        common_option("proxy_batch", Annotated[Optional[int], typer.Option("--proxy-batch", min=1, help="miou: images per training step (default 8)")], None),
        common_option("data", Annotated[Optional[str], typer.Option("--data", metavar="SPEC", help="miou: shapes (built-in, default) or cityscapes:DIR")], None),
        common_option("pruner", Annotated[Optional[str], typer.Option("--pruner", metavar=pruners, help="miou: " + "; ".join(f"{p.name}: {p.help}" for p in PRUNERS.values()) + f" (default {DEFAULT_PRUNER})")], None),
    ]


def _proxy_overrides(given: dict[str, Any]) -> dict[str, Any]:
    """The proxy task's fields given on the command line."""
    resolution = given.get("proxy_resolution")
    return {
        "steps": given.get("proxy_steps"),
        "batch": given.get("proxy_batch"),
        "data": given.get("data"),
        "resolution": tuple(parsed("--proxy-resolution", parse_resolution, resolution)) if resolution else None,
    }


def search(
    *, space: str | None, device: str | None, resolution: str | None, trials: int | None, sampler: str | None,
    seed: int | None, storage: str | None, study_name: str | None, out: Path | None, output_format: SearchFormat,
    true_front: bool, **given: Any,
) -> int:
    """Search a space for the Pareto front of its objectives under its constraints."""
    from archscope.latency.profile import ProfileError, load_profile
    from archscope.search.exhaustive import SpaceTooLarge
    from archscope.search.plan import SearchOptions, plan
    from archscope.search.runner import Infeasible, run_search
    from archscope.search.space import SpaceError
    from archscope.search.storage import StorageError
    from archscope.search.study import StudyMismatch

    limits = {}
    for bound in BOUNDS:
        if given.get(bound.key) is not None:
            try:
                limits[bound.key] = bound.parse(given[bound.key])
            except ValueError:
                raise _bad(f"{given[bound.key]} must be > 0", f"'{bound.flag}'") from None
    if sampler is not None and sampler not in SAMPLERS:
        raise _bad(f"{sampler!r} is not one of {', '.join(SAMPLERS)}", "'--sampler'")
    pruner = given.get("pruner")
    if pruner is not None and pruner not in PRUNERS:
        raise _bad(f"{pruner!r} is not one of {', '.join(PRUNERS)}", "'--pruner'")
    try:
        objectives = parse_objectives(given["objective"]) if given.get("objective") else None
    except ValueError as error:
        raise _bad(str(error), "'--objective'") from None
    options = SearchOptions(
        space=space, device=device, resolution=parsed("--resolution", parse_resolution, resolution) if resolution is not None else None,
        limits=limits, trials=trials, sampler=sampler, seed=seed, storage=storage,
        study_name=study_name, out=out, true_front=true_front, command=" ".join(["archscope", *map(shlex.quote, state.argv)]),
        objectives=objectives, proxy=_proxy_overrides(given), pruner=pruner,
    )
    progress = _LazyProgress()
    try:
        request, opened = plan(options)
        profile = load_profile(request.space.constraints.device)
        outcome = run_search(request, profile, storage=opened, progress=progress if output_format is SearchFormat.TABLE else None)
    except Infeasible as error:
        raise _Plain(str(error)) from None
    except SpaceTooLarge as error:
        raise _bad(f"{error}; use a sampler", "'--sampler'") from None
    except StorageError as error:
        raise _bad(str(error), "'--storage'") from None
    except StudyMismatch as error:
        raise _bad(str(error), "'--study-name'") from None
    except ProfileError as error:
        raise _bad(str(error), "'--device'") from None
    except (SpaceError, ValueError) as error:  # or a configuration the family rejects
        raise _bad(str(error), "'--space'") from None
    finally:
        progress.close()
    _report(outcome, output_format)
    if outcome.interrupted:
        _err.print(f"interrupted: {outcome.counts['trials']} finished trials are saved; {_resume_hint(outcome)}", highlight=False, soft_wrap=True)
        raise typer.Exit(130)
    if outcome.counts["feasible"] == 0:
        _err.print(f"archscope: no feasible configuration among {outcome.counts['trials']} trials (the space has some): run more --trials", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    return 0


search.__signature__ = inspect.Signature(_options())  # type: ignore[attr-defined]
search_app.command(name="search")(search)


def _report(outcome: Any, output_format: SearchFormat) -> None:
    if output_format is SearchFormat.JSON:
        sys.stdout.write(to_json(_payload(outcome)) + "\n")
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(_front_table(outcome))
    for line in _summary(outcome):
        console.print(line, highlight=False, soft_wrap=True)
