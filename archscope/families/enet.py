"""ENet (Paszke et al., "ENet: A Deep Neural Network Architecture for Real-Time Semantic
Segmentation", 2016), as published: the paper's Table 1 with the layer details of the
authors' code (github.com/e-lab/ENet-training, train/models/encoder.lua, decoder.lua),
read to settle what the paper leaves open.

- initial block: 3×3 stride-2 conv to 13 channels (bias) ‖ 2×2 max-pool, concat, BN,
  PReLU (16 channels at 1/2);
- encoder bottleneck (internal width = output width / 4): a 1×1 projection (2×2 stride 2
  when downsampling), BN, PReLU; a 3×3 conv (regular or dilated) or an asymmetric 5×1
  then 1×5 pair (the first without bias); BN, PReLU; a 1×1 expansion; BN; spatial
  dropout (0.01 in the first five bottlenecks, 0.1 after); + the shortcut; PReLU. The
  projections have no bias ("we chose not to use bias terms in the projections"), the
  3×3 convs have one. A downsampling bottleneck's shortcut is a 2×2 max-pool that keeps
  its indices, zero-padded to the output width;
- stage 1: bottleneck1.0 (downsampling to ``w1``) and ``stage1_depth`` regular ones;
  stage 2: bottleneck2.0 (downsampling to ``w2``) and the pattern regular, dilated 2,
  asymmetric 5, dilated 4, regular, dilated 8, asymmetric 5, dilated 16; stage 3 repeats
  the pattern (``dilated_stages`` patterns in all);
- decoder bottleneck (internal = output / 4, ReLU, no dropout): 1×1, BN, ReLU; a 3×3
  conv, or when upsampling a transposed 3×3 stride-2 conv; BN, ReLU; 1×1, BN; shortcut
  1×1 conv + BN (when the width changes), then max-unpooling with the indices of the
  matching downsampling bottleneck; + ; ReLU. Stage 4: bottleneck4.0 upsampling to
  ``w1`` and ``decoder_depths[0]`` regular ones; stage 5: bottleneck5.0 upsampling to
  ``w0`` and ``decoder_depths[1]``; then a transposed 2×2 stride-2 conv to the classes.

``layers`` counts Table 1's rows: the initial block, each bottleneck and the final
transposed conv (29). Published count: 0.36M parameters (as VNet cites it, REFERENCE.md
§2); archscope counts 355,959 params (+ 8,352 BN parameters) with 19 classes, -1.1%.
"""

from __future__ import annotations

import random
from typing import Annotated, Any


from archscope.dims import exact_div, is_symbolic
from archscope.families.base import Family, Help, Preset, Resolution, register_family
from archscope.families.layers import bn_act, downsampler
from archscope.families.validate import check_hyper
from archscope.graph import GraphBuilder, Network, Port
from archscope.ops import (
    Activation,
    Add,
    BatchNorm2d,
    ChannelPad,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    MaxPool2d,
    MaxUnpool2d,
    Shape,
)

BN_EPS = 1e-3
#: the stage 2/3 pattern after the first bottleneck: ("regular"|"dilated"|"asymmetric", dilation)
PATTERN = (("regular", 1), ("dilated", 2), ("asymmetric", 1), ("dilated", 4),
           ("regular", 1), ("dilated", 8), ("asymmetric", 1), ("dilated", 16))


def _middle(b: GraphBuilder, x: str, *, kind: str, dilation: int, asymmetric: int) -> str:
    internal = b.shape(x).c
    if kind == "asymmetric":
        x = b.add(Conv2d(out_channels=internal, kernel_size=(asymmetric, 1)), x, name="conv2_a")
        return b.add(Conv2d(out_channels=internal, kernel_size=(1, asymmetric), bias=True), x, name="conv2_b")
    return b.add(Conv2d(out_channels=internal, dilation=dilation, bias=True), x, name="conv2")


