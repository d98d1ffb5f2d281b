"""Pattern: ``forward(self, img)``: the input parameter has an unusual name."""

import torch
import torch.nn as nn

PATTERN = "forward parameter named `img`; features Sequential + avgpool + flatten + fc"
KINDS = ["conv", "batch_norm", "activation (relu)", "adaptive_avgpool", "flatten (torch.flatten)", "linear"]
INPUT = (1, 3, 32, 32)


class ImgNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),  # 8x16x16
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False),  # 16x8x8
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, img):
        feat = self.features(img)
        feat = self.avgpool(feat)
        feat = torch.flatten(feat, 1)
        return self.fc(feat)


def build() -> nn.Module:
    return ImgNet()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = 3 * 8 * 9 + 2 * 8 + 8 * 16 * 9 + 2 * 16 + 16 * 10 + 10
CONV_LINEAR_MACS = 8 * 16 * 16 * (3 * 9) + 16 * 8 * 8 * (8 * 9) + 16 * 10
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
