"""A tiny ESPNet-C in the author's coding style: small building blocks ``CBR`` / ``BR`` /
``C`` / ``CDilated`` (BN eps=1e-3, per-channel ``nn.PReLU(nOut)``), the ESP modules
``DownSamplerB`` and ``DilatedParllelResidualBlockB`` (reduce, 5 parallel dilated 3x3
branches d=1,2,4,8,16, hierarchical feature fusion adds, cat, residual add), input
injection by ``InputProjectionA`` (a ModuleList of AvgPool2d(3, 2, 1) iterated in
forward), and ``nn.UpsamplingBilinear2d`` on the classifier output."""

import torch
import torch.nn as nn

PATTERN = "ESPNet-style: ESP modules (dilated branches, HFF adds, cat), PReLU(c), BR blocks, input avg-pool injection"
KINDS = ["conv", "conv (dilated 2..16)", "batch_norm", "activation (prelu per channel)", "add (HFF, residual)",
         "concat", "avgpool", "upsample (nn.UpsamplingBilinear2d, align_corners=True)"]
INPUT = (1, 3, 32, 32)


class CBR(nn.Module):
    def __init__(self, nIn, nOut, kSize, stride=1):
        super().__init__()
        padding = int((kSize - 1) / 2)
        self.conv = nn.Conv2d(nIn, nOut, (kSize, kSize), stride=stride, padding=(padding, padding), bias=False)
        self.bn = nn.BatchNorm2d(nOut, eps=1e-03)
        self.act = nn.PReLU(nOut)

    def forward(self, input):
        output = self.conv(input)
        output = self.bn(output)
        output = self.act(output)
        return output


class BR(nn.Module):
    def __init__(self, nOut):
        super().__init__()
        self.bn = nn.BatchNorm2d(nOut, eps=1e-03)
        self.act = nn.PReLU(nOut)

    def forward(self, input):
        output = self.bn(input)
        output = self.act(output)
        return output


class C(nn.Module):
    def __init__(self, nIn, nOut, kSize, stride=1):
        super().__init__()
        padding = int((kSize - 1) / 2)
        self.conv = nn.Conv2d(nIn, nOut, (kSize, kSize), stride=stride, padding=(padding, padding), bias=False)

    def forward(self, input):
        output = self.conv(input)
        return output


class CDilated(nn.Module):
    def __init__(self, nIn, nOut, kSize, stride=1, d=1):
        super().__init__()
        padding = int((kSize - 1) / 2) * d
        self.conv = nn.Conv2d(nIn, nOut, (kSize, kSize), stride=stride, padding=(padding, padding), bias=False,
                              dilation=d)

    def forward(self, input):
        output = self.conv(input)
        return output


class DownSamplerB(nn.Module):
    def __init__(self, nIn, nOut):
        super().__init__()
        n = int(nOut / 5)
        n1 = nOut - 4 * n
        self.c1 = C(nIn, n, 3, 2)
        self.d1 = CDilated(n, n1, 3, 1, 1)
        self.d2 = CDilated(n, n, 3, 1, 2)
        self.d4 = CDilated(n, n, 3, 1, 4)
        self.d8 = CDilated(n, n, 3, 1, 8)
        self.d16 = CDilated(n, n, 3, 1, 16)
        self.bn = nn.BatchNorm2d(nOut, eps=1e-3)
        self.act = nn.PReLU(nOut)

    def forward(self, input):
        output1 = self.c1(input)
        d1 = self.d1(output1)
        d2 = self.d2(output1)
        d4 = self.d4(output1)
        d8 = self.d8(output1)
        d16 = self.d16(output1)

        add1 = d2
        add2 = add1 + d4
        add3 = add2 + d8
        add4 = add3 + d16

        combine = torch.cat([d1, add1, add2, add3, add4], 1)
        output = self.bn(combine)
        output = self.act(output)
        return output


