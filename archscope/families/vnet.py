"""VNet (Li et al., "VNet: a versatile network to train real-time semantic segmentation
models on a single GPU", Sci China Inf Sci 2022; REFERENCE.md §2).

The paper is a letter that describes the network only in outline (V modules and the CPP
module; 0.16M parameters). Every other choice below is ours, made to be plain and close
to the networks it compares with (ENet, ERFNet, ESPNet), and to land near 0.16M:

- V module on C channels (the reversible coupling of REFERENCE.md §2): split X = [X1, X2]
  (channel slices of C/2), Z = X1 + F1(X2), Y = [Z, X2 + Z]. F1 = 3×1 conv, BN, ReLU, 1×3
  conv, BN, ReLU on C/2 channels (convs without bias, dilated by d along their long
  axis), so a module has 2·3·(C/2)² = 1.5·C² weights, a third fewer than a 3×3 conv pair
  (choice: one asymmetric pair per module, as ERFNet's non-bt-1D has two).
- Downsampling: ERFNet's downsampler block (3×3 stride-2 conv to the added channels ‖
  2×2 max-pool, concat, BN, ReLU), to ``w1`` at 1/2, ``w2`` at 1/4, ``w3`` at 1/8
  (choice: widths 16, 32, 128 as ERFNet's 16, 64, 128 with a cheaper 1/4 stage).
- ``depths[0]`` V modules at 1/4 and ``depths[1]`` at 1/8, the latter dilated by
  ``dilations`` cycled (choice: 3 and 4; dilations 2, 4, 8, 16 as ERFNet's).
- CPP module (1/8 -> 1/16): ``cpp_convs`` parallel 1×1 stride-2 convs to
  ``cpp_channels`` each, concatenated with the sum of four pyramid-pooling branches
  (adaptive average pool to 1, 2, 3, 6 bins, 1×1 conv to ``cpp_channels``, bilinear
  upsampling to 1/16); every conv followed by BN and ReLU (choice: 2 convs of 32).
- Head: 1×1 conv with bias to the classes, bilinear upsampling ×16 to the input size
  (choice: no decoder, as the CPP already gathers the context).

``layers`` counts the downsamplers, V modules, CPP and classifier. With the defaults
archscope counts 159,759 params + 1,952 BN parameters (19 classes): -0.2% from the
published 0.16M (by construction: the choices above were made to land near it).

``reversible`` (default, as the paper trains) marks every V module as a reversible
coupling in the graph (``archscope.autograd.couplings``): the torch module then runs each
stage's stack of V modules as one autograd function that keeps only the stack's output
and recomputes the inputs in backward (``archscope.autograd.reversible``), and the
training-memory prediction counts that output and nothing inside the stack.
``--no-reversible`` trains the same graph with ordinary backprop. Params, MACs and
latency do not depend on it; ``CostReport.train_activation_bytes`` does.
"""

from __future__ import annotations

import random
from itertools import count
from typing import TYPE_CHECKING, Annotated, Any


from archscope.costs import analyze
from archscope.dims import exact_div, is_symbolic
from archscope.families.base import Family, Help, Preset, Resolution, register_family
from archscope.families.layers import conv_bn_act, downsampler
from archscope.families.validate import check_hyper
from archscope.graph import GraphBuilder, Network
from archscope.autograd.couplings import Coupling, mark_reversible
from archscope.ops import AdaptiveAvgPool2d, Add, Concat, Conv2d, Shape, Slice, Upsample

if TYPE_CHECKING:
    import sympy

PYRAMID_BINS = (1, 2, 3, 6)


def v_module(b: GraphBuilder, x: str, *, dilation: int = 1, couplings: list[Coupling] | None = None) -> str:
    """The reversible coupling with F1 = asymmetric 3×1, 1×3 convs; one layer of depth.
    Its roles are appended to ``couplings`` if given (F2 is the identity)."""
    channels = b.shape(x).c
    half = exact_div(channels, 2, what="V module channels")
    x1 = b.add(Slice(start=0, stop=half), x, name="x1")
    x2 = b.add(Slice(start=half, stop=channels), x, name="x2")
    f = conv_bn_act(b, x2, out=half, kernel=(3, 1), dilation=(dilation, 1), name="f1_3x1", layers=0)
    f = conv_bn_act(b, f, out=half, kernel=(1, 3), dilation=(1, dilation), name="f1_1x3", layers=0)
    z = b.add(Add(), x1, f, name="z")
    y2 = b.add(Add(), x2, z, name="y2")
    y = b.add(Concat(), z, y2, name="y", layers=1)
    if couplings is not None:
        couplings.append(Coupling(input=x, x1=x1, x2=x2, f1_output=f, y1=z, y2=y2, output=y))
    return y


def _v_stage(b: GraphBuilder, x: str, *, depth: Any, dilations: tuple[int, ...], couplings: list[Coupling]) -> str:
    index = count()

    def module(z: str) -> str:
        return v_module(b, z, dilation=dilations[next(index) % len(dilations)], couplings=couplings)

    return b.repeat(depth, module, x, name="v")


