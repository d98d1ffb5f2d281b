"""Pattern: ``for i in range(x.size(1) // 16)`` over a ModuleList; see untraceable.py."""

import torch.nn as nn
import torch.nn.functional as F

from tests.module_corpus.untraceable import ChannelLoop

PATTERN = "loop over range(x.size(1) // 16) indexing a ModuleList (2 of 3 blocks run)"
KINDS = ["conv", "conv (depthwise)", "activation", "add", "shape-dependent loop"]
INPUT = (1, 3, 16, 16)


class LoopNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, 2, 1, bias=False)
        self.loop = ChannelLoop(32, 3)
        self.head = nn.Conv2d(32, 4, 1)

    def forward(self, x):
        return self.head(self.loop(F.relu(self.stem(x))))  # 4x8x8


def build() -> nn.Module:
    return LoopNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = 3 * 32 * 9 + 3 * (32 * 9) + 32 * 4 + 4
CONV_LINEAR_MACS = 32 * 8 * 8 * (3 * 9) + 2 * (32 * 8 * 8 * 9) + 4 * 8 * 8 * 32
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS = {"loop.blocks.2": 32 * 9}
