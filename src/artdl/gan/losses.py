"""GAN losses on critic logits and the WGAN-GP gradient penalty.

The DCGAN losses (``bce``, ``hinge``) treat the critic as a real/fake classifier; ``wgan`` treats
its output as a Wasserstein potential, kept 1-Lipschitz by :func:`gradient_penalty`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["DCGAN_LOSSES", "critic_loss", "generator_loss", "gradient_penalty"]

DCGAN_LOSSES = ("bce", "hinge")


# --------------------------------------------------------------------------------------------
def critic_loss(real: Tensor, fake: Tensor, kind: str) -> Tensor:
    """Critic loss on real and fake logits: ``bce``, ``hinge`` or ``wgan`` (without the penalty)."""
    if kind == "bce":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if kind == "wgan":
        return fake.mean() - real.mean()
    raise ValueError(f"Unknown critic loss {kind!r}; use bce, hinge or wgan.")


def generator_loss(fake: Tensor, kind: str) -> Tensor:
    """Generator loss on fake logits: non-saturating BCE, or ``-D(G(z))`` for hinge and WGAN."""
    if kind == "bce":
        return F.softplus(-fake).mean()
    if kind in ("hinge", "wgan"):
        return -fake.mean()
    raise ValueError(f"Unknown generator loss {kind!r}; use bce, hinge or wgan.")


def gradient_penalty(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    y: Tensor | None = None,
    alpha: Tensor | None = None,
) -> Tensor:
    """WGAN-GP penalty ``mean((||grad D(x_hat)||_2 - 1)^2)``, ``x_hat = a*real + (1-a)*fake``.

    One ``alpha`` per sample (uniform in [0, 1] unless given). The graph is kept
    (``create_graph=True``) so the penalty itself is differentiated in the critic update.
    """
    b = real.shape[0]
    if alpha is None:
        alpha = torch.rand(b, device=real.device)
    alpha = alpha.to(real.dtype).view(b, *([1] * (real.dim() - 1)))
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = critic(x_hat, y) if y is not None else critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
