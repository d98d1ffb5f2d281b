"""NDNet: "narrow while deep" real-time backbone (Yang, Yu et al.; REFERENCE.md §1).

Stem: 3×3 stride-2 conv + BN + ReLU, 3×3 stride-2 max-pool (1/4 scale). Then one block
per width n_i, each halving the resolution, of d_i residual "narrow bottleneck" layers:

    depthwise 3×3 on e·n -> 1×1 e·n->n -> BN -> ReLU
    -> depthwise 3×3 on n -> 1×1 n->e·n -> BN -> (+ identity) -> ReLU

Each depthwise-separable conv is followed by one BN, as in the authors' public code
(github.com/zgyang-hnu/NDNet, backbone/conv_module.py: SepConvBR = dw, pw, BN, ReLU).
Weights per layer: 9·e·n + e·n² + 9·n + e·n² (eq. 6); ``layers`` counts the stem conv
and each separable conv: 1 + 2·Σd_i (Table I).

How a block changes resolution and width is not spelled out in the paper. The readings
(``transition``), compared with Table II by ``benchmarks/ndnet_readings.py``
(results/ndnet_readings.csv):

- ``projection`` (default): a 1×1 stride-2 conv + BN from the previous width to e·n_i in
  front of the block, then d_i identical layers. With a 64-channel stem and BN's
  parameters not counted (the paper counts weights only, eq. 6) it lands within 0.7% of
  all four e=4 rows of Table II.
- ``strided``: the block's first layer has stride 2 and a 1×1 stride-2 projection
  shortcut (ResNet style).
- ``strided-separable``: the first layer has stride 2 and a separable-conv projection
  shortcut, as in the authors' public code (which also uses an 8-channel stem).

FCN32 head: 3×3 conv to ``head_channels`` (64, as in the authors' public code) + BN +
ReLU, 1×1 conv with bias to class scores, bilinear upsampling to the input size.
"""

from __future__ import annotations

import random
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Hashable, Mapping


from archscope.costs import analyze
from archscope.dims import is_symbolic
from archscope.families.base import BlockLinear, Family, Help, Preset, Resolution, register_family
from archscope.families.validate import check_hyper
from archscope.graph import GraphBuilder, Network
from archscope.ops import Activation, Add, BatchNorm2d, Conv2d, MaxPool2d, Shape, Upsample

if TYPE_CHECKING:
    import sympy


class Head(StrEnum):
    FCN32 = "fcn32"
    NONE = "none"


class Transition(StrEnum):
    PROJECTION = "projection"
    STRIDED = "strided"
    STRIDED_SEPARABLE = "strided-separable"


def _bn_relu(b: GraphBuilder, x: str, name: str, *, relu: bool = True) -> str:
    x = b.add(BatchNorm2d(), x, name=f"{name}_bn")
    return b.add(Activation(function="relu"), x, name=f"{name}_relu") if relu else x


def separable(
    b: GraphBuilder, x: str, *, out: Any, stride: int = 1, name: str, relu: bool = True, layers: int = 1
) -> str:
    """Depthwise 3×3 (with ``stride``) then pointwise 1×1 to ``out``, BN, optional ReLU.
    Counts as ``layers`` layers of depth (one, except in a shortcut)."""
    channels = b.shape(x).c
    x = b.add(Conv2d(out_channels=channels, groups=channels, stride=stride), x, name=f"{name}_dw")
    x = b.add(Conv2d(out_channels=out, kernel_size=1), x, name=f"{name}_pw", layers=layers)
    return _bn_relu(b, x, name, relu=relu)


def projection(b: GraphBuilder, x: str, *, out: Any, name: str) -> str:
    """1×1 stride-2 conv + BN: the width and resolution change between blocks."""
    x = b.add(Conv2d(out_channels=out, kernel_size=1, stride=2), x, name=name)
    return _bn_relu(b, x, name, relu=False)


