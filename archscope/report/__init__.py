"""Interactive HTML reports of searches, cost analyses and latency validations.

``candidates`` costs a run's front points and the family's reference networks,
``figures`` holds one module per figure (plain data, then a plotly Figure), ``*_page``
modules assemble each report and ``page`` writes it as one HTML file; ``plots`` draws
each figure in one call (``archscope.api`` re-exports it); ``browser`` opens a report in
headless Chromium (tests, screenshots). The package imports nothing itself: plotly is
loaded by the modules that draw.
"""
