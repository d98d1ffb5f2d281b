"""Pattern: the four common ways to flatten before a Linear (``x.view(x.size(0), -1)``,
``torch.flatten(x, 1)``, ``x.flatten(1)``, ``x.reshape(n, -1)``) and a Linear applied
to a 4-D channels-last tensor."""

import torch
import torch.nn as nn
import torch.nn.functional as F

PATTERN = "view/flatten/reshape before Linear; Linear on a 4-D (permuted) tensor; mean over dims"
KINDS = ["conv", "activation", "maxpool (F.max_pool2d)", "flatten (view, torch.flatten, .flatten, reshape)",
         "permute", "linear (2-D and 4-D input)", "add", "mean"]
INPUT = (1, 3, 16, 16)


class FlattenNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.fc_view = nn.Linear(8 * 4 * 4, num_classes)
        self.fc_flatten = nn.Linear(8 * 4 * 4, num_classes)
        self.fc_method = nn.Linear(8 * 4 * 4, num_classes)
        self.fc_reshape = nn.Linear(8 * 4 * 4, num_classes)
        self.fc_channels_last = nn.Linear(8, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)  # 8x4x4
        n = x.size(0)
        a = self.fc_view(x.view(x.size(0), -1))
        b = self.fc_flatten(torch.flatten(x, 1))
        c = self.fc_method(x.flatten(1))
        d = self.fc_reshape(x.reshape(n, -1))
        e = self.fc_channels_last(x.permute(0, 2, 3, 1))  # (1, 4, 4, 10)
        return a + b + c + d + e.mean((1, 2))


def build() -> nn.Module:
    return FlattenNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = 3 * 8 * 9 + 8 + 4 * (128 * 10 + 10) + (8 * 10 + 10)
CONV_LINEAR_MACS = 8 * 8 * 8 * (3 * 9) + 4 * (128 * 10) + (4 * 4) * 8 * 10
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