def residual_layer(b: GraphBuilder, x: str, *, width: Any, expansion: Any, stride: int = 1, shortcut: str = "identity") -> str:
    """One narrow-bottleneck layer; ``shortcut`` is ``identity``, ``conv`` (1×1 stride-s
    projection) or ``separable`` (separable-conv projection)."""
    y = separable(b, x, out=width, stride=stride, name="sep1")
    y = separable(b, y, out=expansion * width, name="sep2", relu=False)
    if shortcut == "conv":
        x = b.add(Conv2d(out_channels=expansion * width, kernel_size=1, stride=stride), x, name="shortcut")
        x = _bn_relu(b, x, "shortcut", relu=False)
    elif shortcut == "separable":
        x = separable(b, x, out=expansion * width, stride=stride, name="shortcut", relu=False, layers=0)
    y = b.add(Add(), y, x, name="add")
    return b.add(Activation(function="relu"), y, name="relu")


def _block(b: GraphBuilder, x: str, *, width: Any, depth: Any, expansion: Any, transition: Transition) -> str:
    def layer(z: str) -> str:
        return residual_layer(b, z, width=width, expansion=expansion)

    if transition is Transition.PROJECTION:
        x = projection(b, x, out=expansion * width, name="proj")
        return b.repeat(depth, layer, x)
    shortcut = "conv" if transition is Transition.STRIDED else "separable"
    with b.scope("layer0"):
        x = residual_layer(b, x, width=width, expansion=expansion, stride=2, shortcut=shortcut)
    return b.repeat(depth - 1, layer, x, start=1)


def ndnet(
    *,
    widths: Annotated[
        tuple[int, ...], Help("channel combination [n1,n2,...]: middle width of each block", symbol="n")
    ] = (24, 48, 96),
    depths: Annotated[
        tuple[int, ...], Help("depth combination [d1,d2,...]: residual layers per block", symbol="d")
    ] = (3, 8, 3),
    expansion: Annotated[int, Help("expansion e: a block's outer width is e·n", symbol="e")] = 4,
    head: Annotated[Head, Help("segmentation head")] = Head.FCN32,
    classes: Annotated[int, Help("number of classes of the FCN32 head", symbol="K")] = 19,
    head_channels: Annotated[int, Help("width of the head's 3×3 conv", symbol="m")] = 64,
    stem_channels: Annotated[int, Help("output channels of the stem conv", symbol="c0")] = 64,
    transition: Annotated[Transition, Help("how a block changes width and resolution")] = Transition.PROJECTION,
    resolution: Annotated[Resolution, Help("input height x width")] = Resolution(1024, 2048),
    batch: Annotated[int, Help("batch size", symbol="B")] = 1,
) -> Network:
    """Build an NDNet with the given channel and depth combinations."""
    check_hyper("widths", widths)
    check_hyper("depths", depths)
    if len(widths) != len(depths):
        raise ValueError(
            f"widths ({','.join(map(str, widths))}) and depths ({','.join(map(str, depths))}) "
            "must have the same number of entries"
        )
    for name, value in (("expansion", expansion), ("classes", classes), ("head_channels", head_channels),
                        ("stem_channels", stem_channels), ("batch", batch)):
        check_hyper(name, value)
    check_hyper("resolution", tuple(resolution))
    stride = 2 ** (2 + len(widths))
    if not is_symbolic(*resolution) and min(resolution) < stride:
        raise ValueError(
            f"resolution {resolution[0]}x{resolution[1]} is smaller than the network's total stride {stride} "
            f"(stem 4 x 2 per block): its last blocks would work on 1x1 maps"
        )
    config = dict(widths=widths, depths=depths, expansion=expansion, head=head, classes=classes,
                  head_channels=head_channels, stem_channels=stem_channels, transition=transition,
                  resolution=resolution, batch=batch)
    b = GraphBuilder("ndnet", config=config)
    height, width = resolution
    x = b.input(Shape(batch, 3, height, width))
    with b.block("stem"):
        x = b.add(Conv2d(out_channels=stem_channels, stride=2), x, name="conv1", layers=1)
        x = _bn_relu(b, x, "conv1")
        x = b.add(MaxPool2d(kernel_size=3, stride=2, padding=1), x, name="maxpool")
    for i, (n, d) in enumerate(zip(widths, depths), start=1):
        with b.block(f"block{i}"):
            x = _block(b, x, width=n, depth=d, expansion=expansion, transition=Transition(transition))
    if Head(head) is Head.FCN32:
        with b.block("head"):
            x = b.add(Conv2d(out_channels=head_channels), x, name="conv3x3")
            x = _bn_relu(b, x, "conv3x3")
            x = b.add(Conv2d(out_channels=classes, kernel_size=1, bias=True), x, name="score")
            x = b.add(Upsample(size=(height, width), mode="bilinear"), x, name="upsample")
    return b.build([x])


