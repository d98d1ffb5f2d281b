"""Pattern: work whose result never reaches the output (ICNet style).

ICNet computes an auxiliary head on the low-resolution branch and returns it only while
training; in eval mode its result is dropped. The auxiliary head here is 60 % of the
executed MACs. A classifier conv is also computed and then overwritten by another one
(a leftover line). Eager tools (ptflops, torch FlopCounterMode) count both dead parts."""

import torch.nn as nn
import torch.nn.functional as F

PATTERN = "ICNet-like: aux head computed and dropped in eval + a conv whose output is overwritten"
KINDS = ["conv", "batch_norm", "activation", "upsample (bilinear, scale 0.5 / size / scale 4)", "add", "dead code"]
INPUT = (1, 3, 64, 64)


class CBR(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1, padding=1):
        super().__init__(nn.Conv2d(cin, cout, k, stride, padding, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DeadBranchICNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.sub1 = nn.Sequential(CBR(3, 8, stride=2), CBR(8, 8, stride=2))      # 1/4 res
        self.sub2 = nn.Sequential(CBR(3, 16, stride=2), CBR(16, 32, stride=2))  # on the 1/2 input
        self.aux_head = nn.Sequential(CBR(32, 64), nn.Conv2d(64, num_classes, 1))
        self.proj = nn.Conv2d(32, 8, 1, bias=False)
        self.tmp_cls = nn.Conv2d(8, num_classes, 3, padding=1)
        self.cls = nn.Conv2d(8, num_classes, 1)

    def forward(self, x):
        x_sub2 = F.interpolate(x, scale_factor=0.5, mode='bilinear', align_corners=True)  # 3x32x32
        f1 = self.sub1(x)                 # 8x16x16
        f2 = self.sub2(x_sub2)            # 32x8x8
        aux = self.aux_head(f2)           # 4x8x8, returned only when training
        f2 = F.interpolate(f2, size=f1.shape[2:], mode='bilinear', align_corners=False)  # 32x16x16
        fused = F.relu(f1 + self.proj(f2))  # 8x16x16
        out = self.tmp_cls(fused)         # overwritten on the next line: dead
        out = self.cls(fused)             # 4x16x16
        out = F.interpolate(out, scale_factor=4, mode='bilinear', align_corners=False)  # 4x64x64
        if self.training:
            return out, aux
        return out


def build() -> nn.Module:
    return DeadBranchICNet()


# ---- hand-computed expectations (eval mode) ------------------------------------------
PARAMS = (
    3 * 8 * 9 + 16 + 8 * 8 * 9 + 16              # sub1
    + 3 * 16 * 9 + 32 + 16 * 32 * 9 + 64         # sub2
    + 32 * 64 * 9 + 128 + 64 * 4 + 4             # aux_head
    + 32 * 8                                     # proj
    + 8 * 4 * 9 + 4                              # tmp_cls
    + 8 * 4 + 4                                  # cls
)
LIVE_MACS = (
    8 * 32 * 32 * (3 * 9) + 8 * 16 * 16 * (8 * 9)      # sub1
    + 16 * 16 * 16 * (3 * 9) + 32 * 8 * 8 * (16 * 9)   # sub2
    + 8 * 16 * 16 * 32                                 # proj
    + 4 * 16 * 16 * 8                                  # cls
)
DEAD_MACS = (
    64 * 8 * 8 * (32 * 9) + 4 * 8 * 8 * 64             # aux_head
    + 4 * 16 * 16 * (8 * 9)                            # tmp_cls
)
CONV_LINEAR_MACS = LIVE_MACS + DEAD_MACS
UNUSED_PARAMS: dict = {}
