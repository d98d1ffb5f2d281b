"""Pattern: a plain ``nn.Sequential`` (``Sequential.forward(self, input)``).

Style: torchvision/VGG-like ``features`` stacks written as one ``nn.Sequential``.
"""

import torch.nn as nn

PATTERN = "plain nn.Sequential model; its forward parameter is named `input`"
KINDS = ["conv", "conv (depthwise)", "batch_norm", "activation (relu, relu6)", "maxpool",
         "adaptive_avgpool", "flatten (nn.Flatten)", "dropout", "linear"]
INPUT = (1, 3, 32, 32)


def build() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),  # -> 16x16x16
        nn.BatchNorm2d(16),
        nn.ReLU(inplace=True),
        nn.Conv2d(16, 32, 3, padding=1),  # -> 32x16x16
        nn.BatchNorm2d(32),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),  # -> 32x8x8
        nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False),  # depthwise, 32x8x8
        nn.Conv2d(32, 64, 1),  # -> 64x8x8
        nn.ReLU6(inplace=True),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(64, 10),
    )


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = (
    3 * 16 * 9            # conv 3->16 3x3, no bias
    + 2 * 16              # bn
    + 16 * 32 * 9 + 32    # conv 16->32 3x3 + bias
    + 2 * 32              # bn
    + 32 * 1 * 9          # depthwise 3x3
    + 32 * 64 + 64        # 1x1 + bias
    + 64 * 10 + 10        # linear
)
CONV_LINEAR_MACS = (
    16 * 16 * 16 * (3 * 9)     # out C*H*W * (Cin/g * k*k)
    + 32 * 16 * 16 * (16 * 9)
    + 32 * 8 * 8 * (1 * 9)
    + 64 * 8 * 8 * 32
    + 64 * 10
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
