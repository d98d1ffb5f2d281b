"""ERFNet (Romera et al., IEEE T-ITS 2018; REFERENCE.md §5) and the gradual-grouping
variants of Vallurupalli et al. ("Efficient Semantic Segmentation Using Gradual
Grouping", CVPR-W 2018).

Structure (the paper's Table 1, layer numbers as the paper counts them):

- downsampler block (1): 3×3 stride-2 conv to ``w1 - 3`` channels ‖ 2×2 max-pool, concat,
  BN, ReLU; then downsampler (2) to ``w2``;
- ``d1`` non-bottleneck-1D blocks on ``w2`` (layers 3-7), spatial dropout 0.03;
- downsampler (8) to ``w3``; ``d2`` non-bottleneck-1D blocks (9-16) with dilations
  2, 4, 8, 16, 2, 4, 8, 16 (``dilations`` cycled), spatial dropout 0.3;
- decoder: transposed 3×3 stride-2 conv to ``w2`` + BN + ReLU (17), ``e1`` non-bt-1D
  blocks (18-19), the same up to ``w1`` (20) and ``e2`` blocks (21-22), then a transposed
  2×2 stride-2 conv to the classes (23).

Non-bottleneck-1D block: 3×1 conv, ReLU, 1×3 conv, BN, ReLU, 3×1 conv dilated (d, 1),
ReLU, 1×3 conv dilated (1, d), BN, dropout, + identity, ReLU; every conv has a bias and
BN's eps is 1e-3. These details follow the authors' public code
(github.com/Eromera/erfnet_pytorch, train/erfnet.py), read to check the paper's reading.

Published count: 2.07M parameters. The authors' ``Net(20)`` has 2,066,836 torch
parameters, BN's 6,592 included, and 2,580 of them in the encoder-only classifier the
full network never calls. archscope leaves that unused classifier out and with 19
classes counts 2,057,599 params + 6,592 BN params = 2,064,191 (-0.6% / -0.3% from 2.07M).

Gradual grouping (REFERENCE.md §5): ``conv`` replaces the factorised convolutions of the
non-bt-1D blocks in ``scope`` (the encoder's, the decoder's or all: partially or fully):

- ``grouped``: every 3×1 and 1×3 conv gets ``groups`` groups;
- ``shuffled``: grouped, plus a ShuffleNet channel shuffle between the block's two
  conv pairs so that information crosses the groups;
- ``separable``: each (3×1, 1×3) pair becomes depthwise 3×1, ReLU, depthwise 1×3, then
  a pointwise 1×1 conv that mixes the channels (depthwise-separable).

The grouping paper's text was not available to us: where it places the shuffle and the
pointwise conv are our readings. Its light-weight decoder is read as ERFNet's
encoder-only classifier (1×1 conv to the classes) followed by bilinear ×8 upsampling
(``decoder light``), the lightest decoder the ERFNet code offers. With the depthwise-
separable encoder (preset ``erfnet-ds-light``) this reading has 6.2× fewer MACs than
ERFNet (17.2G against 106.4G at 1024×2048); the paper reports a 5× improvement in
FLOPs, so its variant is somewhat heavier than this reading (e.g. a pointwise conv
after every depthwise conv, or a heavier decoder).
"""

from __future__ import annotations

import random
from enum import StrEnum
from itertools import count
from typing import TYPE_CHECKING, Annotated, Any


from archscope.costs import analyze
from archscope.dims import is_symbolic
from archscope.families.base import Family, Help, Preset, Resolution, register_family
from archscope.families.layers import bn_act, downsampler
from archscope.families.validate import check_hyper
from archscope.graph import GraphBuilder, Network
from archscope.ops import (
    Activation,
    Add,
    BatchNorm2d,
    ChannelShuffle,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Shape,
    Upsample,
)

if TYPE_CHECKING:
    import sympy

BN_EPS = 1e-3


class ConvKind(StrEnum):
    DENSE = "dense"
    GROUPED = "grouped"
    SHUFFLED = "shuffled"
    SEPARABLE = "separable"


class Scope(StrEnum):
    ENCODER = "encoder"
    DECODER = "decoder"
    ALL = "all"


class Decoder(StrEnum):
    ERFNET = "erfnet"
    LIGHT = "light"


