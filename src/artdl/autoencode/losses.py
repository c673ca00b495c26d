"""The losses of 03 beyond pixel MSE: a perceptual loss on EfficientNet-Lite0 features.

Pixel MSE is minimised by the average of all plausible paintings, which is a blur: the network
loses nothing by dropping an edge whose exact place it cannot guess. A perceptual loss (Johnson et
al., 2016) compares the two images in the feature space of a frozen ImageNet network instead, where
a missing edge or texture costs something. EfficientNet-Lite0 is the one ImageNet network whose
weights install offline (:func:`artdl.models.efficientnet_lite0`); its first stages (strides 4 and
8) see edges and textures, which is what the blur loses, and cost little at 64 px.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from artdl.models import EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, efficientnet_lite0

__all__ = ["PerceptualLoss"]


class PerceptualLoss(nn.Module):
    """Mean squared distance between frozen Lite0 feature maps of two [0, 1] RGB batches.

    ``stages`` is how many of Lite0's block stages are used (2: up to stride 4, 3: up to stride 8);
    each stage's distance is averaged, so deeper stages do not dominate by their size. The network
    stays in eval mode (its batch norms use the ImageNet statistics) and gets no gradients; the
    gradient flows to the reconstruction only. ``pretrained=False`` builds random weights, for
    tests that must not depend on the installed package.
    """

    def __init__(self, stages: int = 3, pretrained: bool = True) -> None:
        super().__init__()
        net = efficientnet_lite0(pretrained=pretrained)
        if not 1 <= stages <= len(net.blocks):
            raise ValueError(f"stages must lie in [1, {len(net.blocks)}], got {stages}.")
        self.stem = nn.Sequential(net.conv_stem, net.bn1)
        self.blocks = nn.ModuleList(net.blocks[:stages])
        self.register_buffer("mean", torch.tensor(EFFICIENTNET_LITE0_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(EFFICIENTNET_LITE0_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> PerceptualLoss:
        """Always eval: the frozen network's batch norms must keep their ImageNet statistics."""
        return super().train(False)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = self.stem((x.float() - self.mean) / self.std)
        out = []
        for block in self.blocks:
            h = block(h)
            out.append(h)
        return out

    def forward(self, reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.autocast(reconstruction.device.type, enabled=False):
            with torch.no_grad():
                wanted = self.features(target)
            got = self.features(reconstruction)
            return torch.stack([F.mse_loss(g, w) for g, w in zip(got, wanted)]).mean()
