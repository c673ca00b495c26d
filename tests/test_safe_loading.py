"""Checkpoints load with torch.load(weights_only=True): a file with arbitrary objects is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from artdl.models import build_classifier, load_classifier, save_classifier


class NotAllowed:
    """Stands for any class a malicious checkpoint could make torch unpickle."""


def test_classifier_round_trip_with_numpy_metadata(tmp_path: Path):
    model = build_classifier("scratch_resnet18", 3, pretrained=False)
    path = save_classifier(
        model, tmp_path / "c.pt", backbone="scratch_resnet18", classes=["a", "b", "c"], image_size=64,
        val_acc=np.float64(0.5), epoch=np.int64(2),
    )  # fmt: skip
    loaded, meta = load_classifier(path)
    assert meta["val_acc"] == 0.5 and meta["epoch"] == 2 and meta["classes"] == ["a", "b", "c"]
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)


def test_classifier_checkpoint_with_arbitrary_objects_is_refused(tmp_path: Path):
    model = build_classifier("scratch_resnet18", 2, pretrained=False)
    record = {
        "backbone": "scratch_resnet18", "classes": ["a", "b"], "image_size": 64,
        "extra": NotAllowed(),  # not on torch's allow-list
        "state_dict": model.state_dict(),
    }  # fmt: skip
    torch.save(record, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not loaded"):
        load_classifier(tmp_path / "bad.pt")
