"""ICNet (Zhao et al., "ICNet for Real-Time Semantic Segmentation on High-Resolution
Images", ECCV 2018; REFERENCE.md §4).

Trunk: PSPNet50 with its kernels kept at rate ``kernel_keep`` (ICNet's released model
keeps half: every width below is the full PSPNet50 width × 0.5). Stem 3×3 convs of 64
(stride 2), 64, 128 and a 3×3 stride-2 max-pool; ResNet bottlenecks (1×1 reduce with the
stage's stride, 3×3 dilated, 1×1 increase, a 1×1 projection shortcut on the first of a
stage, every conv without bias and followed by BN) of widths 64/256 ×3, 128/512 ×4
(stride 2), 256/1024 ×6 (dilation 2), 512/2048 ×3 (dilation 4); pyramid pooling that sums
(not concatenates) the features and their 1, 2, 3, 6-bin average pools upsampled back;
a 1×1 conv to 512. The widths, strides, dilations and the summing pyramid follow the
authors' Caffe model (github.com/hszhao/ICNet, evaluation/prototxt/
icnet_cityscapes_bnnomerge.prototxt), whose widths are exactly these × 0.5.

Branches (``branches``):

- ``sub4``: the 1/4-resolution image through the whole trunk (1/32), pyramid pooling;
- ``sub24``: plus the 1/2-resolution image through the stem, res2 and the first res3
  bottleneck (1/16) with the *same weights* as the 1/4 path; a CFF unit fuses them;
- ``sub124``: plus the full-resolution image through three 3×3 stride-2 convs (32, 32, 64
  channels) to 1/8 and a second CFF unit (ICNet).

Shared weights: the 1/4 path applies the 1/2 path's stem, res2 and res3_1 layers again
(``GraphBuilder.add(..., shares=...)``): their parameters count once, their MACs twice.
The authors' Caffe model instead downsamples the 1/2 path's res3_1 features by 2 and
runs the rest of the trunk on them (``sub4_input features``): the 1/4 path then starts at
res3_2 and computes nothing twice.

CFF unit (F1 small, F2 large): F1 upsampled ×2 (bilinear), a 3×3 conv of dilation 2 to
``cff_channels`` + BN; F2 through a 1×1 conv to ``cff_channels`` + BN; sum; ReLU. The
``aux_heads`` option adds the training-only 1×1 classifiers on each CFF's upsampled F1
(the λ1, λ2 losses). Output: upsample ×2, a 1×1 conv with bias to the classes (at 1/4
for ICNet), bilinear upsampling to the input size. Interpolations use align_corners
(Caffe's Interp). The input size must be a multiple of 32.

``layers`` counts conv applications. No parameter count is published in REFERENCE.md:
the trunk's parameters scale with the square of ``kernel_keep`` (both the input and the
output widths of a conv scale).
"""

from __future__ import annotations

import random
from enum import StrEnum
from typing import Annotated, Any

from fractions import Fraction

from archscope.dims import Dim, is_symbolic
from archscope.families.base import Family, Help, Preset, Resolution, register_family
from archscope.families.layers import conv_bn_act
from archscope.families.validate import check_hyper
from archscope.graph import GraphBuilder, Network
from archscope.ops import Activation, AdaptiveAvgPool2d, Add, BatchNorm2d, Conv2d, MaxPool2d, Shape, Upsample

#: PSPNet50 at kernel keep rate 1: (mid, out, blocks, stride, dilation) per res stage
STAGES = {"res2": (64, 256, 3, 1, 1), "res3": (128, 512, 4, 2, 1), "res4": (256, 1024, 6, 1, 2),
          "res5": (512, 2048, 3, 1, 4)}
STEM = (64, 64, 128)
PYRAMID_OUT = 512
PYRAMID_BINS = (1, 2, 3, 6)
SUB1 = (32, 32, 64)
TWO, HALF, QUARTER = Fraction(2), Fraction(1, 2), Fraction(1, 4)  # exact, also times sympy sizes


class Branches(StrEnum):
    SUB4 = "sub4"
    SUB24 = "sub24"
    SUB124 = "sub124"


class Sub4Input(StrEnum):
    IMAGE = "image"
    FEATURES = "features"


def kept(width: int, rate: Dim) -> Dim:
    """A full PSPNet50 width after keeping ``rate`` of the kernels."""
    return width * rate if is_symbolic(rate) else max(1, round(width * rate))


