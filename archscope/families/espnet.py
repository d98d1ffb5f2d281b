"""ESPNet (Mehta et al., "ESPNet: Efficient Spatial Pyramid of Dilated Convolutions for
Semantic Segmentation", ECCV 2018; REFERENCE.md §3), ESPNet-C with ``--no-decoder``.

ESP module on N channels with K branches: a 1×1 conv reduces to d = ⌊N/K⌋ channels; K
parallel 3×3 convs with dilations 2^(k-1), k = 1..K, the first widened to N - (K-1)·d so
the widths add up to N; hierarchical feature fusion (HFF) adds the branch outputs
cumulatively from the second smallest dilation up before concatenating them; a residual
adds the input; BN + PReLU. The strided ESP module reduces with a 3×3 stride-2 conv and
has no residual. Convs have no bias, BN's eps is 1e-3, every activation is a PReLU. These
details follow the authors' public code (github.com/sacmehta/ESPNet, train/Model.py),
read to check the paper.

ESPNet-C (encoder): 3×3 stride-2 CBR to ``w1`` (1/2); concat with the image average-pooled
to 1/2 (input reinforcement), BN + PReLU; strided ESP to ``w2`` (1/4), ``alpha2`` ESP
modules; concat of their output, the strided module's output and the image pooled to
1/4, BN + PReLU; strided ESP to ``w3`` (1/8), ``alpha3`` ESP modules; concat with the
strided module's output, BN + PReLU; 1×1 conv to the classes. Without the decoder the
scores are upsampled bilinearly to the input size (the segmentation output).

ESPNet's light decoder: BN and a 2×2 stride-2 transposed conv bring the 1/8 scores to
1/4; a 1×1 conv projects the 1/4 concat to the classes; concat, BN + PReLU, an ESP module
(2·classes -> classes, no residual) + BN + PReLU, a transposed conv to 1/2 + BN + PReLU; concat with
the 1/2 features, a 3×3 CBR to the classes, a transposed conv to the input size.

``layers`` counts each conv and ESP module once. Published count: 0.364M parameters for
ESPNet (α2 = 2, α3 = 8). archscope counts, with 19 classes, 359,702 params (PReLU
slopes included) + 3,760 BN parameters = 363,462 as torch counts them (-0.1%), and with
the 20 classes of the authors' code 361,337 + 3,772 = 365,109 (+0.3%): the published
figure is torch's count.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Annotated, Any


from archscope.costs import analyze
from archscope.dims import Dim, is_symbolic
from archscope.families.base import Family, Help, Preset, Resolution, register_family
from archscope.families.layers import bn_act, conv_bn_act
from archscope.families.validate import check_hyper
from archscope.graph import GraphBuilder, Network
from archscope.ops import Add, AvgPool2d, BatchNorm2d, Concat, Conv2d, ConvTranspose2d, Shape, Upsample

if TYPE_CHECKING:
    import sympy

BN_EPS = 1e-3


def _floor_div(a: Dim, b: int) -> Dim:
    if is_symbolic(a):
        import sympy

        return sympy.floor(a / b)
    return a // b


def esp_module(b: GraphBuilder, x: str, *, out: Any, branches: int, stride: int = 1, residual: bool = True) -> str:
    """An ESP module (strided when ``stride`` is 2); ends before its BN + PReLU."""
    reduced = _floor_div(out, branches)
    first = out - (branches - 1) * reduced
    kernel = 3 if stride == 2 else 1
    r = b.add(Conv2d(out_channels=reduced, kernel_size=kernel, stride=stride), x, name="reduce", layers=1)
    outputs = [b.add(Conv2d(out_channels=first), r, name="d1")]
    fused = None
    for k in range(2, branches + 1):
        d = b.add(Conv2d(out_channels=reduced, dilation=2 ** (k - 1)), r, name=f"d{2 ** (k - 1)}")
        fused = d if fused is None else b.add(Add(), fused, d, name=f"hff{k}")
        outputs.append(fused)
    y = b.add(Concat(), *outputs, name="cat") if len(outputs) > 1 else outputs[0]
    return b.add(Add(), x, y, name="residual") if residual else y


def _esp_stage(b: GraphBuilder, x: str, *, depth: Any, branches: int) -> str:
    def module(z: str) -> str:
        y = esp_module(b, z, out=b.shape(z).c, branches=branches)
        return bn_act(b, y, "out", act="prelu", eps=BN_EPS)

    return b.repeat(depth, module, x, name="esp")


def _pool_image(b: GraphBuilder, image: str, times: int, name: str) -> str:
    for i in range(times):
        image = b.add(AvgPool2d(kernel_size=3, stride=2, padding=1), image, name=f"{name}{i + 1}")
    return image


def _encoder(b: GraphBuilder, x: str, *, widths: tuple, alpha2: Any, alpha3: Any, branches: int) -> dict[str, str]:
    """ESPNet-C up to its concat at 1/8; returns the tensors the decoder reuses."""
    w1, w2, w3 = widths
    with b.block("level1"):
        y = conv_bn_act(b, x, out=w1, stride=2, name="cbr", act="prelu", eps=BN_EPS)
        image2 = _pool_image(b, x, 1, "image_pool")
        level1 = bn_act(b, b.add(Concat(), y, image2, name="cat"), "cat", act="prelu", eps=BN_EPS)
    with b.block("level2"):
        with b.scope("down"):
            down2 = bn_act(b, esp_module(b, level1, out=w2, branches=branches, stride=2, residual=False),
                           "out", act="prelu", eps=BN_EPS)
        y = _esp_stage(b, down2, depth=alpha2, branches=branches)
        image4 = _pool_image(b, x, 2, "image_pool")
        level2 = bn_act(b, b.add(Concat(), y, down2, image4, name="cat"), "cat", act="prelu", eps=BN_EPS)
    with b.block("level3"):
        with b.scope("down"):
            down3 = bn_act(b, esp_module(b, level2, out=w3, branches=branches, stride=2, residual=False),
                           "out", act="prelu", eps=BN_EPS)
        y = _esp_stage(b, down3, depth=alpha3, branches=branches)
        level3 = bn_act(b, b.add(Concat(), down3, y, name="cat"), "cat", act="prelu", eps=BN_EPS)
    return {"level1": level1, "level2": level2, "level3": level3}


def _deconv(b: GraphBuilder, x: str, name: str) -> str:
    channels = b.shape(x).c
    return b.add(ConvTranspose2d(out_channels=channels, kernel_size=2, stride=2), x, name=name, layers=1)


def _decoder(b: GraphBuilder, scores: str, levels: dict[str, str], *, classes: Any, branches: int) -> str:
    """ESPNet's light decoder, from the 1/8 class scores to the input size."""
    with b.block("decoder"):
        up3 = _deconv(b, b.add(BatchNorm2d(eps=BN_EPS), scores, name="scores_bn"), "up3")
        proj2 = b.add(Conv2d(out_channels=classes, kernel_size=1), levels["level2"], name="proj2", layers=1)
        y = bn_act(b, b.add(Concat(), proj2, up3, name="cat2"), "cat2", act="prelu", eps=BN_EPS)
        with b.scope("esp"):
            y = esp_module(b, y, out=classes, branches=branches, residual=False)
            y = bn_act(b, y, "out", act="prelu", eps=BN_EPS)
        y = bn_act(b, _deconv(b, y, "up2"), "up2", act="prelu", eps=BN_EPS)
        y = b.add(Concat(), y, levels["level1"], name="cat1")
        y = conv_bn_act(b, y, out=classes, name="cbr", act="prelu", eps=BN_EPS)
        return _deconv(b, y, "up1")