class DilatedParllelResidualBlockB(nn.Module):
    def __init__(self, nIn, nOut, add=True):
        super().__init__()
        n = int(nOut / 5)
        n1 = nOut - 4 * n
        self.c1 = C(nIn, n, 1, 1)
        self.d1 = CDilated(n, n1, 3, 1, 1)
        self.d2 = CDilated(n, n, 3, 1, 2)
        self.d4 = CDilated(n, n, 3, 1, 4)
        self.d8 = CDilated(n, n, 3, 1, 8)
        self.d16 = CDilated(n, n, 3, 1, 16)
        self.bn = BR(nOut)
        self.add = add

    def forward(self, input):
        output1 = self.c1(input)
        d1 = self.d1(output1)
        d2 = self.d2(output1)
        d4 = self.d4(output1)
        d8 = self.d8(output1)
        d16 = self.d16(output1)

        add1 = d2
        add2 = add1 + d4
        add3 = add2 + d8
        add4 = add3 + d16

        combine = torch.cat([d1, add1, add2, add3, add4], 1)
        if self.add:
            combine = input + combine
        output = self.bn(combine)
        return output


class InputProjectionA(nn.Module):
    def __init__(self, samplingTimes):
        super().__init__()
        self.pool = nn.ModuleList()
        for i in range(0, samplingTimes):
            self.pool.append(nn.AvgPool2d(3, stride=2, padding=1))

    def forward(self, input):
        for pool in self.pool:
            input = pool(input)
        return input


class ESPNetTiny(nn.Module):
    def __init__(self, classes=5, p=1):
        super().__init__()
        self.level1 = CBR(3, 16, 3, 2)
        self.sample1 = InputProjectionA(1)
        self.sample2 = InputProjectionA(2)
        self.b1 = BR(16 + 3)
        self.level2_0 = DownSamplerB(16 + 3, 32)
        self.level2 = nn.ModuleList()
        for i in range(0, p):
            self.level2.append(DilatedParllelResidualBlockB(32, 32))
        self.b2 = BR(64 + 3)
        self.classifier = C(64 + 3, classes, 1, 1)
        self.up = nn.UpsamplingBilinear2d(scale_factor=4)

    def forward(self, input):
        output0 = self.level1(input)                                  # 16x16x16
        inp1 = self.sample1(input)                                    # 3x16x16
        inp2 = self.sample2(input)                                    # 3x8x8
        output0_cat = self.b1(torch.cat([output0, inp1], 1))          # 19x16x16
        output1_0 = self.level2_0(output0_cat)                        # 32x8x8
        for i, layer in enumerate(self.level2):
            if i == 0:
                output1 = layer(output1_0)
            else:
                output1 = layer(output1)
        output1_cat = self.b2(torch.cat([output1, output1_0, inp2], 1))  # 67x8x8
        classifier = self.classifier(output1_cat)                     # 5x8x8
        return self.up(classifier)                                    # 5x32x32


def build() -> nn.Module:
    return ESPNetTiny()


# ---- hand-computed expectations -------------------------------------------------------
# ESP module with nOut = 32: n = 32 // 5 = 6 channels per branch, n1 = 32 - 4*6 = 8 for d1
PARAMS = (
    3 * 16 * 9 + 2 * 16 + 16                      # level1 CBR: conv, bn, PReLU(16)
    + 2 * 19 + 19                                 # b1 BR(19)
    + 19 * 6 * 9 + 6 * 8 * 9 + 4 * (6 * 6 * 9) + 2 * 32 + 32   # level2_0: c1 3x3, d1, d2..d16, bn, PReLU
    + 32 * 6 + 6 * 8 * 9 + 4 * (6 * 6 * 9) + 2 * 32 + 32       # level2.0: c1 1x1, d1, d2..d16, BR
    + 2 * 67 + 67                                 # b2 BR(67)
    + 67 * 5                                      # classifier (no bias)
)
CONV_LINEAR_MACS = (
    16 * 16 * 16 * (3 * 9)                                        # level1
    + 6 * 8 * 8 * (19 * 9) + 8 * 8 * 8 * (6 * 9) + 4 * (6 * 8 * 8 * (6 * 9))  # level2_0
    + 6 * 8 * 8 * 32 + 8 * 8 * 8 * (6 * 9) + 4 * (6 * 8 * 8 * (6 * 9))       # level2.0
    + 5 * 8 * 8 * 67                                              # classifier
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
