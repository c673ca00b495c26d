"""02's baseline: the same architecture from random weights, on one of the fine-tune's budgets.

What ImageNet pretraining is worth depends on what the from-scratch run is allowed: the
fine-tune's wall time (``classify.scratch.budget=time``, fair when the fine-tune trains only the
top on cached activations, so each of its steps is cheap) or its number of optimizer steps
(``steps``), or both, each named in the table (:func:`scratch_label`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from artdl.classify.finetune import fit
from artdl.classify.recipe import FitConfig, FitResult, _meta
from artdl.models import build_classifier

__all__ = [
    "scratch_baseline",
    "scratch_baselines",
    "scratch_budgets",
    "scratch_epochs",
    "scratch_label",
]


def scratch_epochs(cfg_classify: Any) -> int:
    """Epochs of a step-budget scratch baseline: ``scratch.epochs``, or the fine-tune's when 0.

    Both runs share the training loader (same images, batch size, ``drop_last``), so equal epochs
    mean an equal number of optimizer steps, every one of them over all layers of the scratch net.
    """
    n = cfg_classify.scratch.epochs
    return n if n > 0 else cfg_classify.epochs


SCRATCH_BUDGETS = ("time", "steps", "both")
SCRATCH_MODEL = {"time": "from scratch, same time", "steps": "from scratch, same steps"}


def scratch_budgets(cfg_classify: Any) -> tuple[str, ...]:
    """The budgets ``classify.scratch.budget`` asks for: ``("time",)``, ``("steps",)`` or both.

    Checked before any training, so a typo fails in a second, not after the fine-tune.
    """
    budget = cfg_classify.scratch.budget
    if budget not in SCRATCH_BUDGETS:
        raise ValueError(f"classify.scratch.budget={budget!r}: use time, steps or both.")
    return ("time", "steps") if budget == "both" else (str(budget),)


def scratch_label(budget: str, finetune: FitResult, scratch: FitResult) -> str:
    """The budget as the table names it: "same 103 s, 43 steps" or "same 612 steps, 1467 s"."""
    if budget == "time":
        return f"same {finetune.seconds:.0f} s, {scratch.optimizer_steps} steps"
    return f"same {scratch.optimizer_steps} steps, {scratch.seconds:.0f} s"


def scratch_baseline(
    cfg: Any, loaders: dict[str, Any], classes: Sequence[str], device: torch.device, out_dir: str | Path,
    finetune: FitResult, progress: bool = True, budget: str | None = None,
) -> tuple[Any, FitResult]:  # fmt: skip
    """The same architecture from random weights, every layer trained, on one of the fine-tune's budgets.

    ``budget`` (default: ``classify.scratch.budget``, which must then be one budget) is ``time``
    (the fine-tune's wall time, trunk pass included: the fair comparison when the fine-tune
    trains only the top on cached activations) or ``steps`` (its number of optimizer steps, from
    the same loader). Writes ``<out_dir>/scratch.pt`` (``scratch_steps.pt`` for ``steps``).
    """
    c = cfg.classify
    budget = budget or c.scratch.budget
    if budget not in SCRATCH_MODEL:
        raise ValueError(f"scratch budget {budget!r}: one run takes time or steps (both: scratch_baselines).")
    name = c.backbone if str(c.backbone).startswith("scratch") else f"scratch_{c.backbone}"
    model = build_classifier(name, len(classes))
    by_time = budget == "time"
    recipe = FitConfig.from_cfg(c, seed=cfg.seed).replace(
        epochs=scratch_epochs(c), max_seconds=finetune.seconds if by_time else 0.0,  # a time budget ignores epochs
        head_epochs=0, unfreeze_stages=-1, lr=c.scratch.lr, backbone_lr_mult=1.0, freeze_bn=False,
        frozen_cache=False,
    )  # fmt: skip
    checkpoint = Path(out_dir) / ("scratch.pt" if by_time else "scratch_steps.pt")
    result = fit(
        model, loaders, recipe, device, name=SCRATCH_MODEL[budget], checkpoint=checkpoint,
        meta=_meta(cfg, classes, name), progress=progress,
    )  # fmt: skip
    kind = "same wall time as the fine-tune" if by_time else "same optimizer steps as the fine-tune"
    result.budget = f"{kind} ({scratch_label(budget, finetune, result)}), every step over all layers"
    return model, result


def scratch_baselines(
    cfg: Any, loaders: dict[str, Any], classes: Sequence[str], device: torch.device, out_dir: str | Path,
    finetune: FitResult, progress: bool = True,
) -> dict[str, tuple[Any, FitResult]]:  # fmt: skip
    """Every baseline ``classify.scratch.budget`` asks for, by budget (``time``, ``steps``)."""
    return {
        budget: scratch_baseline(cfg, loaders, classes, device, out_dir, finetune, progress, budget)
        for budget in scratch_budgets(cfg.classify)
    }
