"""Pattern: ``torch.zeros(n, C - c, h, w)`` sized by a traced shape inside forward
(ENet-style channel padding); see untraceable.py."""

import torch.nn as nn
import torch.nn.functional as F

from tests.module_corpus.untraceable import ZerosPad

PATTERN = "cat with torch.zeros(n, 16 - c, h, w) created in forward from x.size()"
KINDS = ["conv", "batch_norm", "activation", "channel_pad (cat with torch.zeros)", "add"]
INPUT = (1, 3, 16, 16)


class ZerosPadNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.pad = ZerosPad(16)
        self.ext = nn.Conv2d(8, 16, 3, 1, 1, bias=False)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))   # 8x8x8
        return F.relu(self.pad(x) + self.ext(x))  # 16x8x8


def build() -> nn.Module:
    return ZerosPadNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = 3 * 8 * 9 + 2 * 8 + 8 * 16 * 9
CONV_LINEAR_MACS = 8 * 8 * 8 * (3 * 9) + 16 * 8 * 8 * (8 * 9)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
