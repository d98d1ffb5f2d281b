"""``archscope train --from RUN_DIR --rows front|all|0,3,5 [--baselines NAME,...] --out DIR``:
train a search's chosen networks and the paper's ones under one recipe, one after
another (or shared by several workers given the same --out or --storage), and write
``DIR/summary.csv``."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from archscope.cli.render import to_json

if TYPE_CHECKING:
    from archscope.cohort.networks import Member
    from archscope.cohort.runner import CohortOutcome
    from archscope.search.folder import SearchRun
    from archscope.train.config import TrainConfig


def _bad(message: str, hint: str) -> typer.BadParameter:
    return typer.BadParameter(" ".join(str(message).split()), param_hint=hint)


def _load(run_dir: str) -> tuple[SearchRun, Any]:
    from archscope.latency.profile import ProfileError, load_profile
    from archscope.search.folder import RunError, load_run

    try:
        run = load_run(run_dir)
        return run, load_profile(run.space.constraints.device)
    except (RunError, ProfileError) as error:
        raise _bad(str(error), "'--from'") from None


def _members(run: SearchRun, profile: Any, rows: str | None, baselines: str | None) -> list[Member]:
    from archscope.cohort.networks import CohortError, baseline_members, front_members, parse_rows
    from archscope.search.folder import RunError

    try:
        chosen = front_members(run, profile, parse_rows(rows)) if rows else []
    except (CohortError, RunError) as error:
        raise _bad(str(error), "'--rows'") from None
    try:
        chosen += baseline_members(run, profile, baselines) if baselines else []
    except CohortError as error:
        raise _bad(str(error), "'--baselines'") from None
    return chosen


def _check_trainable(members: list[Member], recipe: TrainConfig) -> None:
    """Every network can be built for training under the recipe, and the data opens."""
    from archscope.data import DatasetError, open_datasets
    from archscope.train.model import segmentation_network

    try:
        classes = len(open_datasets(recipe.data, crop=recipe.crop, seed=recipe.seed).classes)
    except DatasetError as error:
        raise _bad(str(error), "'--data'") from None
    for member in members:
        try:
            segmentation_network(member.family, member.train, classes=classes, batch=recipe.batch,
                                 resolution=recipe.crop)
        except ValueError as error:
            raise _bad(f"{member.name} ({member.label}): {error}", "'--from'") from None


def run_cohort_command(
    run_dir: str | None, rows: str | None, baselines: str | None, storage: str | None, recipe: TrainConfig,
    out: str | None, output_format: str, command: str,
) -> int:
    """Parse, train, print; 130 when interrupted."""
    from archscope.cohort.progress import RichCohort
    from archscope.cohort.runner import CohortRequest, run_cohort
    from archscope.cohort.work import CohortMismatch
    from archscope.search.storage import StorageError
    from archscope.train.checkpoint import CheckpointError

    if run_dir is None:
        raise _bad("--rows and --baselines choose networks of a search run: give its folder with --from RUN_DIR",
                   "'--rows'" if rows else "'--baselines'")
    run, profile = _load(run_dir)
    members = _members(run, profile, rows, baselines)
    folder = Path(out) if out else run.path / "trained"
    _check_trainable(members, recipe)
    resolution = run.space.fixed.get("resolution")
    request = CohortRequest(
        recipe=dataclasses.replace(recipe, out=folder), members=members, out=folder, run=run.path,
        device=run.space.constraints.device, resolution=str(resolution) if resolution is not None else "",
        storage=storage, command=command,
    )
    try:
        outcome = run_cohort(request, progress=RichCohort())
    except StorageError as error:
        raise _bad(str(error), "'--storage'") from None
    except CohortMismatch as error:
        raise _bad(str(error), "'--out'") from None
    except CheckpointError as error:
        raise _bad(str(error), "'--out'") from None
    _print(outcome, output_format)
    if outcome.interrupted:
        print(f"archscope: interrupted; the trained networks are saved, run the same command to continue "
              f"({outcome.request.out})", file=sys.stderr)
        return 130
    return 0


def _payload(outcome: CohortOutcome) -> dict[str, Any]:
    from archscope.search.run import pareto_records

    request = outcome.request
    return {
        "out": str(request.out), "run": str(request.run), "device": request.device, "resolution": request.resolution,
        "storage": request.storage_url, "study_name": request.study_name, "recipe": request.settings.recipe,
        "trained_here": outcome.trained, "interrupted": outcome.interrupted,
        "networks": pareto_records(outcome.summary), "files": [str(f) for f in outcome.files],
    }


COLUMNS = {"name": "network", "label": "configuration", "layers": "layers", "params": "params",
           "fps": "fps (predicted)", "miou": "mIoU", "pixel_accuracy": "pixel acc.", "images_per_s": "images/s",
           "train_s": "train s", "state": "state"}


def _cell(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if column in ("miou", "pixel_accuracy"):
        return f"{100 * float(value):.1f}%"
    if column in ("fps", "images_per_s"):
        return f"{float(value):.1f}"
    if column == "train_s":
        return f"{float(value):.0f}"
    if column == "params":
        return f"{int(value):,}"
    return str(value)


def _print(outcome: CohortOutcome, output_format: str) -> None:
    if output_format == "json":
        sys.stdout.write(to_json(_payload(outcome)) + "\n")
        return
    request = outcome.request
    console = Console() if Console().is_terminal else Console(width=160)
    title = (f"{len(outcome.summary)} networks trained on {request.recipe.data} "
             f"({request.recipe.steps} steps, {request.recipe.crop[0]}x{request.recipe.crop[1]}, batch "
             f"{request.recipe.batch}); fps predicted on {request.device} at {request.resolution}")
    table = Table(title=title, title_justify="left")
    for title_ in COLUMNS.values():
        table.add_column(title_, justify="left" if title_ in ("network", "configuration", "state") else "right")
    for row in outcome.summary.to_dict(orient="records"):
        table.add_row(*(_cell(column, row.get(column)) for column in COLUMNS))
    console.print(table)
    console.print(f"wrote {', '.join(str(f) for f in outcome.files)}; report: archscope report {request.out}",
                  highlight=False, soft_wrap=True)
