"""Is a GAN copying its training paintings? Nearest training neighbours of samples vs of held-out paintings.

With a few hundred training paintings a generator could learn to reproduce some of them. A copy
has a training neighbour at cosine distance ≈ 0 in the feature space of the distances; the
yardstick is how close a *held-out* real painting is to its nearest training painting, measured
with the same number of images. Samples closer than that are worth looking at in 06's
nearest-neighbour figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artdl.gan.fidelity import nearest_neighbours

__all__ = ["Memorisation", "memorisation_check"]


@dataclass(kw_only=True)
class Memorisation:
    """Median distance from a sample (and from a held-out painting) to its nearest training painting."""

    model: str
    median_generated: float
    n_generated: int
    median_held_out: float
    n_held_out: int
    min_generated: float

    @property
    def copying(self) -> bool:
        """Samples sit closer to the training set than held-out real paintings do."""
        return self.median_generated < self.median_held_out


def memorisation_check(
    model: str, generated: np.ndarray, held_out: np.ndarray, train: np.ndarray, k: int = 3
) -> tuple[Memorisation, np.ndarray, np.ndarray]:
    """The summary, and the ``k`` nearest training paintings of every sample (indices, cosine
    distances) for the figure. Pass as many held-out paintings as the distance table's floor used."""
    idx, dist = nearest_neighbours(generated, train, k=k)
    _, held = nearest_neighbours(held_out, train, k=1)
    summary = Memorisation(
        model=model,
        median_generated=float(np.median(dist[:, 0])),
        n_generated=len(dist),
        median_held_out=float(np.median(held[:, 0])),
        n_held_out=len(held),
        min_generated=float(dist[:, 0].min()),
    )
    return summary, idx, dist
