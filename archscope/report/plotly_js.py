"""Where a report's HTML gets plotly.js from (``--plotly-js``); plotly is not imported."""

from enum import StrEnum


class PlotlyJs(StrEnum):
    INLINE = "inline"  # in the page: self-contained, offline
    SHARED = "shared"  # one file beside the page, shared by the reports in its folder
    CDN = "cdn"  # from plotly's CDN: a small page that needs the network
