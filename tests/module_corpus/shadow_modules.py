"""Pattern: ``self.modules = [conv_a, conv_b]``, a plain Python list that shadows
``nn.Module.modules`` (seen in ENet/ICNet repositories), next to an ``nn.ModuleList``.

What torch does with it: ``nn.Module.__setattr__`` stores a list as an ordinary
attribute, so ``conv_a``/``conv_b`` are NOT registered: their 8*8*9 + 8*8+8 = 648
parameters are missing from ``model.parameters()``/``state_dict()``/``named_modules()``,
``model.to()``/``model.eval()`` do not reach them, yet forward runs them (their MACs are
real). ``model.modules`` is now a list, so any tool that calls ``model.modules()``
raises ``TypeError: 'list' object is not callable`` (ptflops' pytorch backend does).
"""

import torch.nn as nn
import torch.nn.functional as F

PATTERN = "plain-list attribute `self.modules` (unregistered convs, shadows nn.Module.modules) + nn.ModuleList"
KINDS = ["conv (unregistered, in a plain list)", "conv (ModuleList)", "batch_norm", "activation (F.relu)"]
INPUT = (1, 3, 16, 16)


class ShadowNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        conv_a = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        conv_b = nn.Conv2d(8, 8, 1)
        self.modules = [conv_a, conv_b]  # a plain list on purpose (not registered)
        self.blocks = nn.ModuleList([nn.Conv2d(8, 8, 3, padding=1, bias=False) for _ in range(2)])
        self.head = nn.Conv2d(8, num_classes, 1)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))  # 8x16x16
        for m in self.modules:
            x = m(x)
        for conv in self.blocks:
            x = F.relu(conv(x))
        return self.head(x)  # 4x16x16


def build() -> nn.Module:
    return ShadowNet()


# ---- hand-computed expectations -------------------------------------------------------
#: registered parameters only (what torch counts)
PARAMS = 3 * 8 * 9 + 2 * 8 + 2 * (8 * 8 * 9) + (8 * 4 + 4)
#: parameters of the two convs in the plain list (run in forward, invisible to torch)
UNREGISTERED_PARAMS = 8 * 8 * 9 + (8 * 8 + 8)
CONV_LINEAR_MACS = (
    8 * 16 * 16 * (3 * 9)      # stem
    + 8 * 16 * 16 * (8 * 9)    # conv_a (plain list)
    + 8 * 16 * 16 * 8          # conv_b (plain list)
    + 2 * (8 * 16 * 16 * (8 * 9))  # ModuleList
    + 4 * 16 * 16 * 8          # head
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
