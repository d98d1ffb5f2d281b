"""Pattern: the activation zoo, each as module, ``torch.`` function and/or tensor method:
sigmoid (nn.Sigmoid, torch.sigmoid, x.sigmoid()), SiLU (nn.SiLU, F.silu), GELU (nn.GELU,
tanh approximation, F.gelu), Tanh (nn.Tanh, torch.tanh), LeakyReLU (nn.LeakyReLU,
F.leaky_relu), ReLU6, Hardtanh, ELU (nn.ELU, F.elu), torch.relu and x.relu()."""

import torch
import torch.nn as nn
import torch.nn.functional as F

PATTERN = "activation zoo: sigmoid/SiLU/GELU/Tanh/LeakyReLU/ReLU6/Hardtanh/ELU as module, torch fn, method"
KINDS = ["conv", "activation (sigmoid, silu, gelu, tanh, leaky_relu, relu6, hardtanh, elu, relu)"]
INPUT = (1, 3, 16, 16)


class ActivationZoo(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.sigmoid = nn.Sigmoid()
        self.silu = nn.SiLU(inplace=True)
        self.gelu = nn.GELU()
        self.gelu_tanh = nn.GELU(approximate='tanh')
        self.tanh = nn.Tanh()
        self.leaky = nn.LeakyReLU(0.1, inplace=True)
        self.relu6 = nn.ReLU6()
        self.hardtanh = nn.Hardtanh(-2.0, 2.0)
        self.elu = nn.ELU()
        self.conv2 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = self.conv1(x)                 # 8x16x16
        x = self.sigmoid(x)
        x = torch.sigmoid(x)
        x = x.sigmoid()
        x = self.silu(x)
        x = F.silu(x)
        x = self.gelu(x)
        x = self.gelu_tanh(x)
        x = F.gelu(x)
        x = self.tanh(x)
        x = torch.tanh(x)
        x = self.leaky(x)
        x = F.leaky_relu(x, 0.2)
        x = self.relu6(x)
        x = self.hardtanh(x)
        x = self.elu(x)
        x = F.elu(x)
        x = torch.relu(x)
        x = x.relu()
        return self.conv2(x)              # 4x16x16


def build() -> nn.Module:
    return ActivationZoo()


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = 3 * 8 * 9 + 8 * 4 + 4
CONV_LINEAR_MACS = 8 * 16 * 16 * (3 * 9) + 4 * 16 * 16 * 8
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
