"""Pattern: control flow on a tensor value only (``if h.mean() > 0:``); see untraceable.py."""

import torch.nn as nn

from tests.module_corpus.untraceable import TensorBranch

PATTERN = "data-dependent `if h.mean() > 0:` choosing between two convs"
KINDS = ["conv", "activation (sigmoid)", "mean", "data-dependent control flow"]
INPUT = (1, 3, 16, 16)


def build() -> nn.Module:
    return TensorBranch(3, 8, 16)


# ---- hand-computed expectations -------------------------------------------------------
PARAMS = 3 * 8 * 9 + 8 + 8 * 16 * 9 + 8 * 16
CONV_LINEAR_MACS = 8 * 8 * 8 * (3 * 9) + 16 * 8 * 8 * (8 * 9)
LIVE_MACS = CONV_LINEAR_MACS
UNUSED_PARAMS = {"conv_neg": 8 * 16}
