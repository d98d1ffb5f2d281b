"""A tiny ENet in the style of the popular PyTorch port: ``InitialBlock`` cat(conv,
maxpool), ``RegularBottleneck`` (regular / dilated / asymmetric 5x1+1x5) with
``nn.PReLU()`` single-slope activations in the encoder and ReLU in the decoder,
``DownsamplingBottleneck`` whose max-pooled main branch is zero-padded with
``torch.zeros(n, ch_ext - ch_main, h, w)`` built in forward (untraceable by torch.fx),
``UpsamplingBottleneck`` with ``nn.MaxUnpool2d(main, indices, output_size=...)`` and a 2x2
ConvTranspose, and a final ``ConvTranspose2d(..., output_size=input_size)``."""

import torch
import torch.nn as nn

PATTERN = "ENet-style: initial cat block, PReLU() bottlenecks, zeros-padded downsampling, MaxUnpool decoder"
KINDS = ["conv", "conv (2x2 s2, dilated, 5x1/1x5)", "maxpool (with indices)", "concat", "batch_norm",
         "activation (prelu single slope, relu)", "dropout (Dropout2d)", "channel_pad (cat torch.zeros)", "add",
         "max_unpool", "conv_transpose (output_size=)"]
INPUT = (1, 3, 32, 32)


class InitialBlock(nn.Module):
    def __init__(self, in_channels, out_channels, bias=False, relu=True):
        super().__init__()
        activation = nn.ReLU if relu else nn.PReLU
        self.main_branch = nn.Conv2d(in_channels, out_channels - 3, kernel_size=3, stride=2, padding=1, bias=bias)
        self.ext_branch = nn.MaxPool2d(3, stride=2, padding=1)
        self.batch_norm = nn.BatchNorm2d(out_channels)
        self.out_activation = activation()

    def forward(self, x):
        main = self.main_branch(x)
        ext = self.ext_branch(x)
        out = torch.cat((main, ext), 1)
        out = self.batch_norm(out)
        return self.out_activation(out)


class RegularBottleneck(nn.Module):
    def __init__(self, channels, internal_ratio=4, kernel_size=3, padding=0, dilation=1,
                 asymmetric=False, dropout_prob=0, bias=False, relu=True):
        super().__init__()
        internal_channels = channels // internal_ratio
        activation = nn.ReLU if relu else nn.PReLU
        self.ext_conv1 = nn.Sequential(
            nn.Conv2d(channels, internal_channels, kernel_size=1, stride=1, bias=bias),
            nn.BatchNorm2d(internal_channels), activation())
        if asymmetric:
            self.ext_conv2 = nn.Sequential(
                nn.Conv2d(internal_channels, internal_channels, kernel_size=(kernel_size, 1), stride=1,
                          padding=(padding, 0), dilation=dilation, bias=bias),
                nn.BatchNorm2d(internal_channels), activation(),
                nn.Conv2d(internal_channels, internal_channels, kernel_size=(1, kernel_size), stride=1,
                          padding=(0, padding), dilation=dilation, bias=bias),
                nn.BatchNorm2d(internal_channels), activation())
        else:
            self.ext_conv2 = nn.Sequential(
                nn.Conv2d(internal_channels, internal_channels, kernel_size=kernel_size, stride=1,
                          padding=padding, dilation=dilation, bias=bias),
                nn.BatchNorm2d(internal_channels), activation())
        self.ext_conv3 = nn.Sequential(
            nn.Conv2d(internal_channels, channels, kernel_size=1, stride=1, bias=bias),
            nn.BatchNorm2d(channels), activation())
        self.ext_regul = nn.Dropout2d(p=dropout_prob)
        self.out_activation = activation()

    def forward(self, x):
        main = x
        ext = self.ext_conv1(x)
        ext = self.ext_conv2(ext)
        ext = self.ext_conv3(ext)
        ext = self.ext_regul(ext)
        out = main + ext
        return self.out_activation(out)


