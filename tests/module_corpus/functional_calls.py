"""Pattern: pooling, resizing and activations called functionally (ICNet pyramid pooling
and ESPNet styles): ``F.relu``, ``F.max_pool2d``, ``F.avg_pool2d``,
``F.adaptive_avg_pool2d``, ``F.interpolate`` (bilinear, ``align_corners`` True and
False, by ``size`` and by ``scale_factor``)."""

import torch.nn as nn
import torch.nn.functional as F

PATTERN = "functional F.relu / F.max_pool2d / F.avg_pool2d / F.adaptive_avg_pool2d / F.interpolate"
KINDS = ["conv", "batch_norm", "activation (F.relu)", "maxpool (F.max_pool2d)", "avgpool (F.avg_pool2d)",
         "adaptive_avgpool (F.adaptive_avg_pool2d, 1 and 2 bins)",
         "upsample (bilinear, align_corners True/False, size/scale_factor)", "add"]
INPUT = (1, 3, 32, 32)


class PyramidFunctional(nn.Module):
    def __init__(self, num_classes=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, num_classes, 1)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))                       # 16x16x16
        a = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)   # 16x8x8
        b = F.avg_pool2d(x, 2)                                     # 16x8x8
        y = F.relu(self.bn2(self.conv2(a))) + b                    # 16x8x8
        h, w = y.shape[2:]
        p1 = F.adaptive_avg_pool2d(y, 1)                           # 16x1x1
        p1 = F.interpolate(p1, size=(h, w), mode='bilinear', align_corners=True)
        p2 = F.adaptive_avg_pool2d(y, 2)                           # 16x2x2
        p2 = F.interpolate(p2, size=y.shape[2:], mode='bilinear', align_corners=True)
        y = y + p1 + p2
        y = self.conv3(y)                                          # 8x8x8
        y = F.interpolate(y, scale_factor=2, mode='bilinear', align_corners=False)  # 8x16x16
        return F.interpolate(y, size=(32, 32), mode='bilinear', align_corners=True)  # 8x32x32


def build() -> nn.Module:
    return PyramidFunctional()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = 3 * 16 * 9 + 2 * 16 + 16 * 16 * 9 + 2 * 16 + 16 * 8 + 8
CONV_LINEAR_MACS = 16 * 16 * 16 * (3 * 9) + 16 * 8 * 8 * (16 * 9) + 8 * 8 * 8 * 16
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
