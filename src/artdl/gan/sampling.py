"""Drawing samples from a trained generator: the fixed snapshot noise and seeded batches."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["fixed_noise", "generate"]


def fixed_noise(n: int, z_dim: int, n_classes: int, seed: int = 0) -> tuple[Tensor, Tensor | None]:
    """The same ``n`` latent vectors (and class ids cycling over classes) for every snapshot.

    Why fixed: the grids over training then differ only because the generator changed.
    """
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, z_dim, generator=g)
    y = torch.arange(n) % n_classes if n_classes > 1 else None
    return z, y


def _class_ids(n: int, n_classes: int, classes: Tensor | int | None) -> Tensor | None:
    if n_classes <= 1:
        return None
    if classes is None:
        return torch.arange(n) % n_classes
    if isinstance(classes, int):
        return torch.full((n,), classes, dtype=torch.long)
    return torch.as_tensor(classes, dtype=torch.long)


@torch.no_grad()
def generate(
    generator: nn.Module,
    n: int,
    device: Any = "cpu",
    classes: Tensor | int | None = None,
    batch_size: int = 128,
    seed: int = 0,
) -> Tensor:
    """``n`` samples in [-1, 1] on the CPU, reproducible from ``seed``.

    ``classes``: one id for all, a tensor of ids, or None (conditional generators then cycle
    through their classes). Works on a plain generator and on its EMA wrapper.
    """
    inner = generator.module if hasattr(generator, "module") else generator
    n_classes = int(getattr(inner, "n_classes", 0))
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, int(inner.z_dim), generator=g)
    y = _class_ids(n, n_classes, classes)
    was_training = generator.training
    generator.eval()
    out = []
    for i in range(0, n, batch_size):
        zb = z[i : i + batch_size].to(device)
        yb = y[i : i + batch_size].to(device) if y is not None else None
        out.append(generator(zb, yb).float().cpu())
    generator.train(was_training)
    return torch.cat(out)
