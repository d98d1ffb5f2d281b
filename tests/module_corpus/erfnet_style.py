"""A tiny ERFNet in the authors' coding style: ``DownsamplerBlock`` = cat(3x3 s2 conv,
2x2 maxpool) -> BN(eps=1e-3) -> F.relu; ``non_bottleneck_1d`` with 3x1/1x3 convs (the
second pair dilated), Dropout2d only when p != 0, ``F.relu(output + input)``;
``UpsamplerBlock`` = ConvTranspose2d(3, s2, p1, output_padding=1); a ConvTranspose2d(2, s2)
output layer; ``forward(self, input)``; the Net calls ``self.decoder.forward(output)``
directly (bypassing ``__call__`` and its hooks), and the Encoder's ``output_conv`` is
used only with ``predict=True``, so it is never called by the full net."""

import torch
import torch.nn as nn
import torch.nn.functional as F

PATTERN = "ERFNet-style: cat(conv, maxpool) downsampler, 3x1/1x3 dilated non-bottleneck, ConvTranspose decoder"
KINDS = ["conv", "conv (3x1/1x3, dilated)", "maxpool", "concat", "batch_norm", "activation (F.relu)",
         "dropout (Dropout2d)", "add", "conv_transpose", "unused conv", "module.forward() called directly"]
INPUT = (1, 3, 32, 32)


class DownsamplerBlock(nn.Module):
    def __init__(self, ninput, noutput):
        super().__init__()
        self.conv = nn.Conv2d(ninput, noutput - ninput, (3, 3), stride=2, padding=1, bias=True)
        self.pool = nn.MaxPool2d(2, stride=2)
        self.bn = nn.BatchNorm2d(noutput, eps=1e-3)

    def forward(self, input):
        output = torch.cat([self.conv(input), self.pool(input)], 1)
        output = self.bn(output)
        return F.relu(output)


class non_bottleneck_1d(nn.Module):
    def __init__(self, chann, dropprob, dilated):
        super().__init__()
        self.conv3x1_1 = nn.Conv2d(chann, chann, (3, 1), stride=1, padding=(1, 0), bias=True)
        self.conv1x3_1 = nn.Conv2d(chann, chann, (1, 3), stride=1, padding=(0, 1), bias=True)
        self.bn1 = nn.BatchNorm2d(chann, eps=1e-03)
        self.conv3x1_2 = nn.Conv2d(chann, chann, (3, 1), stride=1, padding=(1 * dilated, 0), bias=True,
                                   dilation=(dilated, 1))
        self.conv1x3_2 = nn.Conv2d(chann, chann, (1, 3), stride=1, padding=(0, 1 * dilated), bias=True,
                                   dilation=(1, dilated))
        self.bn2 = nn.BatchNorm2d(chann, eps=1e-03)
        self.dropout = nn.Dropout2d(dropprob)

    def forward(self, input):
        output = self.conv3x1_1(input)
        output = F.relu(output)
        output = self.conv1x3_1(output)
        output = self.bn1(output)
        output = F.relu(output)

        output = self.conv3x1_2(output)
        output = F.relu(output)
        output = self.conv1x3_2(output)
        output = self.bn2(output)

        if self.dropout.p != 0:
            output = self.dropout(output)
        return F.relu(output + input)


class Encoder(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.initial_block = DownsamplerBlock(3, 16)
        self.layers = nn.ModuleList()
        self.layers.append(DownsamplerBlock(16, 32))
        self.layers.append(non_bottleneck_1d(32, 0.03, 1))
        self.layers.append(non_bottleneck_1d(32, 0.3, 2))
        self.output_conv = nn.Conv2d(32, num_classes, 1, stride=1, padding=0, bias=True)

    def forward(self, input, predict=False):
        output = self.initial_block(input)
        for layer in self.layers:
            output = layer(output)
        if predict:
            output = self.output_conv(output)
        return output


class UpsamplerBlock(nn.Module):
    def __init__(self, ninput, noutput):
        super().__init__()
        self.conv = nn.ConvTranspose2d(ninput, noutput, 3, stride=2, padding=1, output_padding=1, bias=True)
        self.bn = nn.BatchNorm2d(noutput, eps=1e-3)

    def forward(self, input):
        output = self.conv(input)
        output = self.bn(output)
        return F.relu(output)


class Decoder(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.layers = nn.ModuleList()
        self.layers.append(UpsamplerBlock(32, 16))
        self.layers.append(non_bottleneck_1d(16, 0, 1))
        self.output_conv = nn.ConvTranspose2d(16, num_classes, 2, stride=2, padding=0, output_padding=0, bias=True)

    def forward(self, input):
        output = input
        for layer in self.layers:
            output = layer(output)
        return self.output_conv(output)


class Net(nn.Module):
    def __init__(self, num_classes=5, encoder=None):
        super().__init__()
        self.encoder = Encoder(num_classes) if encoder is None else encoder
        self.decoder = Decoder(num_classes)

    def forward(self, input, only_encode=False):
        if only_encode:
            return self.encoder.forward(input, predict=True)
        output = self.encoder(input)  # predict=False by default
        return self.decoder.forward(output)


def build() -> nn.Module:
    return Net()


# ---- hand-computed expectations -------------------------------------------------------
_NB1D = lambda c: 4 * (c * c * 3 + c) + 2 * (2 * c)  # four 3x1/1x3 convs + biases, two BNs
UNUSED_PARAMS = {"encoder.output_conv": 32 * 5 + 5}
PARAMS = (
    3 * 13 * 9 + 13 + 2 * 16           # initial DownsamplerBlock(3, 16)
    + 16 * 16 * 9 + 16 + 2 * 32        # DownsamplerBlock(16, 32)
    + 2 * _NB1D(32)
    + sum(UNUSED_PARAMS.values())
    + 32 * 16 * 9 + 16 + 2 * 16        # UpsamplerBlock: ConvTranspose weight (32, 16, 3, 3) + bias, BN
    + _NB1D(16)
    + 16 * 5 * 2 * 2 + 5               # output ConvTranspose2d(16, 5, 2)
)
CONV_LINEAR_MACS = (
    13 * 16 * 16 * (3 * 9)             # 3 -> 13, s2, 16x16 out
    + 16 * 8 * 8 * (16 * 9)            # 16 -> 16, s2, 8x8 out
    + 2 * 4 * (32 * 8 * 8 * (32 * 3))  # two non_bottleneck_1d(32) at 8x8
    + 32 * 8 * 8 * 16 * 9              # ConvTranspose: Cin*Hin*Win * Cout*k*k
    + 4 * (16 * 16 * 16 * (16 * 3))    # non_bottleneck_1d(16) at 16x16
    + 16 * 16 * 16 * 5 * 2 * 2         # output ConvTranspose 16 -> 5, k2, from 16x16
)
LIVE_MACS = CONV_LINEAR_MACS