class Trunk:
    """Adds PSPNet50 layers; a second path built with ``share=True`` reuses the weights
    of the layers the first path added under the same local names."""

    def __init__(self, b: GraphBuilder, rate: Dim) -> None:
        self.b, self.rate = b, rate
        self.owners: dict[str, str] = {}

    def conv(self, x: str, *, out: int, name: str, share: bool, act: bool = True, **conv: Any) -> str:
        node = self.b.node_id(name)
        key = node.split(".", 1)[1]  # the name within the path's block
        owner = self.owners[key] if share else None
        if not share:
            self.owners[key] = node
        return conv_bn_act(self.b, x, out=kept(out, self.rate), name=name, act="relu" if act else None,
                           shares=owner, **conv)

    def stem(self, x: str, *, share: bool) -> str:
        for i, (out, stride) in enumerate(zip(STEM, (2, 1, 1)), start=1):
            x = self.conv(x, out=out, stride=stride, name=f"conv1_{i}", share=share)
        return self.b.add(MaxPool2d(kernel_size=3, stride=2, padding=1), x, name="pool1")

    def bottleneck(self, x: str, *, stage: str, index: int, share: bool) -> str:
        mid, out, _, stride, dilation = STAGES[stage]
        stride = stride if index == 1 else 1
        name = f"{stage[-1]}_{index}"
        with self.b.scope(f"conv{name}"):
            y = self.conv(x, out=mid, kernel=1, stride=stride, name="reduce", share=share)
            y = self.conv(y, out=mid, dilation=dilation, name="3x3", share=share)
            y = self.conv(y, out=out, kernel=1, name="increase", share=share, act=False)
            if index == 1:
                x = self.conv(x, out=out, kernel=1, stride=stride, name="proj", share=share, act=False)
            y = self.b.add(Add(), y, x, name="add")
            return self.b.add(Activation(), y, name="relu")

    def stage(self, x: str, stage: str, *, first: int = 1, last: int | None = None, share: bool = False) -> str:
        last = STAGES[stage][2] if last is None else last
        for index in range(first, last + 1):
            x = self.bottleneck(x, stage=stage, index=index, share=share)
        return x

    def pyramid(self, x: str) -> str:
        """Sum of the features and their pyramid of average pools, then a 1×1 conv."""
        shape = self.b.shape(x)
        pooled = []
        for bins in PYRAMID_BINS:
            p = self.b.add(AdaptiveAvgPool2d(output_size=bins), x, name=f"ppm{bins}")
            up = Upsample(size=(shape.h, shape.w), mode="bilinear", align_corners=True)
            pooled.append(self.b.add(up, p, name=f"ppm{bins}_up"))
        x = self.b.add(Add(), x, *pooled, name="ppm_sum")
        return self.conv(x, out=PYRAMID_OUT, kernel=1, name="conv5_4", share=False)


def _resize(b: GraphBuilder, x: str, *, factor: Fraction, name: str) -> str:
    """Bilinear resize by ``factor`` (Caffe's Interp zoom or shrink)."""
    shape = b.shape(x)
    size = tuple(n * factor if is_symbolic(n) else int(n * factor) for n in (shape.h, shape.w))
    return b.add(Upsample(size=size, mode="bilinear", align_corners=True), x, name=name)


def cff(b: GraphBuilder, small: str, large: str, *, channels: Any, classes: Any, aux: bool) -> tuple[str, str | None]:
    """Cascade feature fusion of a small (F1) and a large (F2, twice the size) map;
    returns the fused map and the auxiliary classifier (if ``aux``)."""
    up = _resize(b, small, factor=TWO, name="up")
    aux_scores = None
    if aux:
        aux_scores = b.add(Conv2d(out_channels=classes, kernel_size=1, bias=True), up, name="aux_cls", layers=1)
    y = b.add(Conv2d(out_channels=channels, dilation=2), up, name="dilated", layers=1)
    y = b.add(BatchNorm2d(), y, name="dilated_bn")
    z = b.add(Conv2d(out_channels=channels, kernel_size=1), large, name="proj", layers=1)
    z = b.add(BatchNorm2d(), z, name="proj_bn")
    return b.add(Activation(), b.add(Add(), y, z, name="sum"), name="relu"), aux_scores


def _sub124_sub1(b: GraphBuilder, image: str) -> str:
    with b.block("sub1"):
        x = image
        for i, out in enumerate(SUB1, start=1):
            x = conv_bn_act(b, x, out=out, stride=2, name=f"conv{i}")
        return x


def _low_paths(
    b: GraphBuilder, image: str, *, branches: Branches, sub4_input: Sub4Input, trunk: Trunk
) -> tuple[str, str | None]:
    """The 1/4 path's pyramid output (1/32) and the 1/2 path's res3_1 output (1/16)."""
    sub2 = None
    if branches is not Branches.SUB4:
        with b.block("sub2"):
            x = _resize(b, image, factor=HALF, name="image_half")
            x = trunk.stage(trunk.stem(x, share=False), "res2")
            sub2 = trunk.stage(x, "res3", last=1)
    with b.block("sub4"):
        if sub2 is not None and sub4_input is Sub4Input.FEATURES:
            x = _resize(b, sub2, factor=HALF, name="conv3_1_half")
        else:
            share = sub2 is not None
            x = _resize(b, image, factor=QUARTER, name="image_quarter")
            x = trunk.stage(trunk.stem(x, share=share), "res2", share=share)
            x = trunk.stage(x, "res3", last=1, share=share)
        x = trunk.stage(x, "res3", first=2)
        x = trunk.stage(trunk.stage(x, "res4"), "res5")
        return trunk.pyramid(x), sub2