def cpp_module(b: GraphBuilder, x: str, *, convs: int, channels: Any) -> str:
    """Contextual pyramid pooling: halves the resolution (1/8 -> 1/16)."""
    parallel = [conv_bn_act(b, x, out=channels, kernel=1, stride=2, name=f"conv{i}", layers=0)
                for i in range(1, convs + 1)]
    shape = b.shape(parallel[0])
    pooled = []
    for bins in PYRAMID_BINS:
        p = b.add(AdaptiveAvgPool2d(output_size=bins), x, name=f"pool{bins}")
        p = conv_bn_act(b, p, out=channels, kernel=1, name=f"pool{bins}_conv", layers=0)
        pooled.append(b.add(Upsample(size=(shape.h, shape.w), mode="bilinear"), p, name=f"pool{bins}_up"))
    pyramid = b.add(Add(), *pooled, name="pyramid_sum")
    return b.add(Concat(), *parallel, pyramid, name="cat", layers=1)


def _check(widths: tuple, depths: tuple, dilations: tuple, resolution: Resolution, **ints: Any) -> None:
    check_hyper("widths", widths)
    check_hyper("depths", depths, minimum=0)
    check_hyper("dilations", dilations)
    for name, value in ints.items():
        check_hyper(name, value)
    check_hyper("resolution", tuple(resolution))
    if len(widths) != 3 or len(depths) != 2:
        raise ValueError("vnet needs 3 widths and 2 depths")
    w1, w2, w3 = widths
    if not is_symbolic(w1, w2, w3) and not (3 < w1 < w2 < w3 and w2 % 2 == w3 % 2 == 0):
        raise ValueError(f"widths must grow from more than 3, the last two even, got {w1},{w2},{w3}")


def vnet(
    *,
    widths: Annotated[tuple[int, ...], Help("widths at 1/2, 1/4 and 1/8 (the last two even)", symbol="w")] = (16, 32, 128),
    depths: Annotated[tuple[int, ...], Help("V modules at 1/4 and 1/8", minimum=0, symbol="n", first=2)] = (3, 4),
    dilations: Annotated[tuple[int, ...], Help("dilations of the 1/8 V modules, cycled")] = (2, 4, 8, 16),
    cpp_convs: Annotated[int, Help("parallel stride-2 1x1 convs of the CPP module")] = 2,
    cpp_channels: Annotated[int, Help("output channels of each CPP branch", symbol="m")] = 32,
    classes: Annotated[int, Help("number of classes", symbol="K")] = 19,
    resolution: Annotated[Resolution, Help("input height x width")] = Resolution(1024, 2048),
    batch: Annotated[int, Help("batch size", symbol="B")] = 1,
    reversible: Annotated[
        bool, Help("train the V modules reversibly: a stack keeps only its output for backward")
    ] = True,
) -> Network:
    """Build VNet (our reading of the paper's outline)."""
    _check(widths, depths, dilations, resolution, cpp_convs=cpp_convs, cpp_channels=cpp_channels,
           classes=classes, batch=batch)
    config = dict(widths=widths, depths=depths, dilations=dilations, cpp_convs=cpp_convs,
                  cpp_channels=cpp_channels, classes=classes, resolution=resolution, batch=batch,
                  reversible=reversible)
    couplings: list[Coupling] = []
    w1, w2, w3 = widths
    b = GraphBuilder("vnet", config=config)
    height, width = resolution
    x = b.input(Shape(batch, 3, height, width))
    with b.block("down1"):
        x = downsampler(b, x, out=w1, name="down")
    with b.block("stage2"):
        x = downsampler(b, x, out=w2, name="down")
        x = _v_stage(b, x, depth=depths[0], dilations=(1,), couplings=couplings)
    with b.block("stage3"):
        x = downsampler(b, x, out=w3, name="down")
        x = _v_stage(b, x, depth=depths[1], dilations=dilations, couplings=couplings)
    with b.block("cpp"):
        x = cpp_module(b, x, convs=cpp_convs, channels=cpp_channels)
    with b.block("head"):
        x = b.add(Conv2d(out_channels=classes, kernel_size=1, bias=True), x, name="classifier", layers=1)
        x = b.add(Upsample(size=(height, width), mode="bilinear"), x, name="upsample")
    network = b.build([x])
    return mark_reversible(network, couplings) if reversible else network


def module_formulas(**config: Any) -> dict[str, sympy.Expr]:
    """Params and MACs of one V module on C channels and an H×W map (BN excluded):
    3·C²/2 weights, a third fewer than a 3×3 conv on C/2 channels (9·C²/4)."""
    import sympy  # only closed forms need it

    c, h, w = sympy.symbols("C H W", integer=True, positive=True)
    b = GraphBuilder("v-module")
    x = b.input(Shape(1, c, h, w))
    with b.block("v"):
        v_module(b, x)
    total = analyze(b.build()).total
    return {"block_params": total.cost.params, "block_macs": total.cost.macs}


def vnet_sample(rng: random.Random) -> dict[str, Any]:
    """A random VNet: widths scaled by 1/2..2, 1-6 and 1-12 V modules, 1-3 CPP convs."""
    scale = rng.choice((0.5, 0.75, 1.0, 1.5, 2.0))
    return {
        "widths": tuple(max(8, int(w * scale) // 8 * 8) for w in (16, 32, 128)),
        "depths": (rng.randint(1, 6), rng.randint(1, 12)),
        "cpp_convs": rng.randint(1, 3),
        "cpp_channels": rng.choice((16, 32, 64)),
    }


VNET_PRESETS: dict[str, Preset] = {"vnet": Preset(paper={"params": 160_000, "fps_titanxp": 55.5})}

FAMILY = register_family(
    Family(
        name="vnet",
        summary="VNet: reversible V modules with asymmetric convs, CPP module (architecture read from an outline)",
        build=vnet,
        formulas=module_formulas,
        presets=VNET_PRESETS,
        sample=vnet_sample,
    )
)