class DownsamplingBottleneck(nn.Module):
    def __init__(self, in_channels, out_channels, internal_ratio=4, return_indices=False,
                 dropout_prob=0, bias=False, relu=True):
        super().__init__()
        self.return_indices = return_indices
        internal_channels = in_channels // internal_ratio
        activation = nn.ReLU if relu else nn.PReLU
        self.main_max1 = nn.MaxPool2d(2, stride=2, return_indices=return_indices)
        self.ext_conv1 = nn.Sequential(
            nn.Conv2d(in_channels, internal_channels, kernel_size=2, stride=2, bias=bias),
            nn.BatchNorm2d(internal_channels), activation())
        self.ext_conv2 = nn.Sequential(
            nn.Conv2d(internal_channels, internal_channels, kernel_size=3, stride=1, padding=1, bias=bias),
            nn.BatchNorm2d(internal_channels), activation())
        self.ext_conv3 = nn.Sequential(
            nn.Conv2d(internal_channels, out_channels, kernel_size=1, stride=1, bias=bias),
            nn.BatchNorm2d(out_channels), activation())
        self.ext_regul = nn.Dropout2d(p=dropout_prob)
        self.out_activation = activation()

    def forward(self, x):
        if self.return_indices:
            main, max_indices = self.main_max1(x)
        else:
            main = self.main_max1(x)
        ext = self.ext_conv1(x)
        ext = self.ext_conv2(ext)
        ext = self.ext_conv3(ext)
        ext = self.ext_regul(ext)
        n, ch_ext, h, w = ext.size()
        ch_main = main.size()[1]
        padding = torch.zeros(n, ch_ext - ch_main, h, w, dtype=main.dtype, device=main.device)
        main = torch.cat((main, padding), 1)
        out = main + ext
        if self.return_indices:
            return self.out_activation(out), max_indices
        return self.out_activation(out)


class UpsamplingBottleneck(nn.Module):
    def __init__(self, in_channels, out_channels, internal_ratio=4, dropout_prob=0, bias=False, relu=True):
        super().__init__()
        internal_channels = in_channels // internal_ratio
        activation = nn.ReLU if relu else nn.PReLU
        self.main_conv1 = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=bias), nn.BatchNorm2d(out_channels))
        self.main_unpool1 = nn.MaxUnpool2d(kernel_size=2)
        self.ext_conv1 = nn.Sequential(
            nn.Conv2d(in_channels, internal_channels, kernel_size=1, bias=bias),
            nn.BatchNorm2d(internal_channels), activation())
        self.ext_tconv1 = nn.ConvTranspose2d(internal_channels, internal_channels, kernel_size=2, stride=2, bias=bias)
        self.ext_tconv1_bnorm = nn.BatchNorm2d(internal_channels)
        self.ext_tconv1_activation = activation()
        self.ext_conv2 = nn.Sequential(
            nn.Conv2d(internal_channels, out_channels, kernel_size=1, bias=bias), nn.BatchNorm2d(out_channels))
        self.ext_regul = nn.Dropout2d(p=dropout_prob)
        self.out_activation = activation()

    def forward(self, x, max_indices, output_size):
        main = self.main_conv1(x)
        main = self.main_unpool1(main, max_indices, output_size=output_size)
        ext = self.ext_conv1(x)
        ext = self.ext_tconv1(ext, output_size=output_size)
        ext = self.ext_tconv1_bnorm(ext)
        ext = self.ext_tconv1_activation(ext)
        ext = self.ext_conv2(ext)
        ext = self.ext_regul(ext)
        out = main + ext
        return self.out_activation(out)


