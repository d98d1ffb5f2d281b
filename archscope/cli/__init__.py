"""The ``archscope`` command line."""

from __future__ import annotations

import sys

import typer

from archscope.cli import cost, latency, state, train
from archscope.cli import search
from archscope.cli import report

app = typer.Typer(
    name="archscope",
    help="Analytic cost models and architecture search for efficient CNNs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(cost.app, name="cost")
app.add_typer(latency.bench_app, name="bench")
app.add_typer(latency.calibrate_app)
app.add_typer(latency.validate_app, name="validate")
app.add_typer(train.app, name="train")
app.add_typer(search.search_app)
app.add_typer(report.report_app)


def main(argv: list[str] | None = None, *, reexec_allowed: bool = False) -> int:
    """Entry point: usage errors print one line on stderr and exit with code 2.

    ``reexec_allowed``: commands that time networks may re-execute this process with
    tuned malloc settings (only the console script allows it).
    """
    state.argv = list(sys.argv[1:] if argv is None else argv)
    state.reexec_allowed = reexec_allowed
    try:
        result = app(args=argv, prog_name="archscope", standalone_mode=False)
    except typer.TyperException as error:  # click's UsageError, BadParameter, ...
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        if type(error).__name__ == "NoArgsIsHelpError":
            print(message, file=sys.stderr)
            return 2
        print(f"archscope: error: {message}", file=sys.stderr)
        return getattr(error, "exit_code", 2)
    except (KeyboardInterrupt, typer.Abort):
        print("archscope: interrupted", file=sys.stderr)
        return 130
    return result if isinstance(result, int) else 0


def entry() -> None:
    sys.exit(main(reexec_allowed=True))
