"""``archscope train FAMILY [hyper-parameters] [training options]`` and
``archscope train --from RUN_DIR --row N [training options]``: train a network as a
segmentation model and report mIoU before and after.

``--resolution`` is the training crop and ``--batch`` the images per step (per process
under torchrun); the classes come from the data. Multi-process:
``torchrun --nproc-per-node 2 -m archscope train ndnet ...`` (see README).
"""

from __future__ import annotations

import inspect
import os
import shlex
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable

import typer
from rich.console import Console
from rich.table import Table

from archscope.cli.errors import domain_errors
from archscope.cli.options import common_option, convert_hyper, family_options, parse_number, parsed
from archscope.cli.render import to_json
from archscope.families import DEFAULT_FAMILY, FAMILIES, Family, get_family
from archscope.train.schedule import Schedule

if TYPE_CHECKING:  # torch is imported by the commands that train, not by the CLI
    from archscope.train.config import TrainConfig
    from archscope.train.loop import TrainResult


class TrainFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _number(flag: str, default: str, help_: str, metavar: str = "INT") -> inspect.Parameter:
    name = flag.lstrip("-").replace("-", "_")
    return common_option(name, Annotated[str, typer.Option(flag, metavar=metavar, help=help_)], default)


COMMON = [
    _number("--steps", "200", "training steps"),
    common_option(
        "data",
        Annotated[str, typer.Option("--data", metavar="SPEC", help="shapes (built-in, procedural) or cityscapes:DIR")],
        "shapes",
    ),
    common_option(
        "out",
        Annotated[
            str | None, typer.Option("--out", metavar="DIR", help="run folder (default: a new one under results/runs/)")
        ],
        None,
    ),
    _number("--lr", "0.1", "base learning rate (SGD, momentum 0.9)", "FLOAT"),
    common_option(
        "schedule",
        Annotated[
            Schedule,
            typer.Option("--schedule", help="step: lr/10 at 35/80 and 60/80 of the steps (NDNet); poly: (1-t/T)^0.9"),
        ],
        Schedule.STEP,
    ),
    _number("--weight-decay", "0.0001", "L2 weight decay", "FLOAT"),
    common_option(
        "scales",
        Annotated[str, typer.Option("--scales", metavar="S,S,...", help="random scales of the augmentation")],
        "0.75,1,1.25,1.5,2",
    ),
    _number("--eval-every", "100", "evaluate mIoU every N steps (0: only before and after)"),
    _number("--eval-images", "100", "validation images per evaluation"),
    _number("--checkpoint-every", "100", "write OUT/checkpoint.pt every N steps (0: only at the end)"),
    common_option(
        "resume", Annotated[bool, typer.Option("--resume", help="continue the run in --out from its checkpoint")], False
    ),
    common_option(
        "amp", Annotated[bool, typer.Option("--amp", help="mixed precision (bfloat16 autocast on CPU)")], False
    ),
    common_option(
        "channels_last",
        Annotated[
            bool,
            typer.Option("--channels-last/--no-channels-last", help="NHWC memory format (about 2x faster on CPUs)"),
        ],
        True,
    ),
    common_option(
        "gradual_grouping",
        Annotated[
            str | None,
            typer.Option(
                "--gradual-grouping",
                metavar="START,END",
                help="train the network's grouped convs as dense ones first, then fade their off-group weights "
                "from START to END (fractions of --steps, e.g. 0.1,0.6); the run ends with real grouped convs",
            ),
        ],
        None,
    ),
    _number("--seed", "0", "seed of the weights, the data and the augmentation"),
    _number("--workers", "0", "data-loading processes"),
    _number("--threads", "0", "torch threads (0: torch's default, one per core; give each of several processes "
            "on one machine its share)"),
    common_option(
        "output_format",
        Annotated[TrainFormat, typer.Option("--format", help="table (rich) or json")],
        TrainFormat.TABLE,
    ),
]

#: family hyper-parameters whose meaning or default differs for training
TRAIN_OPTIONS = {
    "resolution": (
        "128x128",
        Annotated[str, typer.Option("--resolution", metavar="HxW", help="training crop height x width")],
    ),
    "batch": ("8", Annotated[str, typer.Option("--batch", metavar="INT", help="images per step (per process)")]),
}
#: set from the data, not an option
SKIPPED = ("classes",)


def _parse_scales(text: str) -> tuple[float, ...]:
    return tuple(float(parse_number(item.strip(), float, None)) for item in text.split(","))


