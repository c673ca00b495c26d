"""Is a GAN copying its training paintings? Nearest training neighbours of samples vs of held-out paintings.

With a few hundred training paintings a generator could learn to reproduce some of them. A copy
has a training neighbour at cosine distance ≈ 0 in the feature space of the distances; the
yardstick is how close a *held-out* real painting is to its nearest training painting, measured
with the same number of images.

Medians alone would not see a generator that copies a few paintings and invents the rest, so the
check also counts the **close samples**: those nearer a training painting than all but 5% of the
held-out paintings are. A generator that does not copy has about 5% of them (as real paintings
do); ``copying`` is said when the Wilson interval of that share lies above 5%. The threshold is
itself estimated from the held-out paintings, which the interval does not count, so read a share
just above 5% as a reason to look at 06's nearest-neighbour figure, not as proof.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artdl.core import wilson_interval
from artdl.gan.fidelity import nearest_neighbours

__all__ = ["CLOSE_QUANTILE", "Memorisation", "memorisation_check"]

CLOSE_QUANTILE = 0.05  # a sample is "close" when it is nearer the training set than 95% of held-out paintings


@dataclass(kw_only=True)
class Memorisation:
    """One model's samples (and the held-out paintings) against their nearest training painting."""

    model: str
    median_generated: float
    n_generated: int
    median_held_out: float
    n_held_out: int
    min_generated: float
    threshold: float  # the held-out paintings' CLOSE_QUANTILE of nearest-train distance
    close_samples: int  # samples nearer a training painting than ``threshold``
    close_low: float  # Wilson 95% interval of close_samples / n_generated
    close_high: float

    @property
    def close_share(self) -> float:
        return self.close_samples / self.n_generated

    @property
    def copying(self) -> bool:
        """More samples sit unusually close to a training painting than real held-out paintings do,
        beyond the share's interval. The medians are reported beside it but decide nothing: two
        medians of 150 distances differ by chance, and a few copies barely move them."""
        return self.close_low > CLOSE_QUANTILE

    def sentence(self) -> str:
        """What the check says, with its numbers, for the Findings and the notebook."""
        share = (
            f"{self.close_samples} of {self.n_generated} samples ({self.close_share:.0%} "
            f"[{self.close_low:.0%}, {self.close_high:.0%}]) are nearer a training painting than "
            f"{1 - CLOSE_QUANTILE:.0%} of held-out paintings are (distance < {self.threshold:.3f}; "
            f"{CLOSE_QUANTILE:.0%} expected without copying)"
        )
        medians = (
            f"median distance to the nearest training painting {self.median_generated:.3f} against "
            f"{self.median_held_out:.3f} for {self.n_held_out} held-out paintings, minimum {self.min_generated:.3f}"
        )
        said = (
            "**possible copies: check the nearest-neighbour figure**"
            if self.copying
            else "no sign of copying at this number of samples"
        )
        return f"{self.model}: {share}; {medians}: {said}"


def memorisation_check(
    model: str, generated: np.ndarray, held_out: np.ndarray, train: np.ndarray, k: int = 3
) -> tuple[Memorisation, np.ndarray, np.ndarray]:
    """The summary, and the ``k`` nearest training paintings of every sample (indices, cosine
    distances) for the figure. Pass as many held-out paintings as the distance table's floor used."""
    idx, dist = nearest_neighbours(generated, train, k=k)
    _, held = nearest_neighbours(held_out, train, k=1)
    threshold = float(np.quantile(held[:, 0], CLOSE_QUANTILE))
    close = int((dist[:, 0] < threshold).sum())
    low, high = wilson_interval(close, len(dist))
    summary = Memorisation(
        model=model,
        median_generated=float(np.median(dist[:, 0])),
        n_generated=len(dist),
        median_held_out=float(np.median(held[:, 0])),
        n_held_out=len(held),
        min_generated=float(dist[:, 0].min()),
        threshold=threshold,
        close_samples=close,
        close_low=float(low),
        close_high=float(high),
    )
    return summary, idx, dist
