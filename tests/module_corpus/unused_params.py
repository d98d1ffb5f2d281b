"""Pattern: a backbone with modules defined but never called (torchvision ResNet reused as
a segmentation backbone: ``avgpool``/``fc`` are kept, plus a leftover output conv). The
shared ``self.relu`` of each BasicBlock is called twice (torchvision style)."""

import torch.nn as nn

PATTERN = "ResNet-style backbone; classifier `fc` (Linear) and `out_conv` defined, never called"
KINDS = ["conv", "batch_norm", "activation (one nn.ReLU called twice)", "maxpool", "add (residual)",
         "conv (1x1 stride-2 downsample)", "unused linear", "unused conv"]
INPUT = (1, 3, 32, 32)


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class SegBackbone(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = BasicBlock(16, 16)
        down = nn.Sequential(nn.Conv2d(16, 32, 1, 2, bias=False), nn.BatchNorm2d(32))
        self.layer2 = BasicBlock(16, 32, 2, down)
        self.head = nn.Conv2d(32, num_classes, 1)
        # kept from the classification model / an older head, never called:
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 1000)
        self.out_conv = nn.Conv2d(32, num_classes, 3, padding=1)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # 16x8x8
        x = self.layer1(x)                                     # 16x8x8
        x = self.layer2(x)                                     # 32x4x4
        return self.head(x)                                    # 4x4x4


def build() -> nn.Module:
    return SegBackbone()


# ---- hand-computed expectations -------------------------------------------------------
UNUSED_PARAMS = {"fc": 32 * 1000 + 1000, "out_conv": 32 * 4 * 9 + 4}
PARAMS = (
    3 * 16 * 9 + 2 * 16                                    # conv1, bn1
    + 2 * (16 * 16 * 9) + 2 * (2 * 16)                     # layer1
    + 16 * 32 * 9 + 32 * 32 * 9 + 2 * (2 * 32)             # layer2 convs, bns
    + 16 * 32 + 2 * 32                                     # layer2 downsample
    + 32 * 4 + 4                                           # head
    + sum(UNUSED_PARAMS.values())
)
CONV_LINEAR_MACS = (
    16 * 16 * 16 * (3 * 9)
    + 2 * (16 * 8 * 8 * (16 * 9))
    + 32 * 4 * 4 * (16 * 9) + 32 * 4 * 4 * (32 * 9) + 32 * 4 * 4 * 16
    + 4 * 4 * 4 * 32
)
LIVE_MACS = CONV_LINEAR_MACS