def _parse_grouping(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    values = _parse_scales(text)
    if len(values) != 2:
        raise typer.BadParameter(f"{text!r} is not START,END (two fractions of --steps, e.g. 0.1,0.6)")
    return (values[0], values[1])


def build_config(family: str, hyper: dict[str, Any], values: dict[str, Any]) -> TrainConfig:
    from archscope.train.config import TrainConfig

    """The run's configuration from the parsed options (errors name the option)."""
    hyper = dict(hyper)
    crop, batch = hyper.pop("resolution"), hyper.pop("batch")
    integer = {
        name: parsed(f"--{name.replace('_', '-')}", lambda text: parse_number(text, int, 0), values[name])
        for name in ("steps", "eval_every", "eval_images", "checkpoint_every", "seed", "workers")
    }
    real = {
        name: parsed(f"--{name.replace('_', '-')}", lambda text: parse_number(text, float, 0), values[name])
        for name in ("lr", "weight_decay")
    }
    out = values["out"] or f"results/runs/train-{family}-{datetime.now():%Y%m%d-%H%M%S}"
    if values["resume"] and not values["out"]:
        raise typer.BadParameter("--resume needs the --out DIR of the run to continue", param_hint="'--resume'")
    with domain_errors():
        return TrainConfig(
            family=family,
            hyper=get_family(family).plain(hyper),
            batch=int(batch),
            crop=(int(crop.height), int(crop.width)),
            data=values["data"],
            schedule=values["schedule"],
            scales=parsed("--scales", _parse_scales, values["scales"]),
            grouping=parsed("--gradual-grouping", _parse_grouping, values["gradual_grouping"]),
            amp=values["amp"],
            channels_last=values["channels_last"],
            out=Path(out),
            **integer,
            **real,
        )


def _one_line(error: Exception) -> str:
    """The message of an error raised in a data worker is the worker's traceback: keep
    its last line without the exception's module path."""
    line = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    return line.split("Error: ", 1)[-1] if line.startswith("archscope.") else line


def set_threads(values: dict[str, Any]) -> None:
    """``--threads N``: torch's intra-op threads (0 leaves torch's default)."""
    threads = parsed("--threads", lambda text: parse_number(text, int, 0), values["threads"])
    if threads:
        import torch

        torch.set_num_threads(int(threads))


def run_train(family: str, hyper: dict[str, Any], **values: Any) -> int:
    from archscope.data import DatasetError
    from archscope.train import distributed
    from archscope.train.loop import Trainer, TrainingInterrupted
    from archscope.train.progress import RichProgress

    config = build_config(family, hyper, values)
    set_threads(values)
    output_format: TrainFormat = values["output_format"]
    main_process = int(os.environ.get("RANK", "0")) == 0
    context = distributed.setup()
    try:
        with domain_errors():
            trainer = Trainer(config, progress=RichProgress(), context=context)
            trainer.start(resume=values["resume"])
        try:
            result = trainer.run()
        except DatasetError as error:
            raise typer.BadParameter(_one_line(error), param_hint="'--data'") from None
    except TrainingInterrupted as stop:
        if main_process:
            print(f"archscope: {stop}", file=sys.stderr)
        return 130
    finally:
        distributed.teardown(context)
    if main_process:
        _print_result(config, result, output_format)
    return 0


def _print_result(config: TrainConfig, result: TrainResult, output_format: TrainFormat) -> None:
    if output_format is TrainFormat.JSON:
        payload = {**result.summary(), "family": config.family, "hyper": config.hyper, "config": config.as_dict()}
        sys.stdout.write(to_json(payload) + "\n")
        return
    console = Console()
    table = Table(title=f"{config.family} trained on {config.data}: {config.out}", title_justify="left")
    for column in ("steps", "mIoU before", "mIoU after", "pixel acc.", "loss", "images/s", "params"):
        table.add_column(column, justify="right")
    table.add_row(
        str(result.steps),
        f"{100 * result.miou_initial:.1f}%",
        f"{100 * result.miou_final:.1f}%",
        f"{100 * result.pixel_accuracy_final:.1f}%",
        f"{result.loss_final:.4f}",
        f"{result.images_per_s:.1f}",
        f"{result.params:,}",
    )
    console.print(table)
    if result.grouping is not None:
        grouping = result.grouping
        console.print(
            f"gradual grouping: dense convs converted to grouped ones, {grouping['grouped_params']:,} params "
            f"(outputs differ by at most {grouping['max_abs_output_difference']:.2e}); weights in {grouping['file']}",
            highlight=False,
        )
    per_class = Table(title="IoU per class (last evaluation)", title_justify="left")
    per_class.add_column("class")
    per_class.add_column("IoU", justify="right")
    for name, iou in result.iou_final.items():
        per_class.add_row(name, "-" if iou != iou else f"{100 * iou:.1f}%")
    console.print(per_class)


def family_train_command(family: Family) -> Callable[..., Any]:
    """``archscope train FAMILY``: the family's hyper-parameters (crop and batch with
    training defaults, classes from the data) plus the training options."""
    parameters, converters = family_options(family)
    shown = []
    for parameter in parameters:
        if parameter.name in SKIPPED:
            converters.pop(parameter.name)
            continue
        if parameter.name in TRAIN_OPTIONS:
            default, annotation = TRAIN_OPTIONS[parameter.name]
            parameter = parameter.replace(default=default, annotation=annotation)
        shown.append(parameter)

    def command(**values: Any) -> int:
        hyper = convert_hyper(converters, {name: values.pop(name) for name in converters})
        return run_train(family.name, hyper, **values)

    command.__signature__ = inspect.Signature([*shown, *COMMON])  # type: ignore[attr-defined]
    command.__name__ = f"train_{family.name.replace('-', '_')}"
    command.__doc__ = family.summary
    return command


def from_run_callback() -> Callable[..., Any]:
    """The group's own options: ``--from RUN_DIR --row N`` with the training options."""
    resolution_default, resolution = TRAIN_OPTIONS["resolution"]
    batch_default, batch = TRAIN_OPTIONS["batch"]
    own = [
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
        common_option(
            "run_dir",
            Annotated[
                str | None,
                typer.Option("--from", metavar="RUN_DIR", help="an archscope search run folder (reads its pareto.csv)"),
            ],
            None,
        ),
        common_option(
            "row",
            Annotated[str, typer.Option("--row", metavar="N", help="row of pareto.csv to train (0 = first)")],
            "0",
        ),
        common_option(
            "rows",
            Annotated[
                str | None,
                typer.Option(
                    "--rows",
                    metavar="front|all|N,N,...",
                    help="train several networks of the run under one recipe: its front, every feasible trial, or "
                    "rows of pareto.csv; each in OUT/<name>/, summary in OUT/summary.csv (default --out RUN_DIR/trained)",
                ),
            ],
            None,
        ),
        common_option(
            "baselines",
            Annotated[
                str | None,
                typer.Option("--baselines", metavar="NAME,...", help="the family's presets to train with them "
                             "(e.g. ndnet29,ndnet45,ndnet61)"),
            ],
            None,
        ),
        common_option(
            "storage",
            Annotated[
                str | None,
                typer.Option("--storage", metavar="URL|PATH", help="with --rows: the work list's Optuna storage "
                             "(SQLAlchemy URL or journal file), shared by every worker (default: sqlite in --out)"),
            ],
            None,
        ),
        common_option("resolution", resolution, resolution_default),
        common_option("batch", batch, batch_default),
    ]

    def callback(
        ctx: typer.Context, run_dir: str | None, row: str, rows: str | None, baselines: str | None,
        storage: str | None, resolution: str, batch: str, **values: Any
    ) -> int | None:
        if ctx.invoked_subcommand is not None:
            given = [p.opts[0] for p in ctx.command.params if ctx.get_parameter_source(p.name).name == "COMMANDLINE"]
            if given:
                raise typer.BadParameter(
                    f"{given[0]} goes after the family name (archscope train FAMILY {given[0]} ...)"
                )
            return None
        if rows is not None or baselines is not None:
            if ctx.get_parameter_source("row").name == "COMMANDLINE":
                raise typer.BadParameter("give --row N (one network) or --rows (several), not both", param_hint="'--row'")
            return _cohort(run_dir, rows, baselines, storage, resolution, batch, values)
        if storage is not None:
            raise typer.BadParameter("--storage shares the work of --rows between workers: give --rows", param_hint="'--storage'")
        if run_dir is None:
            raise typer.BadParameter("give a family (archscope train ndnet ...) or --from RUN_DIR --row N")
        index = parsed("--row", lambda text: parse_number(text, int, 0), row)
        from archscope.search.folder import read_row

        with domain_errors("'--from'"):
            family, hyper = read_row(Path(run_dir), int(index))
        params = get_family(family).hyper
        hyper["resolution"] = parsed("--resolution", params["resolution"].parse, resolution)
        hyper["batch"] = parsed("--batch", params["batch"].parse, batch)
        return run_train(family, hyper, **values)

    callback.__signature__ = inspect.Signature([*own, *COMMON])  # type: ignore[attr-defined]
    return callback


def _cohort(
    run_dir: str | None, rows: str | None, baselines: str | None, storage: str | None, resolution: str, batch: str,
    values: dict[str, Any],
) -> int:
    """``--rows``/``--baselines``: the recipe from the training options, for every network."""
    from archscope.cli import state
    from archscope.cli.train_cohort import run_cohort_command

    family = get_family(DEFAULT_FAMILY)  # the recipe's crop and batch are read as any family reads them
    hyper = {"resolution": parsed("--resolution", family.hyper["resolution"].parse, resolution),
             "batch": parsed("--batch", family.hyper["batch"].parse, batch)}
    recipe = build_config(family.name, hyper, {**values, "out": values["out"] or "cohort", "resume": False})
    set_threads(values)
    command = " ".join(["archscope", *map(shlex.quote, state.argv)])
    return run_cohort_command(run_dir, rows, baselines, storage, recipe, values["out"], values["output_format"].value,
                              command)


app = typer.Typer(
    help="Train a network as a segmentation model: mIoU before and after, metrics, checkpoints.",
    invoke_without_command=True,
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.callback(invoke_without_command=True)(from_run_callback())

for _family in FAMILIES.values():
    app.command(name=_family.name, help=_family.summary)(family_train_command(_family))