def block_formulas(**config: Any) -> dict[str, sympy.Expr]:
    """Params and MACs of a block of d identical residual layers of middle width n and
    expansion e on an H×W map, summed from the graph's own op formulas (eq. 7, 8)."""
    import sympy  # only closed forms need it

    d, e, n, h, w = sympy.symbols("d e n H W", integer=True, positive=True)
    b = GraphBuilder("ndnet-block")
    x = b.input(Shape(1, e * n, h, w))
    with b.block("block"):
        b.repeat(d, lambda z: residual_layer(b, z, width=n, expansion=e), x)
    total = analyze(b.build()).total
    return {"block_params": total.cost.params, "block_macs": total.cost.macs, "block_layers": total.layers}


def ndnet_sample(rng: random.Random) -> dict[str, Any]:
    """A random NDNet: 3 blocks, widths doubling from n1 in 8..64 (or free), depths 1..12,
    e in 2..6, with or without the FCN32 head."""
    n1 = rng.choice(range(8, 65, 4))
    widths = (n1, 2 * n1, 4 * n1) if rng.random() < 0.7 else tuple(sorted(rng.choice(range(8, 129, 8)) for _ in range(3)))
    return {
        "widths": widths,
        "depths": tuple(rng.randint(1, 12) for _ in range(3)),
        "expansion": rng.choice((2, 3, 4, 4, 6)),
        "head": rng.choice((Head.FCN32, Head.FCN32, Head.NONE)),
    }


#: Table I / II configurations (e = 4); params as published in Table II, fps on a Titan X
NDNET_PRESETS: dict[str, Preset] = {
    "ndnet29": Preset({"widths": (24, 48, 96), "depths": (3, 8, 3)}, {"params": 515_000, "fps": 55.23}),
    "ndnet45": Preset({"widths": (16, 32, 64), "depths": (4, 12, 6)}, {"params": 386_000, "fps": 54.34}),
    "ndnet61": Preset({"widths": (12, 24, 48), "depths": (6, 16, 8)}, {"params": 292_000, "fps": 52.36}),
    "ndnet29-wide": Preset({"widths": (64, 128, 256), "depths": (3, 8, 3)}, {"params": 3_505_000, "fps": 28.23}),
}


def _block_key(hyper: Mapping[str, Any], index: int) -> Hashable:
    """A block's cost depends on its input width, its width and the expansion."""
    widths, expansion = hyper["widths"], hyper.get("expansion", 4)
    return (widths[index - 1] if index > 0 else None, widths[index], expansion)


#: every block is a transition plus d identical layers; the stem and head depend on the
#: last width (the head's input) and the expansion
NDNET_DECOMPOSITION = BlockLinear(
    block_names=lambda count: [f"block{i}" for i in range(1, count + 1)],
    block_key=_block_key,
    rest_key=lambda hyper: (hyper["widths"][-1], hyper.get("expansion", 4)),
    handles=frozenset({"widths", "depths", "expansion"}),
)

FAMILY = register_family(
    Family(
        name="ndnet",
        summary="NDNet narrow-while-deep backbone with an optional FCN32 head",
        build=ndnet,
        formulas=block_formulas,
        presets=NDNET_PRESETS,
        sample=ndnet_sample,
        decomposition=NDNET_DECOMPOSITION,
    )
)
