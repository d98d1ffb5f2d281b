"""A report page: a title, a short written summary, then sections of text, a figure and
tables; rendered to one HTML file that loads plotly.js once.

plotly.js is embedded in the page (``inline``, about 4.7 MB: opens offline anywhere),
written once beside the page and shared by every report of that folder (``shared``), or
loaded from plotly's CDN (``cdn``: a small page that needs the network)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from archscope.report.markup import STYLE, paragraphs
from archscope.report.plotly_js import PlotlyJs
from archscope.version import version

#: plotly's options for every figure
FIGURE_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "svg"}}


@dataclass(frozen=True)
class Section:
    """``text``: plain text (escaped; blank lines separate paragraphs); ``html``: markup
    built by this package (tables, code), placed after the figure."""

    title: str
    text: str = ""
    figure: go.Figure | None = None
    html: str = ""

    @property
    def anchor(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")


@dataclass(frozen=True)
class Page:
    title: str
    summary: list[str]
    sections: list[Section] = field(default_factory=list)
    command: str = ""  # the command that made the report

    @property
    def figures(self) -> list[go.Figure]:
        return [s.figure for s in self.sections if s.figure is not None]


def shared_script_name() -> str:
    return f"plotly-{get_plotlyjs_version()}.min.js"


def _plotly_script(mode: PlotlyJs) -> str:
    if mode is PlotlyJs.INLINE:
        return f'<script type="text/javascript">{get_plotlyjs()}</script>'
    if mode is PlotlyJs.SHARED:
        return f'<script src="{shared_script_name()}" charset="utf-8"></script>'
    from plotly.io._utils import plotly_cdn_url

    return f'<script src="{plotly_cdn_url()}" charset="utf-8"></script>'


def _figure_html(figure: go.Figure, index: int) -> str:
    div = pio.to_html(figure, full_html=False, include_plotlyjs=False, div_id=f"figure-{index}",
                      config=FIGURE_CONFIG, default_width="100%")
    return f'<div class="figure">{div}</div>'


def _section_html(section: Section, index: int | None) -> str:
    parts = [f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2>', paragraphs(section.text)]
    if section.figure is not None and index is not None:
        parts.append(_figure_html(section.figure, index))
    parts += [section.html, "</section>"]
    return "\n".join(p for p in parts if p)


def render(page: Page, *, plotly_js: PlotlyJs = PlotlyJs.INLINE) -> str:
    """The whole HTML document."""
    contents = "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in page.sections)
    body, figures = [], 0
    for section in page.sections:
        body.append(_section_html(section, figures if section.figure is not None else None))
        figures += section.figure is not None
    made_by = f"Made by <code>{html.escape(page.command)}</code> with " if page.command else "Made with "
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(page.title)}</title>",
        f'<meta name="generator" content="archscope {version()}">',
        f'<meta name="archscope-figures" content="{figures}">',
        f"<style>{STYLE}</style>",
        _plotly_script(plotly_js),
        "</head><body><main>",
        f"<h1>{html.escape(page.title)}</h1>",
        f'<div class="summary">{"".join(f"<p>{html.escape(s)}</p>" for s in page.summary)}</div>',
        f"<nav><ol>{contents}</ol></nav>",
        *body,
        f"<footer>{made_by}archscope {version()} and plotly.py {plotly.__version__} "
        f"(plotly.js {get_plotlyjs_version()}).</footer>",
        "</main></body></html>",
    ])


def write_page(page: Page, path: str | Path, *, plotly_js: PlotlyJs = PlotlyJs.INLINE) -> Path:
    """Write the page (and, for ``shared``, plotly.js beside it if it is not there yet)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if plotly_js is PlotlyJs.SHARED:
        script = target.parent / shared_script_name()
        if not script.is_file():
            script.write_text(get_plotlyjs(), encoding="utf-8")
    target.write_text(render(page, plotly_js=plotly_js), encoding="utf-8")
    return target
