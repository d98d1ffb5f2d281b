"""Pattern: h-swish / h-sigmoid written with tensor-scalar arithmetic (MobileNetV3 repos
predating ``nn.Hardswish``: ``self.relu(x + 3) / 6``, ``x * F.relu6(x + 3.) / 6.``,
``F.relu6(x + 3, inplace=True) / 6``) next to ``nn.Hardswish``, ``nn.Hardsigmoid`` and
``F.hardswish``."""

import torch.nn as nn
import torch.nn.functional as F

PATTERN = "h-swish/h-sigmoid as tensor-scalar arithmetic (+3, relu6, /6, *) and as nn/F builtins"
KINDS = ["conv", "conv (depthwise)", "batch_norm", "activation (relu6, hardswish, hardsigmoid)",
         "scalar add / scalar div", "mul (elementwise, same shape)"]
INPUT = (1, 3, 32, 32)


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


def hard_sigmoid(x, inplace: bool = False):
    return F.relu6(x + 3, inplace=inplace) / 6


class HSwishNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.act1 = h_swish()
        self.conv2 = nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, 16, 1, bias=False)
        self.act3 = nn.Hardswish()
        self.conv4 = nn.Conv2d(16, 8, 1)
        self.gate_conv = nn.Conv2d(8, 8, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        x = self.act1(self.bn1(self.conv1(x)))              # module h-swish, 16x16x16
        x = self.bn2(self.conv2(x))
        x = x * F.relu6(x + 3.) / 6.                         # inline h-swish
        x = self.act3(self.conv3(x))                         # nn.Hardswish
        x = F.hardswish(self.conv4(x))                       # F.hardswish, 8x16x16
        x = x * hard_sigmoid(self.gate_conv(x), inplace=True)  # F.relu6(x + 3, inplace=True) / 6
        return x * self.gate(x)                              # nn.Hardsigmoid


def build() -> nn.Module:
    return HSwishNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = (3 * 16 * 9 + 2 * 16 + 16 * 9 + 2 * 16 + 16 * 16
          + 16 * 8 + 8 + 8 * 8 + 8)
CONV_LINEAR_MACS = (
    16 * 16 * 16 * (3 * 9)
    + 16 * 16 * 16 * 9
    + 16 * 16 * 16 * 16
    + 8 * 16 * 16 * 16
    + 8 * 16 * 16 * 8
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