def espnet(
    *,
    alpha2: Annotated[int, Help("ESP modules at 1/4 (α2)", symbol="a2")] = 2,
    alpha3: Annotated[int, Help("ESP modules at 1/8 (α3)", symbol="a3")] = 8,
    branches: Annotated[int, Help("K: parallel dilated convs per ESP module (dilations 1..2^(K-1))")] = 5,
    widths: Annotated[tuple[int, ...], Help("widths at 1/2, 1/4 and 1/8 (16,64,128)", symbol="w")] = (16, 64, 128),
    decoder: Annotated[bool, Help("ESPNet's light decoder; --no-decoder gives ESPNet-C")] = True,
    classes: Annotated[int, Help("number of classes", symbol="K")] = 19,
    resolution: Annotated[Resolution, Help("input height x width")] = Resolution(1024, 2048),
    batch: Annotated[int, Help("batch size", symbol="B")] = 1,
) -> Network:
    """Build ESPNet (or ESPNet-C without the decoder)."""
    for name, value in (("alpha2", alpha2), ("alpha3", alpha3), ("branches", branches), ("widths", widths),
                        ("classes", classes), ("batch", batch)):
        check_hyper(name, value)
    check_hyper("resolution", tuple(resolution))
    if len(widths) != 3:
        raise ValueError(f"widths needs 3 entries, got {','.join(map(str, widths))}")
    esp_widths = [w for w in (*widths[1:], classes if decoder else branches) if not is_symbolic(w)]
    if esp_widths and min(esp_widths) < branches:
        raise ValueError(f"an ESP module of {min(esp_widths)} channels cannot have {branches} branches")
    config = dict(alpha2=alpha2, alpha3=alpha3, branches=branches, widths=widths, decoder=decoder,
                  classes=classes, resolution=resolution, batch=batch)
    b = GraphBuilder("espnet" if decoder else "espnet-c", config=config)
    height, width = resolution
    x = b.input(Shape(batch, 3, height, width))
    levels = _encoder(b, x, widths=widths, alpha2=alpha2, alpha3=alpha3, branches=branches)
    with b.block("classifier"):
        scores = b.add(Conv2d(out_channels=classes, kernel_size=1), levels["level3"], name="conv", layers=1)
        if not decoder:
            scores = b.add(Upsample(size=(height, width), mode="bilinear"), scores, name="upsample")
    if decoder:
        scores = _decoder(b, scores, levels, classes=classes, branches=branches)
    return b.build([scores])