def encoder_bottleneck(
    b: GraphBuilder, x: str, *, out: Any, dropout: float, kind: str = "regular", dilation: int = 1,
    asymmetric: int = 5, downsample: bool = False, ratio: int = 4,
) -> tuple[str, str | None]:
    """One encoder bottleneck; returns its output and, when downsampling, the max-pool
    node whose indices the decoder unpools with."""
    internal = exact_div(out, ratio, what="bottleneck width / projection ratio")
    stride = 2 if downsample else 1
    y = b.add(Conv2d(out_channels=internal, kernel_size=stride, stride=stride), x, name="conv1")
    y = bn_act(b, y, "conv1", act="prelu", eps=BN_EPS)
    y = _middle(b, y, kind=kind, dilation=dilation, asymmetric=asymmetric)
    y = bn_act(b, y, "conv2", act="prelu", eps=BN_EPS)
    y = b.add(Conv2d(out_channels=out, kernel_size=1), y, name="conv3")
    y = b.add(BatchNorm2d(eps=BN_EPS), y, name="conv3_bn")
    y = b.add(Dropout(p=dropout, channelwise=True), y, name="dropout")
    pool = None
    if downsample:
        pool = b.add(MaxPool2d(kernel_size=2, return_indices=True), x, name="pool")
        x = pool
    if b.shape(x).c != out:
        x = b.add(ChannelPad(channels=out), x, name="pad")
    y = b.add(Add(), y, x, name="add", layers=1)
    return b.add(Activation(function="prelu"), y, name="prelu"), pool


def decoder_bottleneck(b: GraphBuilder, x: str, *, out: Any, pool: str | None = None, ratio: int = 4) -> str:
    """One decoder bottleneck; ``pool`` (a max-pool node with indices) makes it an
    upsampling one."""
    internal = exact_div(out, ratio, what="bottleneck width / projection ratio")
    y = b.add(Conv2d(out_channels=internal, kernel_size=1), x, name="conv1")
    y = bn_act(b, y, "conv1", eps=BN_EPS)
    if pool is not None:
        deconv = ConvTranspose2d(out_channels=internal, kernel_size=3, stride=2, padding=1, output_padding=1, bias=True)
        y = b.add(deconv, y, name="deconv2")
        y = bn_act(b, y, "deconv2", eps=BN_EPS)
    else:
        y = b.add(Conv2d(out_channels=internal, bias=True), y, name="conv2")
        y = bn_act(b, y, "conv2", eps=BN_EPS)
    y = b.add(Conv2d(out_channels=out, kernel_size=1), y, name="conv3")
    y = b.add(BatchNorm2d(eps=BN_EPS), y, name="conv3_bn")
    if pool is not None or b.shape(x).c != out:
        x = b.add(Conv2d(out_channels=out, kernel_size=1), x, name="shortcut")
        x = b.add(BatchNorm2d(eps=BN_EPS), x, name="shortcut_bn")
    if pool is not None:
        x = b.add(MaxUnpool2d(kernel_size=2), x, Port(pool, 1), name="unpool")
    y = b.add(Add(), y, x, name="add", layers=1)
    return b.add(Activation(), y, name="relu")


def _pattern(b: GraphBuilder, x: str, *, out: Any, asymmetric: int, dilations: tuple[int, ...]) -> str:
    """The stage 2/3 sequence of eight bottlenecks (``dilations`` replace 2, 4, 8, 16)."""
    rates = iter(dilations)
    for i, (kind, _) in enumerate(PATTERN, start=1):
        dilation = next(rates) if kind == "dilated" else 1
        with b.scope(f"b{i}"):
            x, _ = encoder_bottleneck(b, x, out=out, dropout=0.1, kind=kind, dilation=dilation, asymmetric=asymmetric)
    return x


def _check(widths: tuple, dilations: tuple, decoder_depths: tuple, **scalars: Any) -> None:
    check_hyper("widths", widths)
    check_hyper("dilations", dilations)
    check_hyper("decoder_depths", decoder_depths, minimum=0)
    for name, value in scalars.items():
        check_hyper(name, value, minimum=0 if name == "stage1_depth" else 1)
    if len(widths) != 3 or len(decoder_depths) != 2 or len(dilations) != 4:
        raise ValueError("enet needs 3 widths, 4 dilations and 2 decoder depths")
    w0, w1, w2 = widths
    if not is_symbolic(w0, w1, w2) and not (3 < w0 < w1 < w2 and w0 % 4 == w1 % 4 == w2 % 4 == 0):
        raise ValueError(f"widths must grow from more than 3 and be multiples of 4, got {w0},{w1},{w2}")


