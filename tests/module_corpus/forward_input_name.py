"""Pattern: ``forward(self, input)`` everywhere (ERFNet authors' style: ``output = ...``,
``F.relu(output + input)``)."""

import torch.nn as nn
import torch.nn.functional as F

PATTERN = "forward parameter named `input` (root and submodules), ERFNet style"
KINDS = ["conv", "conv (3x1 / 1x3 asymmetric)", "batch_norm", "activation (F.relu)", "add (residual)"]
INPUT = (1, 3, 32, 32)


class ConvBNReLU(nn.Module):
    def __init__(self, ninput, noutput, stride):
        super().__init__()
        self.conv = nn.Conv2d(ninput, noutput, 3, stride=stride, padding=1, bias=True)
        self.bn = nn.BatchNorm2d(noutput, eps=1e-3)

    def forward(self, input):
        output = self.conv(input)
        output = self.bn(output)
        return F.relu(output)


class AsymResidual(nn.Module):
    def __init__(self, chann):
        super().__init__()
        self.conv3x1 = nn.Conv2d(chann, chann, (3, 1), stride=1, padding=(1, 0), bias=True)
        self.conv1x3 = nn.Conv2d(chann, chann, (1, 3), stride=1, padding=(0, 1), bias=True)
        self.bn = nn.BatchNorm2d(chann, eps=1e-3)

    def forward(self, input):
        output = self.conv3x1(input)
        output = F.relu(output)
        output = self.conv1x3(output)
        output = self.bn(output)
        return F.relu(output + input)


class InputNamedNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.initial_block = ConvBNReLU(3, 16, 2)
        self.block = AsymResidual(16)
        self.output_conv = nn.Conv2d(16, num_classes, 1, stride=1, padding=0, bias=True)

    def forward(self, input):
        output = self.initial_block(input)  # 16x16x16
        output = self.block(output)
        return self.output_conv(output)  # 4x16x16


def build() -> nn.Module:
    return InputNamedNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = (
    3 * 16 * 9 + 16 + 2 * 16          # initial conv + bias, bn
    + (16 * 16 * 3 + 16) * 2 + 2 * 16  # 3x1 and 1x3 convs + biases, bn
    + 16 * 4 + 4                       # output conv
)
CONV_LINEAR_MACS = (
    16 * 16 * 16 * (3 * 9)
    + 16 * 16 * 16 * (16 * 3) * 2
    + 4 * 16 * 16 * 16
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
