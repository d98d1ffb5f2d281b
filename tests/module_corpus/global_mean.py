"""Pattern: global average pooling written as a mean over the spatial dims
(``x.mean((2, 3))``, ``x.mean([2, 3], keepdim=True)``, ``torch.mean(x, dim=(2, 3))``),
as in timm / torchvision EfficientNet-style code."""

import torch
import torch.nn as nn

PATTERN = "global pooling as x.mean((2,3)), x.mean([2,3], keepdim=True), torch.mean(x, dim=(2,3))"
KINDS = ["conv", "batch_norm", "activation", "mean (global pooling)", "linear", "conv (1x1 on 1x1)",
         "flatten", "add"]
INPUT = (1, 3, 16, 16)


class MeanPoolNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.act = nn.ReLU(inplace=True)
        self.fc_a = nn.Linear(16, num_classes)
        self.conv_b = nn.Conv2d(16, num_classes, 1)
        self.fc_c = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.act(self.bn(self.conv(x)))          # 16x8x8
        a = x.mean((2, 3))                           # (1, 16)
        b = x.mean([2, 3], keepdim=True)             # (1, 16, 1, 1)
        c = torch.mean(x, dim=(2, 3))                # (1, 16)
        return self.fc_a(a) + self.conv_b(b).flatten(1) + self.fc_c(c)


def build() -> nn.Module:
    return MeanPoolNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = 3 * 16 * 9 + 2 * 16 + 3 * (16 * 10 + 10)
CONV_LINEAR_MACS = 16 * 8 * 8 * (3 * 9) + 3 * (16 * 10)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
