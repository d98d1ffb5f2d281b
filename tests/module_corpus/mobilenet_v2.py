"""A realistic MobileNetV2 (width 0.5, 224x224, 1000 classes) in the torchvision style:
``_make_divisible`` channel rounding, ConvBNReLU (``nn.Sequential`` subclass, ReLU6),
inverted residuals with a depthwise 3x3, residual add when stride 1 and in == out,
``F.adaptive_avg_pool2d`` + ``torch.flatten`` + Dropout + Linear classifier.

The expected numbers are NOT computed from the module: ``_BLOCKS`` below is the
hand-expanded per-block table (channels written out) and ``_expected()`` sums closed
formulas over it without torch."""

import torch
import torch.nn as nn
import torch.nn.functional as F

PATTERN = "MobileNetV2 x0.5 @224 (torchvision style): inverted residuals, depthwise, ReLU6, dropout+linear"
KINDS = ["conv", "conv (depthwise)", "batch_norm", "activation (relu6)", "add (residual)",
         "adaptive_avgpool (functional)", "flatten", "dropout", "linear"]
INPUT = (1, 3, 224, 224)


def _make_divisible(v, divisor, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:  # never round down by more than 10 %
        new_v += divisor
    return new_v


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1):
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_planes),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(ConvBNReLU(inp, hidden_dim, kernel_size=1))
        layers += [
            ConvBNReLU(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000, width_mult=0.5, round_nearest=8):
        super().__init__()
        settings = [  # t, c, n, s
            [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
            [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
        ]
        input_channel = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [ConvBNReLU(3, input_channel, stride=2)]
        for t, c, n, s in settings:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(InvertedResidual(input_channel, output_channel, s if i == 0 else 1, t))
                input_channel = output_channel
        features.append(ConvBNReLU(input_channel, self.last_channel, kernel_size=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.last_channel, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = torch.flatten(x, 1)
        return self.classifier(x)


def build() -> nn.Module:
    return MobileNetV2()


# ---- hand-computed expectations (no torch below this line) ----------------------------
#: (in, hidden, out, stride) of every inverted residual, width 0.5 written out by hand:
#: c = 16*.5=8, 24*.5=12->16, 32*.5=16, 64*.5=32, 96*.5=48, 160*.5=80, 320*.5=160
_BLOCKS = [
    (16, 16, 8, 1),                                    # t=1: no expansion conv
    (8, 48, 16, 2), (16, 96, 16, 1),
    (16, 96, 16, 2), (16, 96, 16, 1), (16, 96, 16, 1),
    (16, 96, 32, 2), (32, 192, 32, 1), (32, 192, 32, 1), (32, 192, 32, 1),
    (32, 192, 48, 1), (48, 288, 48, 1), (48, 288, 48, 1),
    (48, 288, 80, 2), (80, 480, 80, 1), (80, 480, 80, 1),
    (80, 480, 160, 1),
]
_STEM, _LAST, _CLASSES = 16, 1280, 1000


def _expected():
    """(params, macs, bn_params) summed from closed formulas over ``_BLOCKS``."""
    size = 224 // 2                                       # stem: 3x3 s2 p1 on an even size
    params = 3 * _STEM * 9 + 2 * _STEM
    macs = size * size * _STEM * 3 * 9
    for cin, hid, cout, stride in _BLOCKS:
        if hid != cin:                                    # 1x1 expansion at the input size
            params += cin * hid + 2 * hid
            macs += size * size * cin * hid
        size //= stride                                   # 3x3 p1: even sizes halve
        params += hid * 9 + 2 * hid                       # depthwise 3x3
        macs += size * size * hid * 9
        params += hid * cout + 2 * cout                   # 1x1 projection
        macs += size * size * hid * cout
    params += _BLOCKS[-1][2] * _LAST + 2 * _LAST          # last 1x1 conv
    macs += size * size * _BLOCKS[-1][2] * _LAST
    params += _LAST * _CLASSES + _CLASSES                 # classifier
    macs += _LAST * _CLASSES
    return params, macs, size


PARAMS, CONV_LINEAR_MACS, _FINAL_SIZE = _expected()
assert _FINAL_SIZE == 7
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