def _check(kernel_keep: Any, resolution: Resolution, **ints: Any) -> None:
    for name, value in ints.items():
        check_hyper(name, value)
    check_hyper("resolution", tuple(resolution))
    if not is_symbolic(kernel_keep) and not 0 < kernel_keep <= 1:
        raise ValueError(f"kernel_keep must be in (0, 1], got {kernel_keep}")
    if not is_symbolic(*resolution) and any(int(size) % 32 for size in resolution):
        raise ValueError(f"icnet needs an input size that is a multiple of 32, got {resolution[0]}x{resolution[1]}")


def icnet(
    *,
    branches: Annotated[Branches, Help("branches: 1/4 only, 1/4 + 1/2, or all three (ICNet)")] = Branches.SUB124,
    kernel_keep: Annotated[float, Help("kernel keeping rate of the compressed PSPNet50 trunk", minimum=0.01, symbol="r")] = 0.5,
    sub4_input: Annotated[
        Sub4Input, Help("1/4 path input: the 1/4 image (shared weights) or the 1/2 path's conv3_1")
    ] = Sub4Input.IMAGE,
    cff_channels: Annotated[int, Help("output channels of the CFF units", symbol="m")] = 128,
    aux_heads: Annotated[bool, Help("add the CFF units' auxiliary classifiers (training only)")] = False,
    classes: Annotated[int, Help("number of classes", symbol="K")] = 19,
    resolution: Annotated[Resolution, Help("input height x width (multiples of 32)")] = Resolution(1024, 2048),
    batch: Annotated[int, Help("batch size", symbol="B")] = 1,
) -> Network:
    """Build ICNet (or its sub4 / sub24 ablations)."""
    branches, sub4_input = Branches(branches), Sub4Input(sub4_input)
    _check(kernel_keep, resolution, cff_channels=cff_channels, classes=classes, batch=batch)
    config = dict(branches=branches, kernel_keep=kernel_keep, sub4_input=sub4_input, cff_channels=cff_channels,
                  aux_heads=aux_heads, classes=classes, resolution=resolution, batch=batch)
    b = GraphBuilder("icnet", config=config)
    height, width = resolution
    image = b.input(Shape(batch, 3, height, width))
    sub1 = _sub124_sub1(b, image) if branches is Branches.SUB124 else None
    x, sub2 = _low_paths(b, image, branches=branches, sub4_input=sub4_input, trunk=Trunk(b, kernel_keep))
    aux = []
    for name, large in (("cff24", sub2), ("cff12", sub1)):
        if large is not None:
            with b.block(name):
                x, aux_scores = cff(b, x, large, channels=cff_channels, classes=classes, aux=aux_heads)
                aux += [aux_scores] if aux_scores else []
    with b.block("head"):
        if branches is not Branches.SUB4:
            x = _resize(b, x, factor=TWO, name="up")
        x = b.add(Conv2d(out_channels=classes, kernel_size=1, bias=True), x, name="cls", layers=1)
        x = b.add(Upsample(size=(height, width), mode="bilinear", align_corners=True), x, name="upsample")
    return b.build([x, *aux])


def icnet_sample(rng: random.Random) -> dict[str, Any]:
    """A random ICNet: any branches and sub4 input, kernel keep rate in 1/8..1."""
    return {
        "branches": rng.choice(list(Branches)),
        "kernel_keep": rng.choice((0.125, 0.25, 0.375, 0.5, 0.75, 1.0)),
        "sub4_input": rng.choice(list(Sub4Input)),
        "cff_channels": rng.choice((64, 128, 256)),
    }


#: REFERENCE.md §4: Cityscapes val mIoU and Titan X (Caffe) time at 1024×2048
ICNET_PRESETS: dict[str, Preset] = {
    "icnet": Preset({"branches": Branches.SUB124}, {"miou": 67.7, "ms": 33}),
    "icnet-sub24": Preset({"branches": Branches.SUB24}, {"miou": 66.5, "ms": 25}),
    "icnet-sub4": Preset({"branches": Branches.SUB4}, {"miou": 59.6, "ms": 18}),
}

FAMILY = register_family(
    Family(
        name="icnet",
        summary="ICNet: compressed PSPNet50 trunk, 1/4-1/2-1 branches with shared weights, CFF units",
        build=icnet,
        presets=ICNET_PRESETS,
        sample=icnet_sample,
    )
)