def _pair(b: GraphBuilder, x: str, *, name: str, dilation: int, conv: ConvKind, groups: Any) -> str:
    """A 3×1 then 1×3 conv (dilated by ``dilation``), ReLU between, as ``conv`` says."""
    channels = b.shape(x).c
    if conv is ConvKind.SEPARABLE:
        x = b.add(Conv2d(out_channels=channels, kernel_size=(3, 1), dilation=(dilation, 1), groups=channels, bias=True),
                  x, name=f"{name}_dw3x1")
        x = b.add(Activation(), x, name=f"{name}_dw3x1_relu")
        x = b.add(Conv2d(out_channels=channels, kernel_size=(1, 3), dilation=(1, dilation), groups=channels, bias=True),
                  x, name=f"{name}_dw1x3")
        return b.add(Conv2d(out_channels=channels, kernel_size=1, bias=True), x, name=f"{name}_pw")
    g = 1 if conv is ConvKind.DENSE else groups
    x = b.add(Conv2d(out_channels=channels, kernel_size=(3, 1), dilation=(dilation, 1), groups=g, bias=True),
              x, name=f"{name}_3x1")
    x = b.add(Activation(), x, name=f"{name}_3x1_relu")
    return b.add(Conv2d(out_channels=channels, kernel_size=(1, 3), dilation=(1, dilation), groups=g, bias=True),
                 x, name=f"{name}_1x3")


def non_bottleneck_1d(
    b: GraphBuilder, x: str, *, dilation: int, dropout: float, conv: ConvKind = ConvKind.DENSE, groups: Any = 1
) -> str:
    """ERFNet's residual block of factorised (3×1, 1×3) convs; one layer of depth."""
    y = _pair(b, x, name="pair1", dilation=1, conv=conv, groups=groups)
    y = bn_act(b, y, "pair1", eps=BN_EPS)
    if conv is ConvKind.SHUFFLED:
        y = b.add(ChannelShuffle(groups=groups), y, name="shuffle")
    y = _pair(b, y, name="pair2", dilation=dilation, conv=conv, groups=groups)
    y = b.add(BatchNorm2d(eps=BN_EPS), y, name="pair2_bn")
    if dropout:
        y = b.add(Dropout(p=dropout, channelwise=True), y, name="dropout")
    y = b.add(Add(), y, x, name="add", layers=1)
    return b.add(Activation(), y, name="relu")


def _stage(b: GraphBuilder, x: str, *, depth: Any, dilations: tuple[int, ...], dropout: float,
           conv: ConvKind, groups: Any) -> str:
    """``depth`` non-bt-1D blocks, the i-th dilated by ``dilations[i % len]``. A symbolic
    depth folds them into one block: dilation does not change a block's costs."""
    index = count()

    def block(z: str) -> str:
        dilation = dilations[next(index) % len(dilations)]
        return non_bottleneck_1d(b, z, dilation=dilation, dropout=dropout, conv=conv, groups=groups)

    return b.repeat(depth, block, x, name="nb")


def _upsampler(b: GraphBuilder, x: str, *, out: Any, name: str) -> str:
    x = b.add(ConvTranspose2d(out_channels=out, kernel_size=3, stride=2, padding=1, output_padding=1, bias=True),
              x, name=name, layers=1)
    return bn_act(b, x, name, eps=BN_EPS)


def _check(widths: tuple, depths: tuple, decoder_depths: tuple, dilations: tuple, groups: Any, **scalars: Any) -> None:
    for name, value, size in (("widths", widths, 3), ("depths", depths, 2), ("decoder_depths", decoder_depths, 2)):
        check_hyper(name, value, minimum=0 if "depths" in name else 1)
        if len(value) != size:
            raise ValueError(f"{name} needs {size} entries, got {','.join(map(str, value))}")
    check_hyper("dilations", dilations)
    for name, value in scalars.items():
        check_hyper(name, value)
    check_hyper("groups", groups)
    w1, w2, w3 = widths
    if not is_symbolic(w1, w2, w3) and not 3 < w1 < w2 < w3:
        raise ValueError(f"widths must grow from more than 3 channels, got {w1},{w2},{w3}")


