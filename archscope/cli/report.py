"""``archscope report RUN_DIR``: a search run (or a saved latency validation) as an
interactive HTML report; and the ``--report``/``--open``/``--plotly-js`` options that
``archscope cost`` and ``archscope validate latency`` share."""

from __future__ import annotations

import shlex
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from archscope.cli import state
from archscope.cli.options import common_option
from archscope.report.plotly_js import PlotlyJs

if TYPE_CHECKING:
    from archscope.report.page import Page

_err = Console(stderr=True)

PlotlyJsOption = Annotated[PlotlyJs, typer.Option(
    "--plotly-js",
    help="inline: plotly.js embedded (opens offline, ~4.7 MB); shared: one copy beside the reports of a folder; "
         "cdn: loaded from plotly's CDN (small, needs the network)",
)]
REPORT_HELP = "also write an interactive HTML report"
OpenOption = Annotated[bool, typer.Option("--open", help="open the report in your web browser")]

REPORT_OPTIONS = [
    common_option(
        "report",
        Annotated[Optional[Path], typer.Option("--report", metavar="FILE.html", help=REPORT_HELP)],
        None,
    ),
    common_option("open_report", OpenOption, False),
    common_option("plotly_js", PlotlyJsOption, PlotlyJs.INLINE),
]


def this_command() -> str:
    return " ".join(["archscope", *map(shlex.quote, state.argv)])


def check_target(path: Path, option: str) -> None:
    """A report goes to an .html file (catches ``--report`` taking the next option)."""
    if path.suffix.lower() not in (".html", ".htm"):
        raise typer.BadParameter(f"{str(path)!r} is not an .html file name", param_hint=f"'{option}'")


def publish(page: "Page", path: Path, *, plotly_js: PlotlyJs, open_browser: bool, option: str) -> Path:
    """Write the report, say where, and open it if asked."""
    check_target(path, option)
    try:
        from archscope.report.page import write_page  # imports plotly

        written = write_page(page, path, plotly_js=plotly_js)
    except OSError as error:
        reason = error.strerror or error
        raise typer.BadParameter(f"cannot write {str(path)!r}: {reason}", param_hint=f"'{option}'") from None
    _err.print(f"wrote {written} ({len(page.figures)} figures)", highlight=False, soft_wrap=True)
    if open_browser:
        open_in_browser(written)
    return written


def open_in_browser(path: Path) -> None:
    try:
        opened = webbrowser.open(path.resolve().as_uri())
    except webbrowser.Error:
        opened = False
    if not opened:
        _err.print(f"no web browser found here: open {path} yourself", highlight=False, soft_wrap=True)


report_app = typer.Typer(rich_markup_mode=None)
SOURCE_HELP = ("a search run folder (archscope search --out DIR), a folder of trained networks "
               "(archscope train --rows ... --out DIR), or a latency validation's .json (validate latency --out)")
OUT_HELP = "where to write it (default: RUN_DIR/report.html; for a .json, the same name .html)"


@report_app.command(name="report")
def report(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help=SOURCE_HELP, show_default=False)],
    out: Annotated[Optional[Path], typer.Option("--out", metavar="FILE.html", help=OUT_HELP)] = None,
    plotly_js: PlotlyJsOption = PlotlyJs.INLINE,
    open_report: OpenOption = False,
) -> None:
    """Write an interactive HTML report of a search run (its Pareto front, trials, the
    space's map, the chosen networks' costs and its configuration), of trained networks
    (mIoU against predicted fps, learning curves, summary) or of a latency validation."""
    validation = run_dir.suffix == ".json"
    target = out or (run_dir.with_suffix(".html") if validation else run_dir / "report.html")
    check_target(target, "--out")
    page = _validation(run_dir) if validation else _cohort(run_dir) if _is_cohort(run_dir) else _search(run_dir)
    publish(page, target, plotly_js=plotly_js, open_browser=open_report, option="--out")


def _search(folder: Path) -> "Page":
    from archscope.latency.profile import ProfileError, load_profile
    from archscope.search.folder import RunError, load_run
    from archscope.report.search_page import search_page

    try:
        run = load_run(folder)
        profile = load_profile(run.space.constraints.device)
    except (RunError, ProfileError) as error:
        raise typer.BadParameter(str(error), param_hint="'RUN_DIR'") from None
    with _err.status("costing the front, the reference networks and the space..."):
        return search_page(run, profile, command=this_command())


def _is_cohort(folder: Path) -> bool:
    from archscope.cohort.folder import is_cohort

    return is_cohort(folder)


def _cohort(folder: Path) -> "Page":
    from archscope.cohort.folder import load_cohort
    from archscope.report.cohort_page import cohort_page
    from archscope.search.folder import RunError

    try:
        cohort = load_cohort(folder)
    except RunError as error:
        raise typer.BadParameter(str(error), param_hint="'RUN_DIR'") from None
    return cohort_page(cohort, command=this_command())


def _validation(path: Path) -> "Page":
    from archscope.search.folder import RunError
    from archscope.report.validation_page import load_validation, validation_page

    try:
        summary, rows = load_validation(path)
    except RunError as error:
        raise typer.BadParameter(str(error), param_hint="'RUN_DIR'") from None
    return validation_page(summary, rows, command=this_command())
