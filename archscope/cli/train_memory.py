"""``archscope cost ... --train-memory [--measure]``: predicted (and measured) peak memory
of a training step at the network's ``--batch`` and ``--resolution``, and whether it
fits each device (see ``archscope.memory.predict`` for what the peak is)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from archscope.cli.options import common_option
from archscope.cli.render import human
from archscope.costs import CostReport
from archscope.memory.devices import device_memory_bytes, fits, known_devices
from archscope.memory.predict import predict_train_memory
from archscope.memory.devices import local_memory_bytes

TRAIN_MEMORY_OPTIONS = [
    common_option(
        "train_memory",
        Annotated[
            bool,
            typer.Option(
                "--train-memory", help="peak memory of an SGD training step at --batch, and which devices it fits"
            ),
        ],
        False,
    ),
    common_option(
        "measure",
        Annotated[
            bool,
            typer.Option(
                "--measure", help="also run a training step here and measure its peak (implies --train-memory)"
            ),
        ],
        False,
    ),
]

#: share of this machine's RAM a measurement may need
MEASURE_LIMIT = 0.8


def train_memory_payload(report: CostReport, *, measure: bool) -> dict[str, Any]:
    """JSON keys ``train_memory_bytes``, ``train_memory`` (the parts),
    ``train_memory_fits`` and ``device_memory_bytes`` per device; with ``measure`` also
    ``measured_train_memory_bytes``, ``measured_saved_bytes``, ``measured_by`` and
    ``train_memory_error_pct`` (prediction vs measurement)."""
    prediction = predict_train_memory(report)
    total = prediction.total_bytes
    payload: dict[str, Any] = {
        "train_memory_bytes": total,
        "train_memory": prediction.as_dict(),
        "train_memory_fits": fits(total),
        "device_memory_bytes": {name: device_memory_bytes(name) for name in known_devices()},
    }
    if measure:
        payload.update(_measure(report, total))
    return payload


def _measure(report: CostReport, predicted: int) -> dict[str, Any]:
    if report.elem_bytes != 4:
        raise typer.BadParameter("measures fp32 training: drop --elem-bytes", param_hint="'--measure'")
    if predicted > MEASURE_LIMIT * local_memory_bytes():
        raise typer.BadParameter(
            f"a training step needs about {human(predicted, 'B')}, more than {MEASURE_LIMIT:.0%} of this machine's "
            f"{human(local_memory_bytes(), 'B')}: lower --batch or --resolution",
            param_hint="'--measure'",
        )
    import torch

    from archscope.memory.measure import measure_train_memory

    device = "cuda" if torch.cuda.is_available() else "cpu"
    with Console(stderr=True).status(f"measuring a training step on {device}..."):
        measured = measure_train_memory(report.network, device=device)
    return {
        "measured_train_memory_bytes": measured.peak_bytes,
        "measured_saved_bytes": measured.saved_bytes,
        "measured_by": measured.method,
        "train_memory_error_pct": round(100 * (predicted / measured.peak_bytes - 1), 3),
    }


def print_train_memory(console: Console, payload: dict[str, Any]) -> None:
    parts = payload["train_memory"]
    table = Table(title="training step peak memory (SGD momentum, fp32 weights)", title_justify="left")
    table.add_column("part")
    table.add_column("bytes", justify="right")
    for name, value in parts.items():
        if name != "total_bytes":
            table.add_row(name.removesuffix("_bytes").replace("_", " "), human(value, "B"))
    table.add_row("predicted peak", human(parts["total_bytes"], "B"), style="bold", end_section=True)
    if "measured_train_memory_bytes" in payload:
        table.add_row(f"measured peak ({payload['measured_by']})", human(payload["measured_train_memory_bytes"], "B"))
        table.add_row("prediction error", f"{payload['train_memory_error_pct']:+.2f}%")
    console.print(table)
    verdicts = [
        f"{name} ({human(payload['device_memory_bytes'][name], 'B')}): {'fits' if ok else 'does not fit'}"
        for name, ok in payload["train_memory_fits"].items()
    ]
    console.print("  " + "; ".join(verdicts), highlight=False)
