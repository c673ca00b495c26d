"""Step 05: Training the Archive: grid snapping, latent walks and the projection head."""

import numpy as np
import pytest

from artdl import archive


# --- archive ---------------------------------------------------------------------------------
def test_snap_to_grid_one_image_per_cell():
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(30, 2))
    cells = archive.snap_to_grid(xy, 6, 6)
    assert len({tuple(c) for c in cells}) == 30
    assert cells.min() >= 0 and cells[:, 0].max() < 6 and cells[:, 1].max() < 6
    # layout is kept: the right-most point lands in a right-hand column
    assert cells[np.argmax(xy[:, 0]), 1] >= 4
    with pytest.raises(ValueError):
        archive.snap_to_grid(xy, 5, 5)


def test_latent_walk_has_no_repeats():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(40, 8))
    walk = archive.latent_walk(feats, 3, 7, steps=6)
    assert walk[0] == 3 and walk[-1] == 7 and len(walk) == 8 and len(set(walk)) == 8


def test_projection_head_improves_mean_rank():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 20)
    feats = rng.normal(size=(80, 16)) + 0.3 * np.eye(16)[labels]  # weak label signal
    trip = archive.triplets_from_labels(labels, n=300, negatives=4, seed=0)
    assert (labels[trip["anchor"]] == labels[trip["positive"]]).all()
    before = archive.mean_positive_rank(feats, trip)
    head, losses = archive.train_projection_head(feats, trip, epochs=40, lr=3e-3, hidden=32)
    after = archive.mean_positive_rank(archive.project(head, feats), trip)
    assert losses[-1] < losses[0] and after < before - 0.3
