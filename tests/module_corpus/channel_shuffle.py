"""Pattern: ShuffleNetV2 (torchvision style) channel shuffle ``view(b, g, c // g, h, w)``
-> ``torch.transpose(x, 1, 2).contiguous()`` -> ``view(b, -1, h, w)``, with the stride-1
split written as ``x.chunk(2, dim=1)`` in one block and ``torch.split`` in another,
``torch.cat``, and an empty ``nn.Sequential()`` branch1 in stride-1 blocks."""

import torch
import torch.nn as nn

PATTERN = "ShuffleNetV2 channel shuffle (view/transpose/contiguous/view), chunk, torch.split, torch.cat"
KINDS = ["conv", "conv (depthwise)", "batch_norm", "activation", "maxpool", "concat",
         "slice (chunk / torch.split)", "channel_shuffle (view-transpose-view)", "mean", "linear"]
INPUT = (1, 3, 32, 32)


def channel_shuffle(x, groups: int):
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


def depthwise(c, stride):
    return nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False)


class ShuffleBlock(nn.Module):
    def __init__(self, inp, oup, stride, split="chunk"):
        super().__init__()
        self.stride = stride
        self.split = split
        bf = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                depthwise(inp, stride), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, bf, 1, bias=False), nn.BatchNorm2d(bf), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else bf, bf, 1, bias=False), nn.BatchNorm2d(bf), nn.ReLU(inplace=True),
            depthwise(bf, stride), nn.BatchNorm2d(bf),
            nn.Conv2d(bf, bf, 1, bias=False), nn.BatchNorm2d(bf), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            if self.split == "chunk":
                x1, x2 = x.chunk(2, dim=1)
            else:
                x1, x2 = torch.split(x, x.shape[1] // 2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class TinyShuffleNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.stage2 = nn.Sequential(ShuffleBlock(24, 48, 2), ShuffleBlock(48, 48, 1, "chunk"),
                                    ShuffleBlock(48, 48, 1, "split"))
        self.conv5 = nn.Sequential(nn.Conv2d(48, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True))
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))   # 24x8x8
        x = self.stage2(x)                # 48x4x4
        x = self.conv5(x)                 # 64x4x4
        x = x.mean([2, 3])
        return self.fc(x)


def build() -> nn.Module:
    return TinyShuffleNet()


# ---- hand-computed expectations -------------------------------------------------------
_S2_PARAMS = (24 * 9 + 2 * 24 + 24 * 24 + 2 * 24            # branch1
              + 24 * 24 + 2 * 24 + 24 * 9 + 2 * 24 + 24 * 24 + 2 * 24)  # branch2
_S1_PARAMS = 24 * 24 + 2 * 24 + 24 * 9 + 2 * 24 + 24 * 24 + 2 * 24
PARAMS = 3 * 24 * 9 + 2 * 24 + _S2_PARAMS + 2 * _S1_PARAMS + 48 * 64 + 2 * 64 + 64 * 10 + 10
_S2_MACS = (24 * 4 * 4 * 9 + 24 * 4 * 4 * 24               # branch1: dw s2, 1x1
            + 24 * 8 * 8 * 24 + 24 * 4 * 4 * 9 + 24 * 4 * 4 * 24)  # branch2: 1x1 at 8x8, dw s2, 1x1
_S1_MACS = 24 * 4 * 4 * 24 + 24 * 4 * 4 * 9 + 24 * 4 * 4 * 24
CONV_LINEAR_MACS = 24 * 16 * 16 * (3 * 9) + _S2_MACS + 2 * _S1_MACS + 64 * 4 * 4 * 48 + 64 * 10
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