def erfnet(
    *,
    widths: Annotated[tuple[int, ...], Help("widths w1,w2,w3 after each downsampler (16,64,128)", symbol="w")] = (16, 64, 128),
    depths: Annotated[tuple[int, ...], Help("non-bt-1D blocks of the encoder at w2 and w3", minimum=0, symbol="d")] = (5, 8),
    decoder_depths: Annotated[tuple[int, ...], Help("non-bt-1D blocks of the decoder at w2, w1", minimum=0, symbol="d", first=3)] = (2, 2),
    dilations: Annotated[tuple[int, ...], Help("dilations of the w3 blocks, cycled")] = (2, 4, 8, 16),
    conv: Annotated[ConvKind, Help("convs of the converted non-bt-1D blocks (gradual grouping)")] = ConvKind.DENSE,
    groups: Annotated[int, Help("groups of grouped / shuffled convolutions", symbol="g")] = 4,
    scope: Annotated[Scope, Help("which non-bt-1D blocks --conv converts")] = Scope.ALL,
    decoder: Annotated[Decoder, Help("ERFNet's decoder or a light one (1x1 conv + bilinear x8)")] = Decoder.ERFNET,
    classes: Annotated[int, Help("number of classes", symbol="K")] = 19,
    resolution: Annotated[Resolution, Help("input height x width")] = Resolution(1024, 2048),
    batch: Annotated[int, Help("batch size", symbol="B")] = 1,
) -> Network:
    """Build ERFNet, optionally with grouped / shuffled / separable blocks."""
    conv, scope, decoder = ConvKind(conv), Scope(scope), Decoder(decoder)
    _check(widths, depths, decoder_depths, dilations, groups, classes=classes, batch=batch)
    check_hyper("resolution", tuple(resolution))
    config = dict(widths=widths, depths=depths, decoder_depths=decoder_depths, dilations=dilations, conv=conv,
                  groups=groups, scope=scope, decoder=decoder, classes=classes, resolution=resolution, batch=batch)
    encoder_conv = conv if scope in (Scope.ENCODER, Scope.ALL) else ConvKind.DENSE
    decoder_conv = conv if scope in (Scope.DECODER, Scope.ALL) else ConvKind.DENSE
    w1, w2, w3 = widths
    b = GraphBuilder("erfnet", config=config)
    height, width = resolution
    x = b.input(Shape(batch, 3, height, width))
    with b.block("down1"):
        x = downsampler(b, x, out=w1, name="down")
    with b.block("stage2"):
        x = downsampler(b, x, out=w2, name="down")
        x = _stage(b, x, depth=depths[0], dilations=(1,), dropout=0.03, conv=encoder_conv, groups=groups)
    with b.block("stage3"):
        x = downsampler(b, x, out=w3, name="down")
        x = _stage(b, x, depth=depths[1], dilations=dilations, dropout=0.3, conv=encoder_conv, groups=groups)
    if decoder is Decoder.LIGHT:
        with b.block("decoder"):
            x = b.add(Conv2d(out_channels=classes, kernel_size=1, bias=True), x, name="classifier", layers=1)
            x = b.add(Upsample(size=(height, width), mode="bilinear"), x, name="upsample")
        return b.build([x])
    for i, (out, depth) in enumerate(zip((w2, w1), decoder_depths), start=4):
        with b.block(f"up{i}"):
            x = _upsampler(b, x, out=out, name="deconv")
            x = _stage(b, x, depth=depth, dilations=(1,), dropout=0.0, conv=decoder_conv, groups=groups)
    with b.block("output"):
        x = b.add(ConvTranspose2d(out_channels=classes, kernel_size=2, stride=2, bias=True), x, name="deconv", layers=1)
    return b.build([x])


def block_formulas(**config: Any) -> dict[str, sympy.Expr]:
    """Params and MACs of one non-bottleneck-1D block of ``config``'s conv kind on C
    channels and an H×W map (g groups), summed from the graph's own op formulas: dense
    12·C² + 4·C weights and biases, grouped 12·C²/g + 4·C."""
    import sympy  # only closed forms need it

    c, g, h, w = sympy.symbols("C g H W", integer=True, positive=True)
    b = GraphBuilder("erfnet-block")
    x = b.input(Shape(1, c, h, w))
    with b.block("block"):
        non_bottleneck_1d(b, x, dilation=2, dropout=0.0, conv=ConvKind(config.get("conv", "dense")), groups=g)
    total = analyze(b.build()).total
    return {"block_params": total.cost.params, "block_macs": total.cost.macs}


def erfnet_sample(rng: random.Random) -> dict[str, Any]:
    """A random ERFNet variant: widths scaled by 1/2..2, depths around the paper's, any
    conv kind, scope and decoder."""
    scale = rng.choice((0.5, 0.75, 1.0, 1.5, 2.0))
    groups = rng.choice((2, 4, 8))
    widths = tuple(max(groups, int(w * scale) // groups * groups) for w in (16, 64, 128))
    return {
        "widths": widths,
        "depths": (rng.randint(1, 6), rng.randint(2, 10)),
        "decoder_depths": (rng.randint(0, 3), rng.randint(0, 3)),
        "conv": rng.choice(list(ConvKind)),
        "groups": groups,
        "scope": rng.choice(list(Scope)),
        "decoder": rng.choice(list(Decoder)),
    }


#: ERFNet as published, and the gradual-grouping paper's depthwise-separable encoder
#: with the light decoder (its 5x-fewer-FLOPs model; no parameter count is published)
ERFNET_PRESETS: dict[str, Preset] = {
    "erfnet": Preset(paper={"params": 2_070_000}),
    "erfnet-ds-light": Preset({"conv": ConvKind.SEPARABLE, "scope": Scope.ENCODER, "decoder": Decoder.LIGHT}),
}

FAMILY = register_family(
    Family(
        name="erfnet",
        summary="ERFNet with the gradual-grouping variants (grouped, shuffled, separable; light decoder)",
        build=erfnet,
        formulas=block_formulas,
        presets=ERFNET_PRESETS,
        sample=erfnet_sample,
    )
)
