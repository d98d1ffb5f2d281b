"""Pattern: ``F.pad`` size fix-up before a skip concat (UNet style
``F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])``), zero channel padding of a
strided shortcut (ResNet-CIFAR "option A": ``F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, p, p))``),
and ``nn.MaxUnpool2d(x, indices, output_size=...)`` with the indices of
``nn.MaxPool2d(return_indices=True)``. The odd 17x17 input makes the pad non-zero (the 2x2
ConvTranspose ``up`` of the 8x8 map gives 16x16) and requires ``output_size`` on the unpool
(indices of a 17-wide map are invalid in a 16x16 output)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

PATTERN = "F.pad spatial size fix + channel zero-pad shortcut + MaxPool2d(return_indices) / MaxUnpool2d"
KINDS = ["conv", "batch_norm", "activation", "maxpool (with indices)", "max_unpool (output_size=)", "conv_transpose (UNet up)",
         "pad (spatial)", "channel_pad", "slice (strided ::2)", "concat", "add"]
INPUT = (1, 3, 17, 17)


class PadUnpoolNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.down = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.fuse = nn.Conv2d(16, 16, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)

    def forward(self, x):
        x1 = self.inc(x)                                   # 8x17x17
        p, idx = self.pool(x1)                             # 8x8x8
        y = self.down(p)                                   # 8x8x8
        z = self.unpool(y, idx, output_size=x1.size())     # 8x17x17
        y = self.up(y)                                     # 8x16x16
        diffY = x1.size()[2] - y.size()[2]
        diffX = x1.size()[3] - y.size()[3]
        y = F.pad(y, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])  # 8x17x17
        y = torch.cat([x1, y + z], dim=1)                  # 16x17x17
        out = self.bn(self.fuse(y))                        # 16x9x9
        shortcut = F.pad(x1[:, :, ::2, ::2], (0, 0, 0, 0, 4, 4), "constant", 0)  # 16x9x9
        return F.relu(out + shortcut)


def build() -> nn.Module:
    return PadUnpoolNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = (3 * 8 * 9 + 2 * 8 + 8 * 8 * 9 + 2 * 8
          + 8 * 8 * 2 * 2 + 8              # up: ConvTranspose weight (8, 8, 2, 2) + bias
          + 16 * 16 * 9 + 2 * 16)
CONV_LINEAR_MACS = (8 * 17 * 17 * (3 * 9) + 8 * 8 * 8 * (8 * 9)
                    + 8 * 8 * 8 * 8 * 2 * 2       # up: Cin*Hin*Win * Cout*k*k
                    + 16 * 9 * 9 * (16 * 9))
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
