"""Training augmentation in plain torch: random scale, random crop (padding with the
ignore label where the scaled image is smaller than the crop), random mirror; and input
normalisation."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from archscope.data.base import IGNORE_INDEX

#: NDNet's training scales (REFERENCE.md §1)
PAPER_SCALES = (0.75, 1.0, 1.25, 1.5, 2.0)
#: per-channel mean and std the images are normalised with (the usual ImageNet figures)
MEAN = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
STD = torch.tensor([0.229, 0.224, 0.225])[:, None, None]


def normalize(image: torch.Tensor) -> torch.Tensor:
    return (image - MEAN) / STD


def rescale(image: torch.Tensor, label: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Resize by ``scale``: bilinear for the image, nearest for the labels."""
    if scale == 1:
        return image, label
    height, width = (max(1, round(s * scale)) for s in label.shape)
    image = F.interpolate(image[None], size=(height, width), mode="bilinear", align_corners=False)[0]
    label = F.interpolate(label[None, None].float(), size=(height, width), mode="nearest")[0, 0].long()
    return image, label


def random_crop(
    image: torch.Tensor, label: torch.Tensor, crop: tuple[int, int], generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A ``crop`` (H, W) window at a random place; sides shorter than the crop are
    padded (image with 0 after normalisation, labels with ``IGNORE_INDEX``)."""
    height, width = label.shape
    pad_h, pad_w = max(crop[0] - height, 0), max(crop[1] - width, 0)
    if pad_h or pad_w:
        image = F.pad(image, (0, pad_w, 0, pad_h), value=0.0)
        label = F.pad(label, (0, pad_w, 0, pad_h), value=IGNORE_INDEX)
        height, width = label.shape
    top = int(torch.randint(0, height - crop[0] + 1, (), generator=generator))
    left = int(torch.randint(0, width - crop[1] + 1, (), generator=generator))
    return image[:, top : top + crop[0], left : left + crop[1]], label[top : top + crop[0], left : left + crop[1]]


def augment(
    image: torch.Tensor,
    label: torch.Tensor,
    *,
    crop: tuple[int, int],
    scales: tuple[float, ...],
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalise, scale by a random entry of ``scales``, crop to ``crop``, mirror with
    probability 1/2. Returns contiguous tensors."""
    scale = scales[int(torch.randint(0, len(scales), (), generator=generator))]
    image, label = rescale(normalize(image), label, scale)
    image, label = random_crop(image, label, crop, generator)
    if bool(torch.rand((), generator=generator) < 0.5):
        image, label = image.flip(-1), label.flip(-1)
    return image.contiguous(), label.contiguous()
