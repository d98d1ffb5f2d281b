"""The network a run trains: a family configuration built as a segmentation model.

Hyper-parameters travel as plain data (JSON- and checkpoint-friendly: tuples as lists,
enums as values); ``Family.typed`` turns them back into the build function's types.
"""

from __future__ import annotations

from typing import Any

from archscope.dims import as_int
from archscope.families import Resolution, get_family
from archscope.graph import Network
from archscope.ops import BatchNorm2d

#: hyper-parameters a run sets itself: the data decides the classes, the run the batch
#: and the crop size
RUN_OWNED = ("classes", "batch", "resolution")
#: what a configuration chosen by a search (a row of a run's tables, a candidate) does not
#: carry into training: the run's own settings, and the head (a searched backbone is
#: trained with its family's default segmentation head)
NOT_TRAINED = (*RUN_OWNED, "head")


def segmentation_network(
    family: str, hyper: dict[str, Any], *, classes: int, batch: int, resolution: tuple[int, int]
) -> Network:
    """The family's network for ``classes`` classes on ``batch`` × ``resolution`` inputs;
    it must end in per-pixel class scores at the input size (a backbone needs its
    family's FCN32 head)."""
    owned = sorted(set(hyper) & set(RUN_OWNED))
    if owned:
        raise ValueError(f"training sets {', '.join(owned)} itself; do not pass them as hyper-parameters")
    network = get_family(family).network(
        **get_family(family).typed(hyper), classes=classes, batch=batch, resolution=Resolution(*resolution)
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
