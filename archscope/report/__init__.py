"""Interactive HTML reports of searches, cost analyses and latency validations.

``run`` reads a search run folder, ``candidates`` costs its front points and the
family's reference networks, ``figures`` holds one module per figure (plain data, then a
plotly Figure), ``*_page`` modules assemble each report and ``page`` writes it as one
HTML file; ``browser`` opens a report in headless Chromium (tests, screenshots).
"""

from archscope.report.page import Page, PlotlyJs, Section, render, write_page
from archscope.search.folder import RunError, SearchRun, load_run

__all__ = ["Page", "PlotlyJs", "RunError", "SearchRun", "Section", "load_run", "render", "write_page"]
