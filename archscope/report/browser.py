"""Open a report in headless Chromium and check that it rendered: no JavaScript error,
every figure drawn (a plot container with SVG marks); optionally save a screenshot.

Drives the system's Chromium (Debian's ``chromium`` package, ``$ARCHSCOPE_CHROMIUM``
overrides) with playwright (a dev dependency: ``pip install -e ".[dev]"``)::

    python -m archscope.report.browser REPORT.html --screenshot REPORT.png
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: what Chromium needs to run headless as root in a container, with nothing of its own
#: reaching the network
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)

#: per plot container: has plotly laid it out, its SVG element count, its drawn traces
#: (scatter/bar/heatmap trace groups, or parcoords axes) and its height in pixels
_PROBE = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(div => ({
    id: div.id,
    laidOut: !!div._fullLayout,
    svgElements: div.querySelectorAll('svg.main-svg *').length,
    traces: div.querySelectorAll('svg.main-svg g.trace, svg.main-svg .parcoords g.y-axis').length,
    height: div.getBoundingClientRect().height,
}))"""


#: every figure the page announces is laid out by plotly
_READY = """n => { const d = document.querySelectorAll('.js-plotly-plot');
    return d.length >= n && Array.from(d).every(x => x._fullLayout); }"""


class BrowserUnavailable(RuntimeError):
    """No Chromium, or no playwright to drive it."""


@dataclass(frozen=True)
class Container:
    id: str
    laid_out: bool
    svg_elements: int
    traces: int
    height: float

    @property
    def drawn(self) -> bool:
        return self.laid_out and self.traces > 0 and self.svg_elements > 10 and self.height > 100


@dataclass(frozen=True)
class BrowserCheck:
    errors: list[str]  # uncaught exceptions and console errors
    expected: int  # figures the page says it holds
    containers: list[Container]

    @property
    def drawn(self) -> int:
        return sum(c.drawn for c in self.containers)

    @property
    def ok(self) -> bool:
        return not self.errors and self.expected == len(self.containers) == self.drawn


def find_chromium() -> str | None:
    for candidate in (os.environ.get("ARCHSCOPE_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


class Browser:
    """A headless Chromium session (a fresh profile folder) that checks reports::

        with Browser() as browser:
            result = browser.check("report.html", screenshot="report.png")
    """

    def __init__(self, *, width: int = 1280, height: int = 1800) -> None:
        self.viewport = {"width": width, "height": height}
        self._stack = contextlib.ExitStack()
        self._context: Any = None

    def __enter__(self) -> Browser:
        executable = find_chromium()
        if executable is None:
            raise BrowserUnavailable("no chromium on PATH (Debian: apt-get install chromium)")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise BrowserUnavailable("playwright is not installed (pip install -e '.[dev]')") from None
        with self._stack as stack:
            profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="archscope-chromium-"))
            driver = stack.enter_context(sync_playwright())
            self._context = driver.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS), viewport=self.viewport,
            )
            stack.callback(self._context.close)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def check(self, path: str | Path, *, screenshot: str | Path | None = None, full_page: bool = False,
              timeout_s: float = 30) -> BrowserCheck:
        """Load ``path``, wait for its figures, probe them, screenshot it."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        errors: list[str] = []
        page = self._context.new_page()
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
        try:
            page.goto(Path(path).resolve().as_uri(), wait_until="load", timeout=timeout_s * 1e3)
            expected = int(page.get_attribute('meta[name="archscope-figures"]', "content") or 0)
            try:
                page.wait_for_function(_READY, arg=expected, timeout=timeout_s * 1e3)
            except PlaywrightTimeout:
                errors.append(f"timed out after {timeout_s:g} s waiting for {expected} figures")
            page.wait_for_timeout(200)  # plotly finishes drawing in animation frames
            probes = page.evaluate(_PROBE)
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=full_page)
        finally:
            page.close()
        containers = [Container(p["id"], p["laidOut"], p["svgElements"], p["traces"], p["height"]) for p in probes]
        return BrowserCheck(errors=errors, expected=expected, containers=containers)


def check_report(path: str | Path, *, screenshot: str | Path | None = None, width: int = 1280,
                 height: int = 1800, full_page: bool = False) -> BrowserCheck:
    """``Browser().check`` of one report in its own session."""
    with Browser(width=width, height=height) as browser:
        return browser.check(path, screenshot=screenshot, full_page=full_page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archscope.report.browser", description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the page's top (the viewport)")
    parser.add_argument("--width", type=int, default=1280, help="viewport width in pixels")
    parser.add_argument("--height", type=int, default=1800, help="viewport height in pixels")
    parser.add_argument("--full-page", action="store_true", help="screenshot the whole page")
    args = parser.parse_args(argv)
    try:
        result = check_report(args.report, screenshot=args.screenshot, width=args.width, height=args.height,
                              full_page=args.full_page)
    except BrowserUnavailable as error:
        print(f"archscope: error: {error}", file=sys.stderr)
        return 2
    for error in result.errors:
        print(error, file=sys.stderr)
    print(f"{result.drawn} of {result.expected} figures drawn, {len(result.errors)} JavaScript errors")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