def module_formulas(**config: Any) -> dict[str, sympy.Expr]:
    """Params and MACs of one ESP module on N channels and an H×W map with ``branches``
    = K branches (BN and PReLU excluded), from the graph's own op formulas: with
    d = ⌊N/K⌋, N·d + 9·d·N = 10·N·d weights."""
    import sympy  # only closed forms need it

    n, h, w = sympy.symbols("N H W", integer=True, positive=True)
    b = GraphBuilder("esp-module")
    x = b.input(Shape(1, n, h, w))
    with b.block("esp"):
        esp_module(b, x, out=n, branches=config.get("branches", 5))
    total = analyze(b.build()).total
    return {"block_params": sympy.expand(total.cost.params), "block_macs": sympy.expand(total.cost.macs)}


def espnet_sample(rng: random.Random) -> dict[str, Any]:
    """A random ESPNet: α2 in 1..5, α3 in 1..10, K in 2..6, widths scaled by 1/2..2."""
    scale = rng.choice((0.5, 0.75, 1.0, 1.5, 2.0))
    return {
        "alpha2": rng.randint(1, 5),
        "alpha3": rng.randint(1, 10),
        "branches": rng.randint(2, 6),
        "widths": tuple(max(8, int(w * scale)) for w in (16, 64, 128)),
        "decoder": rng.random() < 0.5,
    }


#: the paper's ESPNet and ESPNet-C configurations (α2 = 2, α3 in 3, 5, 8; Cityscapes val mIoU)
ESPNET_PRESETS: dict[str, Preset] = {
    "espnet": Preset({"alpha3": 8}, {"params": 364_000, "miou": 61.4}),
    "espnet-a3-5": Preset({"alpha3": 5}, {"miou": 57.9}),
    "espnet-a3-3": Preset({"alpha3": 3}, {"miou": 56.3}),
    "espnet-c": Preset({"alpha3": 8, "decoder": False}, {"miou": 53.3}),
    "espnet-c-a3-5": Preset({"alpha3": 5, "decoder": False}, {"miou": 51.2}),
    "espnet-c-a3-3": Preset({"alpha3": 3, "decoder": False}, {"miou": 49.0}),
}

FAMILY = register_family(
    Family(
        name="espnet",
        summary="ESPNet / ESPNet-C: ESP modules (K dilated branches, HFF), input reinforcement, light decoder",
        build=espnet,
        formulas=module_formulas,
        presets=ESPNET_PRESETS,
        sample=espnet_sample,
    )
)
