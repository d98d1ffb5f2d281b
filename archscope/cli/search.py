"""``archscope search``: a multi-objective Optuna search over a search space (TOML data)
with the analytic cost and latency models; prints the Pareto front and writes the run
folder (trials.csv, pareto.csv, config.toml)."""

from __future__ import annotations

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
from archscope.cli.options import parse_resolution, parsed
from archscope.cli.render import to_json

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
            elif column in ("params", "macs"):
                cells.append(f"{int(value):,}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return table


def _summary(outcome: Any) -> list[str]:
    counts = outcome.counts
    request = outcome.request
    lines = [f"{counts['trials']:,} {'configurations' if request.sampler.value == 'exhaustive' else 'finished trials'}, "
             f"{counts['feasible']:,} feasible, front of {len(outcome.pareto)} in {outcome.duration_s:.1f} s ({request.sampler.value})"]
    if outcome.hypervolume_ratio is not None and request.sampler.value != "exhaustive":
        lines.append(f"hypervolume {outcome.hypervolume:.6g} = {100 * outcome.hypervolume_ratio:.1f}% of the true front's "
                     f"{outcome.true_hypervolume:.6g} ({outcome.true_front_size} points, exhaustive)")
    else:
        lines.append(f"hypervolume {outcome.hypervolume:.6g}")
    lines.append("wrote " + ", ".join(str(f) for f in outcome.files))
    if request.sampler.value != "exhaustive":
        lines.append(f"study {request.study_name!r} in {request.storage_url}")
    return lines


def _resume_hint(outcome: Any) -> str:
    request = outcome.request
    return (f"resume with: archscope search --storage {shlex.quote(request.storage_url)} "
            f"--study-name {shlex.quote(request.study_name)} --out {shlex.quote(str(request.out))}")


def _payload(outcome: Any) -> dict[str, Any]:
    from archscope.search.run import pareto_records

    request = outcome.request
    counts = outcome.counts
    return {
        "space": request.space.name,
        "sampler": request.sampler.value,
        "seed": request.seed,
        "study_name": None if request.sampler.value == "exhaustive" else request.study_name,
        "storage": None if request.sampler.value == "exhaustive" else request.storage_url,
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
    }


@search_app.command(name="search")
def search(
    space: Annotated[Optional[str], typer.Option("--space", metavar="NAME|PATH", help="search space: a name in search_spaces/, a .toml file or a run's config.toml (default ndnet)")] = None,
    device: Annotated[Optional[str], typer.Option("--device", metavar="NAME", help="device profile fps is predicted on (overrides the space)")] = None,
    resolution: Annotated[Optional[str], typer.Option("--resolution", metavar="HxW", help="input size (overrides the space)")] = None,
    min_fps: Annotated[Optional[float], typer.Option("--min-fps", help="constraint: predicted fps >= this (overrides the space)")] = None,
    max_latency_ms: Annotated[Optional[float], typer.Option("--max-latency-ms", help="constraint: predicted latency <= this, ms (overrides the space)")] = None,
    min_layers: Annotated[Optional[int], typer.Option("--min-layers", min=1, help="constraint: layers >= this (overrides the space)")] = None,
    trials: Annotated[Optional[int], typer.Option("--trials", min=1, help="finished trials of the study, all workers together (default 300)")] = None,
    sampler: Annotated[Optional[str], typer.Option("--sampler", metavar="tpe|nsga2|random|exhaustive", help="Optuna sampler, or exhaustive: every configuration, the true front (default tpe)")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="sampler seed (default 0)")] = None,
    storage: Annotated[Optional[str], typer.Option("--storage", metavar="URL|PATH", help="SQLAlchemy URL (sqlite:///x.db, postgresql://...) or journal file path; several workers may share it (default: sqlite in the run folder)")] = None,
    study_name: Annotated[Optional[str], typer.Option("--study-name", metavar="NAME", help="study to create, resume or join (default: the --out folder's name)")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="run folder (default: results/runs/<study name>/)")] = None,
    output_format: Annotated[SearchFormat, typer.Option("--format", help="table (rich) or json (one object)")] = SearchFormat.TABLE,
    true_front: Annotated[bool, typer.Option("--true-front/--no-true-front", help="enumerate the space when it is small enough, to compare with its exhaustive front; --no-true-front skips that (the reference point then comes from the space's corners)")] = True,
) -> int:
    """Search a space for the Pareto front of its objectives under its constraints."""
    from archscope.latency.profile import ProfileError, load_profile
    from archscope.search.exhaustive import SpaceTooLarge
    from archscope.search.plan import SearchOptions, plan
    from archscope.search.runner import Infeasible, run_search
    from archscope.search.space import SpaceError
    from archscope.search.study import Sampler, StorageError, StudyMismatch

    for flag, value in (("--min-fps", min_fps), ("--max-latency-ms", max_latency_ms)):
        if value is not None and not value > 0:
            raise _bad(f"{value} must be > 0", f"'{flag}'")
    try:
        chosen = Sampler(sampler) if sampler is not None else None
    except ValueError:
        raise _bad(f"{sampler!r} is not one of tpe, nsga2, random, exhaustive", "'--sampler'") from None
    options = SearchOptions(
        space=space, device=device, resolution=parsed("--resolution", parse_resolution, resolution) if resolution is not None else None,
        min_fps=min_fps, max_latency_ms=max_latency_ms, min_layers=min_layers, trials=trials, sampler=chosen, seed=seed, storage=storage,
        study_name=study_name, out=out, true_front=true_front, command=" ".join(["archscope", *map(shlex.quote, state.argv)]),
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
