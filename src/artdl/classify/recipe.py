"""What :func:`~artdl.classify.finetune.fit` is told (:class:`FitConfig`) and what it returns (:class:`FitResult`).

``FitConfig`` is the training recipe as one frozen, validated object: built from ``cfg.classify``
with ``FitConfig.from_cfg(cfg.classify, seed=cfg.seed)``, it fails when it is built, naming the key
and its allowed range (``classify.epochs=-1``) from the one table that ``load_config`` checks too
(:data:`artdl.core.RANGES`), instead of deep inside a training loop. ``FitResult`` has one typed field
per thing a caller reads, instead of a dict of strings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from artdl.core import SectionConfig, check_value

__all__ = ["FitConfig", "FitResult"]

PRECISION_NAMES = ("auto", "fp32", "bf16")  # what fit's autocast takes (artdl.core.autocast)

@dataclass(frozen=True)
class FitConfig(SectionConfig):
    """The recipe of one :func:`~artdl.classify.finetune.fit` (``configs/default.yaml`` explains each key).

    The global batch is the training loader's ``batch_size``; under torchrun each of N processes
    takes ``batch_size / (N * grad_accum)`` paintings per micro-batch, so one config is the same
    optimisation on 1 or N processes.
    """

    epochs: int = 1
    head_epochs: int = 0
    unfreeze_stages: int = -1
    lr: float = 1e-3
    backbone_lr_mult: float = 0.1
    weight_decay: float = 0.05
    label_smoothing: float = 0.1
    warmup: float = 0.15
    freeze_bn: bool = False
    precision: str = "auto"
    channels_last: bool = False
    compile: bool = False
    frozen_cache: bool = False
    cache_precision: str = "auto"
    trunk_precision: str = "auto"
    max_seconds: float = 0.0
    seed: int = 0
    grad_accum: int = 1
    sync_batchnorm: bool = False

    SECTION: ClassVar[str] = "classify"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # each field against artdl.core.RANGES, as load_config checks
            if f.name == "epochs" and self.epochs == 0 and self.max_seconds > 0:
                continue  # a time budget (the from-scratch baseline's) trains until the clock runs out
            check_value(self.key_of(f.name), getattr(self, f.name))
        for key in ("precision", "cache_precision", "trunk_precision"):
            if getattr(self, key) not in PRECISION_NAMES:
                raise ValueError(f"classify.{key}={getattr(self, key)!r}: must be one of {', '.join(PRECISION_NAMES)}")
        if self.frozen_cache and self.unfreeze_stages <= 0 and self.epochs > 0:
            raise ValueError(
                f"classify.frozen_cache=true needs classify.unfreeze_stages > 0 (got {self.unfreeze_stages}): "
                "the cached trunk is what stays frozen."
            )

    def replace(self, **changes: Any) -> FitConfig:
        """A copy with ``changes``, validated again."""
        return dataclasses.replace(self, **changes)


@dataclass
class FitResult:
    """What a fit did: its history, the kept epoch, test scores and how long it took.

    ``linear_probe``, ``last_epoch`` and ``test_scores`` are set when ``fit`` was given the class
    names (``probe_classes``) and a test loader; ``trunk_seconds``, ``cache_precision`` (the top's)
    and ``trunk_precision`` (the trunk pass's) when it trained on cached trunk activations;
    ``budget`` is the from-scratch baseline's, in words.
    """

    name: str
    history: pd.DataFrame
    best_val_acc: float
    checkpoint: Path | None
    seconds: float
    config: FitConfig = field(default_factory=FitConfig)
    optimizer_steps: int = 0
    batch_size: int | None = None  # the global batch of one optimizer step
    world_size: int = 1
    kept: dict[str, Any] = field(default_factory=dict)  # epoch, phase, val_acc of the kept weights
    linear_probe: dict[str, Any] | None = None
    last_epoch: dict[str, Any] | None = None
    test_scores: tuple[np.ndarray, np.ndarray] | None = None  # the kept weights' (logits, targets)
    trunk_seconds: float | None = None
    cache_precision: str | None = None  # the top's, as resolved (bf16 or fp32)
    trunk_precision: str | None = None  # the trunk pass's, as resolved
    budget: str | None = None


def _meta(cfg: Any, classes: Sequence[str], backbone: str | None = None) -> dict[str, Any]:
    """A checkpoint's metadata; ``split`` is the ``data.split`` it trained on, so 04 can tell
    whether the split it scores is the one whose test paintings this model never saw."""
    from omegaconf import OmegaConf

    c = cfg.classify
    return {"backbone": backbone or c.backbone, "classes": list(classes), "image_size": c.image_size,
            "dataset": c.dataset, "split": OmegaConf.to_container(cfg.data.split, resolve=True)}  # fmt: skip
