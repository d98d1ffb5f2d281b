"""Pattern: squeeze-and-excitation. (1) torchvision MobileNetV3 style: AdaptiveAvgPool2d
-> 1x1 conv reduce -> ReLU -> 1x1 conv expand -> Hardsigmoid -> ``scale * input``
(broadcast multiply); (2) timm style: ``x.mean((2, 3), keepdim=True)`` -> convs ->
``x * torch.sigmoid(x_se)``."""

import torch
import torch.nn as nn

PATTERN = "SE blocks: avgpool/mean -> 1x1 conv -> relu -> 1x1 conv -> hardsigmoid/sigmoid -> broadcast mul"
KINDS = ["conv", "conv (depthwise)", "conv (1x1 on 1x1 map)", "batch_norm", "activation (hardswish, relu, hardsigmoid, sigmoid)",
         "adaptive_avgpool", "mean", "mul (broadcast NxCx1x1 * NxCxHxW)", "add (residual)", "linear"]
INPUT = (1, 3, 32, 32)


class SqueezeExcitation(nn.Module):
    def __init__(self, input_channels, squeeze_channels):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def _scale(self, input):
        scale = self.avgpool(input)
        scale = self.fc1(scale)
        scale = self.activation(scale)
        scale = self.fc2(scale)
        return self.scale_activation(scale)

    def forward(self, input):
        scale = self._scale(input)
        return scale * input


class SEMean(nn.Module):
    def __init__(self, chs, rd_channels):
        super().__init__()
        self.conv_reduce = nn.Conv2d(chs, rd_channels, 1, bias=True)
        self.act1 = nn.ReLU(inplace=True)
        self.conv_expand = nn.Conv2d(rd_channels, chs, 1, bias=True)

    def forward(self, x):
        x_se = x.mean((2, 3), keepdim=True)
        x_se = self.conv_reduce(x_se)
        x_se = self.act1(x_se)
        x_se = self.conv_expand(x_se)
        return x * torch.sigmoid(x_se)


def conv_bn(cin, cout, k=1, stride=1, groups=1, act=None):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)


class SENet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, 2, act=nn.Hardswish())                  # 16x16x16
        self.dw = conv_bn(16, 16, 3, 1, groups=16, act=nn.ReLU(inplace=True))
        self.se1 = SqueezeExcitation(16, 8)
        self.project1 = conv_bn(16, 24)                                        # 24x16x16
        self.expand = conv_bn(24, 72, act=nn.ReLU(inplace=True))               # 72x16x16
        self.se2 = SEMean(72, 24)
        self.project2 = conv_bn(72, 24)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(24, num_classes)

    def forward(self, x):
        x = self.project1(self.se1(self.dw(self.stem(x))))
        x = x + self.project2(self.se2(self.expand(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build() -> nn.Module:
    return SENet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = (
    3 * 16 * 9 + 2 * 16                       # stem
    + 16 * 9 + 2 * 16                         # dw
    + (16 * 8 + 8) + (8 * 16 + 16)            # se1 fc1, fc2
    + 16 * 24 + 2 * 24                        # project1
    + 24 * 72 + 2 * 72                        # expand
    + (72 * 24 + 24) + (24 * 72 + 72)         # se2 reduce, expand
    + 72 * 24 + 2 * 24                        # project2
    + 24 * 10 + 10                            # fc
)
CONV_LINEAR_MACS = (
    16 * 16 * 16 * (3 * 9)
    + 16 * 16 * 16 * 9
    + 16 * 8 + 8 * 16                         # se1 on a 1x1 map
    + 24 * 16 * 16 * 16
    + 72 * 16 * 16 * 24
    + 72 * 24 + 24 * 72                       # se2 on a 1x1 map
    + 24 * 16 * 16 * 72
    + 24 * 10
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