class ENet(nn.Module):
    def __init__(self, num_classes=4, encoder_relu=False, decoder_relu=True):
        super().__init__()
        self.initial_block = InitialBlock(3, 16, relu=encoder_relu)
        self.downsample1_0 = DownsamplingBottleneck(16, 32, return_indices=True, dropout_prob=0.01, relu=encoder_relu)
        self.regular1_1 = RegularBottleneck(32, padding=1, dropout_prob=0.01, relu=encoder_relu)
        self.dilated1_2 = RegularBottleneck(32, dilation=2, padding=2, dropout_prob=0.1, relu=encoder_relu)
        self.asymmetric1_3 = RegularBottleneck(32, kernel_size=5, padding=2, asymmetric=True, dropout_prob=0.1,
                                               relu=encoder_relu)
        self.upsample4_0 = UpsamplingBottleneck(32, 16, dropout_prob=0.1, relu=decoder_relu)
        self.regular4_1 = RegularBottleneck(16, padding=1, dropout_prob=0.1, relu=decoder_relu)
        self.transposed_conv = nn.ConvTranspose2d(16, num_classes, kernel_size=3, stride=2, padding=1, bias=False)

    def forward(self, x):
        input_size = x.size()
        x = self.initial_block(x)                      # 16x16x16
        stage1_input_size = x.size()
        x, max_indices1_0 = self.downsample1_0(x)      # 32x8x8
        x = self.regular1_1(x)
        x = self.dilated1_2(x)
        x = self.asymmetric1_3(x)
        x = self.upsample4_0(x, max_indices1_0, output_size=stage1_input_size)  # 16x16x16
        x = self.regular4_1(x)
        return self.transposed_conv(x, output_size=input_size)  # 4x32x32


def build() -> nn.Module:
    return ENet()


# ---- hand-computed expectations -------------------------------------------------------
_BN = lambda c: 2 * c
PARAMS = (
    3 * 13 * 9 + _BN(16) + 1                                         # initial (PReLU())
    + (16 * 4 * 2 * 2 + _BN(4) + 1) + (4 * 4 * 9 + _BN(4) + 1)       # downsample1_0 ext 1,2
    + (4 * 32 + _BN(32) + 1) + 1                                     #   ext 3, out PReLU
    + 2 * ((32 * 8 + _BN(8) + 1) + (8 * 8 * 9 + _BN(8) + 1) + (8 * 32 + _BN(32) + 1) + 1)  # regular, dilated
    + (32 * 8 + _BN(8) + 1) + 2 * (8 * 8 * 5 + _BN(8) + 1) + (8 * 32 + _BN(32) + 1) + 1    # asymmetric
    + (32 * 16 + _BN(16)) + (32 * 8 + _BN(8)) + (8 * 8 * 2 * 2 + _BN(8)) + (8 * 16 + _BN(16))  # upsample4_0
    + (16 * 4 + _BN(4)) + (4 * 4 * 9 + _BN(4)) + (4 * 16 + _BN(16))  # regular4_1 (ReLU)
    + 16 * 4 * 9                                                     # transposed_conv
)
CONV_LINEAR_MACS = (
    13 * 16 * 16 * (3 * 9)                                           # initial
    + 4 * 8 * 8 * (16 * 2 * 2) + 4 * 8 * 8 * (4 * 9) + 32 * 8 * 8 * 4  # downsample1_0
    + 2 * (8 * 8 * 8 * 32 + 8 * 8 * 8 * (8 * 9) + 32 * 8 * 8 * 8)    # regular1_1, dilated1_2
    + 8 * 8 * 8 * 32 + 2 * (8 * 8 * 8 * (8 * 5)) + 32 * 8 * 8 * 8   # asymmetric1_3
    + 16 * 8 * 8 * 32 + 8 * 8 * 8 * 32                               # upsample4_0 main 1x1, ext 1x1
    + 8 * 8 * 8 * 8 * 2 * 2                                          #   tconv: Cin*Hin*Win * Cout*k*k
    + 16 * 16 * 16 * 8                                               #   ext_conv2 at 16x16
    + 4 * 16 * 16 * 16 + 4 * 16 * 16 * (4 * 9) + 16 * 16 * 16 * 4    # regular4_1
    + 16 * 16 * 16 * 4 * 9                                           # transposed_conv from 16x16
)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS: dict = {}
