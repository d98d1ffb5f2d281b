"""Pattern: modules torch.fx cannot symbolically trace but eager mode runs.

* control flow on a tensor value: ``if h.mean() > 0:`` (``h`` is a sigmoid output, so
  the condition is true for every input: the ``else`` conv never runs, deterministically);
* a tensor created in forward with a size read from a traced shape:
  ``torch.zeros(n, 32 - c, h, w)`` (ENet's channel padding of the main branch);
* a Python loop whose trip count is a traced shape: ``range(x.size(1) // 16)``
  (2 iterations over a ModuleList of 3: the last block never runs).

``build()`` chains all three; ``untraceable_branch``, ``untraceable_zeros`` and
``untraceable_loop`` isolate each one.
"""

import torch
import torch.nn as nn

PATTERN = "tensor-value if + torch.zeros sized by x.shape in forward + loop over range(x.size(1)//16)"
KINDS = ["conv", "conv (depthwise)", "activation (sigmoid)", "data-dependent control flow",
         "channel_pad (cat with torch.zeros)", "concat", "add", "shape-dependent loop"]
INPUT = (1, 3, 16, 16)


class TensorBranch(nn.Module):
    """conv -> sigmoid -> if mean > 0: 3x3 conv else 1x1 conv."""

    def __init__(self, cin=3, mid=8, cout=16):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, mid, 3, 2, 1)
        self.conv_pos = nn.Conv2d(mid, cout, 3, 1, 1, bias=False)
        self.conv_neg = nn.Conv2d(mid, cout, 1, bias=False)

    def forward(self, x):
        h = torch.sigmoid(self.conv1(x))  # in (0, 1): the mean is > 0 for every input
        if h.mean() > 0:
            h = self.conv_pos(h)
        else:
            h = self.conv_neg(h)
        return h


class ZerosPad(nn.Module):
    """Pad the channels to ``channels`` with a zeros tensor sized by the input's shape."""

    def __init__(self, channels=32):
        super().__init__()
        self.channels = channels

    def forward(self, x):
        n, c, h, w = x.size()
        padding = torch.zeros(n, self.channels - c, h, w, dtype=x.dtype, device=x.device)
        return torch.cat((x, padding), 1)


class ChannelLoop(nn.Module):
    """``x.size(1) // 16`` residual depthwise blocks out of ``len(blocks)``."""

    def __init__(self, channels=32, blocks=3):
        super().__init__()
        self.blocks = nn.ModuleList(
            [nn.Conv2d(channels, channels, 3, 1, 1, groups=channels, bias=False) for _ in range(blocks)])

    def forward(self, x):
        for i in range(x.size(1) // 16):
            x = x + self.blocks[i](x)
        return x


class Untraceable(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.branch = TensorBranch()        # -> 16x8x8
        self.pad = ZerosPad(32)             # -> 32x8x8
        self.loop = ChannelLoop(32, 3)      # 2 of 3 blocks run
        self.head = nn.Conv2d(32, num_classes, 1)

    def forward(self, x):
        return self.head(self.loop(self.pad(self.branch(x))))


def build() -> nn.Module:
    return Untraceable()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = (
    3 * 8 * 9 + 8          # branch.conv1
    + 8 * 16 * 9           # branch.conv_pos
    + 8 * 16               # branch.conv_neg (never runs)
    + 3 * (32 * 9)         # loop.blocks.0-2 (blocks.2 never runs)
    + 32 * 4 + 4           # head
)
CONV_LINEAR_MACS = (
    8 * 8 * 8 * (3 * 9)
    + 16 * 8 * 8 * (8 * 9)
    + 2 * (32 * 8 * 8 * 9)
    + 4 * 8 * 8 * 32
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS = {"branch.conv_neg": 8 * 16, "loop.blocks.2": 32 * 9}
