"""Pattern: ``nn.PReLU()`` (one shared slope, 1 parameter) and ``nn.PReLU(c)`` (one slope
per channel), ENet style (initial block cat(conv, maxpool), 1x1-3x3-1x1 bottleneck,
``Dropout2d``)."""

import torch
import torch.nn as nn

PATTERN = "nn.PReLU() single slope and nn.PReLU(c) per channel, ENet initial block + bottleneck"
KINDS = ["conv", "maxpool", "concat", "batch_norm", "activation (prelu, 1 slope / per channel)",
         "dropout (Dropout2d)", "add"]
INPUT = (1, 3, 32, 32)


class InitialBlock(nn.Module):
    def __init__(self, in_channels=3, out_channels=16):
        super().__init__()
        self.main_branch = nn.Conv2d(in_channels, out_channels - in_channels, 3, stride=2, padding=1, bias=False)
        self.ext_branch = nn.MaxPool2d(3, stride=2, padding=1)
        self.batch_norm = nn.BatchNorm2d(out_channels)
        self.out_activation = nn.PReLU()

    def forward(self, x):
        main = self.main_branch(x)
        ext = self.ext_branch(x)
        out = torch.cat((main, ext), 1)
        return self.out_activation(self.batch_norm(out))


class Bottleneck(nn.Module):
    def __init__(self, channels=16, internal=4):
        super().__init__()
        self.ext_conv1 = nn.Sequential(nn.Conv2d(channels, internal, 1, bias=False),
                                       nn.BatchNorm2d(internal), nn.PReLU())
        self.ext_conv2 = nn.Sequential(nn.Conv2d(internal, internal, 3, padding=1, bias=False),
                                       nn.BatchNorm2d(internal), nn.PReLU(internal))
        self.ext_conv3 = nn.Sequential(nn.Conv2d(internal, channels, 1, bias=False), nn.BatchNorm2d(channels))
        self.ext_regul = nn.Dropout2d(p=0.01)
        self.out_activation = nn.PReLU(channels)

    def forward(self, x):
        ext = self.ext_regul(self.ext_conv3(self.ext_conv2(self.ext_conv1(x))))
        return self.out_activation(x + ext)


class PReLUNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.initial_block = InitialBlock()
        self.bottleneck = Bottleneck()
        self.classifier = nn.Conv2d(16, num_classes, 1)

    def forward(self, x):
        return self.classifier(self.bottleneck(self.initial_block(x)))  # 4x16x16


def build() -> nn.Module:
    return PReLUNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = (
    3 * 13 * 9 + 2 * 16 + 1                 # initial: conv, bn, PReLU()
    + 16 * 4 + 2 * 4 + 1                    # ext_conv1: conv, bn, PReLU()
    + 4 * 4 * 9 + 2 * 4 + 4                 # ext_conv2: conv, bn, PReLU(4)
    + 4 * 16 + 2 * 16                       # ext_conv3: conv, bn
    + 16                                    # out PReLU(16)
    + 16 * 4 + 4                            # classifier
)
CONV_LINEAR_MACS = (
    13 * 16 * 16 * (3 * 9)
    + 4 * 16 * 16 * 16
    + 4 * 16 * 16 * (4 * 9)
    + 16 * 16 * 16 * 4
    + 4 * 16 * 16 * 16
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
