"""Small HTML pieces of a report: paragraphs, tables, code; every value escaped."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0;
       background: #fafafa; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: white; }
h1 { font-size: 1.7rem; margin-bottom: 0.6rem; }
h2 { font-size: 1.3rem; margin-top: 2.4rem; border-bottom: 1px solid #ddd; padding-bottom: 0.3rem; }
.summary { background: #f1f6fb; border-left: 4px solid #1f77b4; padding: 0.4rem 1rem; }
.summary p { margin: 0.5rem 0; }
nav ol { columns: 2; font-size: 0.95rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.25rem 0.7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; }
th { background: #f4f4f4; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
pre.wrap { white-space: pre-wrap; }
code { background: #f3f3f3; padding: 0 0.2rem; }
.figure { margin: 0.5rem 0 1rem; }
footer { margin-top: 3rem; font-size: 0.85rem; color: #666; }
"""


@dataclass(frozen=True)
class Column:
    """A table column: the row key, its heading (with the unit) and how to show a value."""

    key: str
    title: str
    show: Callable[[Any], str] = str
    text: bool = False  # left-aligned


def paragraphs(text: str) -> str:
    """Plain text to ``<p>`` elements (blank lines separate them)."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    return "".join(f"<p>{html.escape(' '.join(b.split()))}</p>" for b in blocks)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, caption: str = "") -> str:
    head = "".join(f"<th>{html.escape(c.title)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td{" class=text" if c.text else ""}>{html.escape(c.show(row[c.key]) if c.key in row else "")}</td>'
            for c in columns
        )
        body.append(f"<tr>{cells}</tr>")
    top = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{top}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def pre(text: str, *, wrap: bool = False) -> str:
    return f'<pre{" class=wrap" if wrap else ""}>{html.escape(text)}</pre>'


def labelled(items: Mapping[str, str]) -> str:
    """``<p>label: <code>value</code></p>`` lines (commands)."""
    return "".join(f"<p>{html.escape(label)}: {code(value)}</p>" for label, value in items.items() if value)


def integer(value: Any) -> str:
    return f"{int(value):,}"


def fixed(digits: int) -> Callable[[Any], str]:
    return lambda value: f"{float(value):.{digits}f}"


def percent(value: Any) -> str:
    return f"{100 * float(value):.1f}%"
