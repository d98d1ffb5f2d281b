"""``shapes``: a built-in procedural segmentation dataset, generated on the fly.

Each image is a scene of 2-5 objects on a textured background. An object's class is
given by its shape and its texture (drawn in the object's own rotated frame), while its
colour is only loosely tied to the class (a class colour plus a large random jitter), so a
network has to look at shape and texture and not only at colour:

======== ===================== ==========================
class    shape                 texture
======== ===================== ==========================
disc     filled circle         smooth
square   rotated square        checkerboard
triangle rotated triangle      stripes
ring     annulus               smooth
cross    rotated plus sign     dots
======== ===================== ==========================

Sizes and texture frequencies are relative to the image, so any resolution works. With
probability 0.3 a scene also holds a noise-textured "void" blob labelled
``IGNORE_INDEX``, like Cityscapes' unlabelled regions. Scene ``index`` of ``split`` under
``seed`` is always the same image (its random numbers come from ``(seed, split, index)``).
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from archscope.data.base import IGNORE_INDEX
from archscope.data.rng import generator_for

CLASSES = ("background", "disc", "square", "triangle", "ring", "cross")

#: mean colour of each class (RGB in [0, 1]); objects jitter it by up to ±COLOUR_JITTER
CLASS_COLOURS = torch.tensor(
    [[0.45, 0.45, 0.45], [0.85, 0.25, 0.2], [0.2, 0.7, 0.3], [0.25, 0.35, 0.85], [0.85, 0.75, 0.2], [0.7, 0.3, 0.8]]
)
COLOUR_JITTER = 0.3

Frame = tuple[torch.Tensor, torch.Tensor]  # (u, v): pixel coordinates in an object's unit frame


def _disc(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u * u + v * v < 1


def _square(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.maximum(u.abs(), v.abs()) < 0.8


def _triangle(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # equilateral, inscribed in the unit circle, apex at v = -1
    root3 = math.sqrt(3.0)
    return (v < 0.5) & (root3 * u - v < 1) & (-root3 * u - v < 1)


def _ring(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    r2 = u * u + v * v
    return (r2 < 1) & (r2 > 0.3)


def _cross(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    a, b = u.abs(), v.abs()
    return ((a < 0.3) & (b < 1)) | ((b < 0.3) & (a < 1))


def _smooth(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(u)


def _checker(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.sign(torch.sin(math.pi * 2.5 * u) * torch.sin(math.pi * 2.5 * v))


def _stripes(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.sign(torch.sin(2 * math.pi * 2.0 * u))


def _dots(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return ((torch.cos(2 * math.pi * 2.5 * u) * torch.cos(2 * math.pi * 2.5 * v)) > 0.4).float() * 2 - 1


Pattern = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: (shape mask, texture in [-1, 1]) of classes 1..5, in CLASSES order
SHAPES: tuple[tuple[Pattern, Pattern], ...] = (
    (_disc, _smooth),
    (_square, _checker),
    (_triangle, _stripes),
    (_ring, _smooth),
    (_cross, _dots),
)


def _uniform(generator: torch.Generator, low: float, high: float, size: tuple[int, ...] = ()) -> torch.Tensor:
    return low + (high - low) * torch.rand(size, generator=generator)


def _object_frame(ys: torch.Tensor, xs: torch.Tensor, generator: torch.Generator, scale: float) -> Frame:
    """Coordinates in a random object's frame: centre anywhere, radius 12-30% of the
    image's shorter side, any rotation."""
    cy, cx = _uniform(generator, 0, 1, (2,)).tolist()
    height, width = ys.shape
    radius = float(_uniform(generator, 0.12, 0.3)) * scale
    angle = float(_uniform(generator, 0, 2 * math.pi))
    dy, dx = ys - cy * height, xs - cx * width
    cos, sin = math.cos(angle), math.sin(angle)
    return (dx * cos + dy * sin) / radius, (-dx * sin + dy * cos) / radius


def _colour(generator: torch.Generator, cls: int) -> torch.Tensor:
    jitter = _uniform(generator, -COLOUR_JITTER, COLOUR_JITTER, (3,))
    return (CLASS_COLOURS[cls] + jitter).clamp(0.05, 0.95)


def render_scene(height: int, width: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One scene: (3×H×W float image in [0, 1], H×W int64 labels)."""
    ys, xs = torch.meshgrid(torch.arange(height) + 0.5, torch.arange(width) + 0.5, indexing="ij")
    scale = float(min(height, width))
    # background: class colour with a slow random wave across the image
    fy, fx, phase = _uniform(generator, -3, 3, (2,)).tolist() + [float(_uniform(generator, 0, 2 * math.pi))]
    wave = torch.sin(2 * math.pi * (fy * ys + fx * xs) / scale + phase)
    image = _colour(generator, 0)[:, None, None] * (0.8 + 0.2 * wave)
    label = torch.zeros(height, width, dtype=torch.int64)
    for _ in range(int(torch.randint(2, 6, (), generator=generator))):
        cls = int(torch.randint(1, len(CLASSES), (), generator=generator))
        mask_of, texture_of = SHAPES[cls - 1]
        u, v = _object_frame(ys, xs, generator, scale)
        mask = mask_of(u, v)
        shade = _colour(generator, cls)[:, None, None] * (0.7 + 0.3 * texture_of(u, v))
        image = torch.where(mask, shade, image)
        label[mask] = cls
    if float(_uniform(generator, 0, 1)) < 0.3:
        u, v = _object_frame(ys, xs, generator, scale)
        mask = u * u + 0.5 * v * v < 1
        noise = torch.rand((3, height, width), generator=generator)
        image = torch.where(mask, noise, image)
        label[mask] = IGNORE_INDEX
    image = image + 0.03 * torch.randn((3, height, width), generator=generator)
    return image.clamp(0, 1).float(), label


class ShapesDataset:
    """``length`` procedural scenes of ``size`` (H, W) pixels; deterministic per
    ``(seed, split, index)``."""

    classes = CLASSES

    def __init__(self, *, size: tuple[int, int], split: str = "train", length: int = 10_000, seed: int = 0) -> None:
        if min(size) < 1 or length < 1:
            raise ValueError(f"shapes: size {size} and length {length} must be positive")
        self.size, self.split, self.length, self.seed = (int(size[0]), int(size[1])), split, length, seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < self.length:
            raise IndexError(f"shapes: index {index} out of range 0..{self.length - 1}")
        return render_scene(*self.size, generator_for(self.seed, f"shapes-{self.split}", index))
