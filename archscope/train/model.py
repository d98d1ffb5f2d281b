"""The network a run trains: a family configuration built as a segmentation model.

Hyper-parameters travel as plain data (JSON- and checkpoint-friendly: tuples as lists,
enums as values, resolutions as [H, W]); ``typed_hyper`` turns them back into the build
function's types using its annotations.
"""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any

from archscope import api
from archscope.dims import as_int
from archscope.families import Resolution, get_family
from archscope.graph import Network
from archscope.ops import BatchNorm2d

#: hyper-parameters a run sets itself: the data decides the classes, the run the batch
#: and the crop size
RUN_OWNED = ("classes", "batch", "resolution")


def _base_type(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def typed_hyper(family: str, plain: dict[str, Any]) -> dict[str, Any]:
    """``{"widths": [16, 32], "head": "fcn32"}`` -> ``{"widths": (16, 32), "head": Head.FCN32}``."""
    hints = typing.get_type_hints(get_family(family).build, include_extras=True)
    typed = {}
    for name, value in plain.items():
        base = _base_type(hints.get(name))
        if base is Resolution:
            value = Resolution(*value)
        elif typing.get_origin(base) is tuple:
            value = tuple(value)
        elif isinstance(base, type) and issubclass(base, Enum):
            value = base(value)
        typed[name] = value
    return typed


def plain_hyper(hyper: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``typed_hyper``."""
    plain = {}
    for name, value in hyper.items():
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        plain[name] = value
    return plain


def segmentation_network(
    family: str, hyper: dict[str, Any], *, classes: int, batch: int, resolution: tuple[int, int]
) -> Network:
    """The family's network for ``classes`` classes on ``batch`` × ``resolution`` inputs;
    it must end in per-pixel class scores at the input size (a backbone needs its
    family's FCN32 head)."""
    owned = sorted(set(hyper) & set(RUN_OWNED))
    if owned:
        raise ValueError(f"training sets {', '.join(owned)} itself; do not pass them as hyper-parameters")
    network = api.build(
        family, **typed_hyper(family, hyper), classes=classes, batch=batch, resolution=Resolution(*resolution)
    )
    expected = (batch, classes, *resolution)
    if tuple(network.output_shape) != expected:
        shape = "x".join(map(str, network.output_shape))
        raise ValueError(
            f"{family} with these options outputs {shape}, not per-pixel scores {'x'.join(map(str, expected))}: "
            "train a backbone with a segmentation head (e.g. --head fcn32)"
        )
    _check_batch_norm(network)
    return network


def _check_batch_norm(network: Network) -> None:
    """Training BN needs more than one value per channel (batch × H × W > 1)."""
    for node in network.nodes():
        if isinstance(network.op(node), BatchNorm2d):
            shape = network.shape(node)
            if as_int(shape.n * shape.h * shape.w) < 2:
                raise ValueError(
                    f"batch {as_int(shape.n)} leaves {node} (batch norm on a {as_int(shape.h)}x{as_int(shape.w)} map) "
                    "one value per channel: train with a larger --batch or --resolution"
                )
