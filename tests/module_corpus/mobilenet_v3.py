"""A realistic MobileNetV3-small (224x224, 1000 classes) in the style of the popular
standalone re-implementations: ``h_sigmoid``/``h_swish`` written as
``self.relu(x + 3) / 6`` and ``x * self.sigmoid(x)``, an SE layer built from ``Linear``
layers on ``avg_pool(x).view(b, c)`` with ``x * y`` broadcast, ``nn.Identity`` in place of
a missing SE, a config list ``[k, t, c, use_se, use_hs, s]``, a 576-channel last conv and a
Linear-h_swish-Dropout-Linear classifier.

The expected numbers are NOT computed from the module: ``_BLOCKS`` is the hand-expanded
per-block table and ``_expected()`` sums closed formulas over it without torch."""

import torch.nn as nn

PATTERN = "MobileNetV3-small @224: SE (Linear-based), h-swish/h-sigmoid as scalar arithmetic, 3x3/5x5 depthwise"
KINDS = ["conv", "conv (depthwise 3x3/5x5)", "batch_norm", "activation (relu, relu6)",
         "scalar add / scalar div", "mul (h-swish, SE broadcast)", "adaptive_avgpool", "view",
         "linear", "add (residual)", "dropout", "identity"]
INPUT = (1, 3, 224, 224)


def _make_divisible(v, divisor, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class h_sigmoid(nn.Module):
    def __init__(self, inplace=True):
        super().__init__()
        self.relu = nn.ReLU6(inplace=inplace)

    def forward(self, x):
        return self.relu(x + 3) / 6


class h_swish(nn.Module):
    def __init__(self, inplace=True):
        super().__init__()
        self.sigmoid = h_sigmoid(inplace=inplace)

    def forward(self, x):
        return x * self.sigmoid(x)


class SELayer(nn.Module):
    def __init__(self, channel, reduction=4):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        squeeze = _make_divisible(channel // reduction, 8)
        self.fc = nn.Sequential(
            nn.Linear(channel, squeeze), nn.ReLU(inplace=True),
            nn.Linear(squeeze, channel), h_sigmoid())

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        y = self.fc(y).view(b, c, 1, 1)
        return x * y


def conv_3x3_bn(inp, oup, stride):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup), h_swish())


def conv_1x1_bn(inp, oup):
    return nn.Sequential(nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup), h_swish())


class InvertedResidual(nn.Module):
    def __init__(self, inp, hidden_dim, oup, kernel_size, stride, use_se, use_hs):
        super().__init__()
        self.identity = stride == 1 and inp == oup
        act = h_swish() if use_hs else nn.ReLU(inplace=True)
        pad = (kernel_size - 1) // 2
        if inp == hidden_dim:
            self.conv = nn.Sequential(
                nn.Conv2d(hidden_dim, hidden_dim, kernel_size, stride, pad, groups=hidden_dim, bias=False),
                nn.BatchNorm2d(hidden_dim), act,
                SELayer(hidden_dim) if use_se else nn.Identity(),
                nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup))
        else:
            self.conv = nn.Sequential(
                nn.Conv2d(inp, hidden_dim, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden_dim), act,
                nn.Conv2d(hidden_dim, hidden_dim, kernel_size, stride, pad, groups=hidden_dim, bias=False),
                nn.BatchNorm2d(hidden_dim),
                SELayer(hidden_dim) if use_se else nn.Identity(),
                h_swish() if use_hs else nn.ReLU(inplace=True),
                nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup))

    def forward(self, x):
        if self.identity:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV3Small(nn.Module):
    cfgs = [  # k, t, c, use_se, use_hs, s
        [3, 1, 16, 1, 0, 2], [3, 4.5, 24, 0, 0, 2], [3, 3.67, 24, 0, 0, 1],
        [5, 4, 40, 1, 1, 2], [5, 6, 40, 1, 1, 1], [5, 6, 40, 1, 1, 1],
        [5, 3, 48, 1, 1, 1], [5, 3, 48, 1, 1, 1], [5, 6, 96, 1, 1, 2],
        [5, 6, 96, 1, 1, 1], [5, 6, 96, 1, 1, 1],
    ]

    def __init__(self, num_classes=1000):
        super().__init__()
        input_channel = 16
        layers = [conv_3x3_bn(3, input_channel, 2)]
        for k, t, c, use_se, use_hs, s in self.cfgs:
            output_channel = _make_divisible(c, 8)
            exp_size = _make_divisible(input_channel * t, 8)
            layers.append(InvertedResidual(input_channel, exp_size, output_channel, k, s, use_se, use_hs))
            input_channel = output_channel
        self.features = nn.Sequential(*layers)
        self.conv = conv_1x1_bn(input_channel, exp_size)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(
            nn.Linear(exp_size, 1024), h_swish(), nn.Dropout(0.2), nn.Linear(1024, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = self.conv(x)
        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        return self.classifier(x)


def build() -> nn.Module:
    return MobileNetV3Small()


# ---- hand-computed expectations (no torch below this line) ----------------------------
#: (in, kernel, expanded, out, se_squeeze or 0, stride), written out by hand:
#: expanded = make_divisible(in * t, 8): 16, 72, 88 (24*3.67=88.08), 96, 240, 240, 120, 144,
#: 288, 576, 576; squeeze = make_divisible(expanded // 4, 8): 16//4=4->8, 96//4=24,
#: 240//4=60->64, 120//4=30->32, 144//4=36->40, 288//4=72, 576//4=144
_BLOCKS = [
    (16, 3, 16, 16, 8, 2),
    (16, 3, 72, 24, 0, 2),
    (24, 3, 88, 24, 0, 1),
    (24, 5, 96, 40, 24, 2),
    (40, 5, 240, 40, 64, 1),
    (40, 5, 240, 40, 64, 1),
    (40, 5, 120, 48, 32, 1),
    (48, 5, 144, 48, 40, 1),
    (48, 5, 288, 96, 72, 2),
    (96, 5, 576, 96, 144, 1),
    (96, 5, 576, 96, 144, 1),
]
_STEM, _LAST, _HIDDEN, _CLASSES = 16, 576, 1024, 1000


def _expected():
    """(params, macs, final size) summed from closed formulas over ``_BLOCKS``."""
    size = 224 // 2
    params = 3 * _STEM * 9 + 2 * _STEM
    macs = size * size * _STEM * 3 * 9
    for cin, k, exp, cout, sq, stride in _BLOCKS:
        if exp != cin:                                   # 1x1 expansion at the input size
            params += cin * exp + 2 * exp
            macs += size * size * cin * exp
        size = (size + 2 * (k // 2) - k) // stride + 1   # k x k depthwise, pad k//2
        params += exp * k * k + 2 * exp
        macs += size * size * exp * k * k
        if sq:                                           # SE: two Linear layers on a C-vector
            params += exp * sq + sq + sq * exp + exp
            macs += exp * sq + sq * exp
        params += exp * cout + 2 * cout                  # 1x1 projection
        macs += size * size * exp * cout
    params += _BLOCKS[-1][3] * _LAST + 2 * _LAST          # last 1x1 conv
    macs += size * size * _BLOCKS[-1][3] * _LAST
    params += _LAST * _HIDDEN + _HIDDEN + _HIDDEN * _CLASSES + _CLASSES
    macs += _LAST * _HIDDEN + _HIDDEN * _CLASSES
    return params, macs, size


PARAMS, CONV_LINEAR_MACS, _FINAL_SIZE = _expected()
assert _FINAL_SIZE == 7
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