def enet(
    *,
    widths: Annotated[tuple[int, ...], Help("widths after the initial block, stages 1 and 2", symbol="w", first=0)] = (16, 64, 128),
    stage1_depth: Annotated[int, Help("regular bottlenecks after bottleneck1.0", minimum=0, symbol="d1")] = 4,
    dilated_stages: Annotated[int, Help("stages of the 8-bottleneck dilated/asymmetric pattern (stages 2 and 3)", symbol="s")] = 2,
    dilations: Annotated[tuple[int, ...], Help("the pattern's four dilations")] = (2, 4, 8, 16),
    asymmetric: Annotated[int, Help("kernel of the asymmetric k x 1, 1 x k convs")] = 5,
    decoder_depths: Annotated[tuple[int, ...], Help("regular bottlenecks after 4.0 and 5.0", minimum=0, symbol="d", first=4)] = (2, 1),
    classes: Annotated[int, Help("number of classes", symbol="K")] = 19,
    resolution: Annotated[Resolution, Help("input height x width")] = Resolution(1024, 2048),
    batch: Annotated[int, Help("batch size", symbol="B")] = 1,
) -> Network:
    """Build ENet."""
    _check(widths, dilations, decoder_depths, stage1_depth=stage1_depth, dilated_stages=dilated_stages,
           asymmetric=asymmetric, classes=classes, batch=batch)
    check_hyper("resolution", tuple(resolution))
    config = dict(widths=widths, stage1_depth=stage1_depth, dilated_stages=dilated_stages, dilations=dilations,
                  asymmetric=asymmetric, decoder_depths=decoder_depths, classes=classes, resolution=resolution,
                  batch=batch)
    w0, w1, w2 = widths
    b = GraphBuilder("enet", config=config)
    height, width = resolution
    x = b.input(Shape(batch, 3, height, width))
    with b.block("initial"):
        x = downsampler(b, x, out=w0, name="initial", act="prelu")
    with b.block("stage1"), b.scope("b0"):
        x, pool1 = encoder_bottleneck(b, x, out=w1, dropout=0.01, downsample=True)
    with b.block("stage1"):
        x = b.repeat(stage1_depth, lambda z: encoder_bottleneck(b, z, out=w1, dropout=0.01)[0], x, name="b", start=1)
    with b.block("stage2"):
        with b.scope("b0"):
            x, pool2 = encoder_bottleneck(b, x, out=w2, dropout=0.1, downsample=True)
        x = _pattern(b, x, out=w2, asymmetric=asymmetric, dilations=dilations)
    with b.block("stage3"):
        x = b.repeat(dilated_stages - 1, lambda z: _pattern(b, z, out=w2, asymmetric=asymmetric, dilations=dilations),
                     x, name="pattern")
    for i, (out, pool, depth) in enumerate(((w1, pool2, decoder_depths[0]), (w0, pool1, decoder_depths[1])), start=4):
        with b.block(f"stage{i}"):
            with b.scope("b0"):
                x = decoder_bottleneck(b, x, out=out, pool=pool)
            x = b.repeat(depth, lambda z, out=out: decoder_bottleneck(b, z, out=out), x, name="b", start=1)
    with b.block("fullconv"):
        x = b.add(ConvTranspose2d(out_channels=classes, kernel_size=2, stride=2, bias=True), x, name="deconv", layers=1)
    return b.build([x])


def enet_sample(rng: random.Random) -> dict[str, Any]:
    """A random ENet: widths scaled by 1/2..2, depths around the paper's."""
    scale = rng.choice((0.5, 0.75, 1.0, 1.5, 2.0))
    return {
        "widths": tuple(max(8, int(w * scale) // 8 * 8) for w in (16, 64, 128)),
        "stage1_depth": rng.randint(1, 6),
        "dilated_stages": rng.randint(1, 3),
        "decoder_depths": (rng.randint(0, 3), rng.randint(0, 2)),
    }


ENET_PRESETS: dict[str, Preset] = {"enet": Preset(paper={"params": 360_000})}

FAMILY = register_family(
    Family(
        name="enet",
        summary="ENet: initial block, bottlenecks (regular, dilated, asymmetric, down/up-sampling with unpooling)",
        build=enet,
        presets=ENET_PRESETS,
        sample=enet_sample,
    )
)
