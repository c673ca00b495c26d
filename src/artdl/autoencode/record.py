"""03's results record: both autoencoders' training, their reconstruction quality, the 5-NN probe
of their codes, and each code against raw pixels on the same test paintings.

Built by :func:`autoencode_record` from the training histories, :func:`reconstruction_quality` and
:func:`knn_label_accuracy` results, and read by :mod:`artdl.report.autoencode` and the README
summary. Fields that only a run can fill (PSNR, SSIM, the paired comparisons) are optional, so a
record converted from an older run says "re-run 03" instead of inventing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from artdl.autoencode.knn_probe import versus_pixels
from artdl.core import Provenance, Record, StatsConfig

__all__ = [
    "AutoencodeRecord",
    "AutoencoderRun",
    "CollectionInfo",
    "KnnComparison",
    "KnnScore",
    "autoencode_record",
]


@dataclass(kw_only=True)
class CollectionInfo:
    n: int
    datasets: list[str]
    image_size: int
    splits: dict[str, int] | None = None  # paintings per split: the models train on "train"


@dataclass(kw_only=True)
class AutoencoderRun:
    epochs: int
    final_train_loss: float
    val_recon_mse: float
    latent_dim: int
    test_psnr: float | None = None  # dB, mean over the test paintings
    test_ssim: float | None = None
    train_seconds: float | None = None


@dataclass(kw_only=True)
class KnnScore:
    """k-NN label accuracy on the test split with its Wilson interval, and the majority-label chance."""

    accuracy: float
    chance: float
    n_test: int
    k: int
    low: float
    high: float


@dataclass(kw_only=True)
class KnnComparison:
    """A code's 5-NN accuracy minus raw pixels' on the same test paintings.

    ``significant`` and ``sentence`` come from McNemar's exact test (:func:`artdl.core.verdict`);
    ``low``/``high`` are the paired bootstrap interval of ``difference``.
    """

    difference: float
    low: float
    high: float
    p_value: float
    a_only: int  # test paintings only the code gets right
    b_only: int  # ... only the pixels get right
    n: int
    significant: bool
    sentence: str
    family: int = 1  # the code spaces compared with pixels together (Bonferroni); 1 in older records


@dataclass(kw_only=True)
class AutoencodeRecord(Record):
    NOTEBOOK = "03_autoencode"
    SCHEMA_VERSION = 2
    SECTIONS = ("autoencode",)

    collection: CollectionInfo
    models: dict[str, AutoencoderRun]
    knn: dict[str, KnnScore]  # "pixels" and one entry per model
    vs_pixels: dict[str, KnnComparison] | None = None  # one entry per model; None: re-run 03


def autoencode_record(
    cfg: Any,
    table: pd.DataFrame,
    histories: Mapping[str, Mapping[str, Any]],
    knn: Mapping[str, Mapping[str, Any]],
    quality: Mapping[str, Mapping[str, float]] | None = None,
) -> AutoencodeRecord:
    """03's record: ``histories`` maps a model name to its ``train_loss``/``val_recon`` lists (and
    ``epoch_seconds``, when timed), ``knn`` a space name (``pixels``, ``dae`` ...) to
    :func:`artdl.autoencode.knn_label_accuracy`, ``quality`` a model name to
    :func:`artdl.autoencode.reconstruction_quality` on the test split."""
    datasets = sorted(str(d) for d in table["dataset"].unique())
    quality = quality or {}
    stats = StatsConfig.from_config(cfg)
    return AutoencodeRecord(
        provenance=Provenance(dataset=" + ".join(datasets), split="test"),
        collection=CollectionInfo(
            n=len(table),
            datasets=datasets,
            image_size=int(cfg.autoencode.image_size),
            splits={str(k): int(v) for k, v in table["split"].value_counts().sort_index().items()},
        ),
        models={
            name: AutoencoderRun(
                epochs=len(h["train_loss"]),
                final_train_loss=float(h["train_loss"][-1]),
                val_recon_mse=float(h["val_recon"][-1]),
                latent_dim=int(cfg.autoencode.latent_dim),
                test_psnr=quality.get(name, {}).get("psnr"),
                test_ssim=quality.get(name, {}).get("ssim"),
                train_seconds=float(sum(h["epoch_seconds"])) if h.get("epoch_seconds") else None,
            )
            for name, h in histories.items()
        },
        knn={
            name: KnnScore(**{k: r[k] for k in ("accuracy", "chance", "n_test", "k", "low", "high")})
            for name, r in knn.items()
        },
        vs_pixels={name: KnnComparison(**c) for name, c in versus_pixels(knn, stats).items()},
    )
