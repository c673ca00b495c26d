"""Cutouts: what CLIP sees of the image in each VQGAN+CLIP iteration.

Random square crops at many scales and positions, resized to CLIP's input and augmented with
kornia, so the optimiser cannot satisfy CLIP with an adversarial pattern at a single scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["AUGMENTS", "MakeCutouts"]

AUGMENTS = ("flip", "affine", "perspective", "jitter", "sharpness")


def _augmentations(names: Sequence[str]) -> nn.Module:
    import kornia.augmentation as K

    table = {
        "flip": lambda: K.RandomHorizontalFlip(p=0.5),
        "affine": lambda: K.RandomAffine(degrees=15, translate=(0.1, 0.1), p=0.7, padding_mode="border"),
        "perspective": lambda: K.RandomPerspective(0.2, p=0.7),
        "jitter": lambda: K.ColorJitter(hue=0.01, saturation=0.01, p=0.7),
        "sharpness": lambda: K.RandomSharpness(0.3, p=0.4),
    }
    unknown = [n for n in names if n not in table]
    if unknown:
        raise ValueError(f"Unknown augmentation(s) {unknown}; choose from {list(table)}.")
    return nn.Sequential(*[table[n]() for n in names])


class MakeCutouts(nn.Module):
    """``cutn`` random square crops resized to CLIP's input size, then kornia augmentations.

    ``cut_pow`` > 1 favours small crops (detail), < 1 large ones (composition).
    """

    def __init__(
        self,
        cut_size: int,
        cutn: int,
        cut_pow: float = 1.0,
        augments: Sequence[str] = AUGMENTS,
        noise: float = 0.1,
    ) -> None:
        super().__init__()
        self.cut_size, self.cutn, self.cut_pow, self.noise = (
            int(cut_size),
            int(cutn),
            float(cut_pow),
            float(noise),
        )
        self.augs = _augmentations(list(augments))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        side_y, side_x = x.shape[2:4]
        max_size = min(side_x, side_y)
        min_size = min(side_x, side_y, self.cut_size)
        cutouts = []
        for _ in range(self.cutn):
            size = int(torch.rand([]) ** self.cut_pow * (max_size - min_size) + min_size)
            ox = int(torch.randint(0, side_x - size + 1, ()))
            oy = int(torch.randint(0, side_y - size + 1, ()))
            crop = x[:, :, oy : oy + size, ox : ox + size]
            cutouts.append(
                F.interpolate(crop, (self.cut_size, self.cut_size), mode="bilinear", align_corners=False)
            )
        batch = self.augs(torch.cat(cutouts))
        if self.noise > 0:
            facs = batch.new_empty([batch.shape[0], 1, 1, 1]).uniform_(0, self.noise)
            batch = batch + facs * torch.randn_like(batch)
        return batch
