"""03's results record: both autoencoders' training and the 5-NN probe of their codes.

Built by :func:`autoencode_record` from the training histories and :func:`knn_label_accuracy`
results, and read by :mod:`artdl.report.autoencode` and the README summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from artdl.core import Provenance, Record

__all__ = ["AutoencodeRecord", "AutoencoderRun", "CollectionInfo", "KnnScore", "autoencode_record"]


@dataclass(kw_only=True)
class CollectionInfo:
    n: int
    datasets: list[str]
    image_size: int


@dataclass(kw_only=True)
class AutoencoderRun:
    epochs: int
    final_train_loss: float
    val_recon_mse: float
    latent_dim: int


@dataclass(kw_only=True)
class KnnScore:
    """k-NN label accuracy on the test split, with the majority-label chance it is read against."""

    accuracy: float
    chance: float
    n_test: int
    k: int


@dataclass(kw_only=True)
class AutoencodeRecord(Record):
    NOTEBOOK = "03_autoencode"
    SCHEMA_VERSION = 1
    SECTIONS = ("autoencode",)

    collection: CollectionInfo
    models: dict[str, AutoencoderRun]
    knn: dict[str, KnnScore]  # "pixels" and one entry per model


def autoencode_record(
    cfg: Any,
    table: pd.DataFrame,
    histories: Mapping[str, Mapping[str, Any]],
    knn: Mapping[str, Mapping[str, Any]],
) -> AutoencodeRecord:
    """03's record: ``histories`` maps a model name to its ``train_loss``/``val_recon`` lists,
    ``knn`` a space name (``pixels``, ``dae`` ...) to :func:`artdl.autoencode.knn_label_accuracy`."""
    datasets = sorted(str(d) for d in table["dataset"].unique())
    return AutoencodeRecord(
        provenance=Provenance(dataset=" + ".join(datasets), split="test"),
        collection=CollectionInfo(n=len(table), datasets=datasets, image_size=int(cfg.autoencode.image_size)),
        models={
            name: AutoencoderRun(
                epochs=len(h["train_loss"]),
                final_train_loss=float(h["train_loss"][-1]),
                val_recon_mse=float(h["val_recon"][-1]),
                latent_dim=int(cfg.autoencode.latent_dim),
            )
            for name, h in histories.items()
        },
        knn={
            name: KnnScore(**{k: r[k] for k in ("accuracy", "chance", "n_test", "k")})
            for name, r in knn.items()
        },
    )
