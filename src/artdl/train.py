"""Fine-tuning and evaluating classifiers.

The recipe is the standard one for transfer learning on a small data set:

1. **Head first.** With the backbone frozen, the new linear head is trained on pooled features
   that are computed once (no augmentation). This *is* a linear probe, and it gives the full
   fine-tune a head that is no longer random, so early gradients don't wreck the pretrained
   features.
2. **Then the net.** The last ``unfreeze_stages`` stages (all with -1) and the head are trained
   with AdamW, a cosine schedule, label smoothing and painting-friendly augmentation. The backbone
   gets a lower learning rate than the head. Mixed precision (bf16) is used on a GPU.

Speed options (``precision``, ``channels_last``, ``compile``) change how fast a step runs, not what
it computes; ``benchmarks/bench_finetune.py`` checks that on a short fine-tune, and
``benchmarks/bench_classifier.py`` measures the step alone.

The checkpoint with the best validation accuracy is kept (``models/classifier/<run>.pt``) and
every epoch is logged to a history CSV.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from artdl import data
from artdl.models.classifier import Classifier, normalization_for, save_classifier, set_trainable_stages
from artdl.utils import autocast

__all__ = [
    "FitResult",
    "evaluate",
    "extract_pooled",
    "fit",
    "make_loaders",
    "most_confused_pairs",
    "predict",
    "train_head_on_features",
]


def make_loaders(
    table: pd.DataFrame,
    classes: Sequence[str],
    backbone: str,
    image_size: int,
    batch_size: int = 32,
    balanced: bool = False,
    num_workers: int = 0,
    seed: int = 0,
    crop_scale: Sequence[float] = (0.6, 1.0),
    jitter: float = 0.1,
    cache: str = "none",
    cache_side: int = 256,
    progress: bool = True,
) -> dict[str, Any]:
    """``train`` (augmented, shuffled or balanced), ``train_eval``, ``val`` and ``test`` loaders.

    ``cache`` decides what a step decodes: ``none`` (the original files), ``jpeg`` (copies resized
    once to a short side of ``cache_side``, :func:`artdl.data.cache_resized`) or ``tensors`` (one
    uint8 array of ``cache_side`` squares, :func:`artdl.data.cache_tensors`: no decoding at all).
    ``benchmarks/bench_data.py`` measures the three. Building a cache (once) shows a progress bar.
    """
    if cache not in ("none", "jpeg", "tensors"):
        raise ValueError(f"cache={cache!r}: use none, jpeg or tensors (data.cache in the config).")
    tensors = None
    if cache == "jpeg":
        table = data.cache_resized(table, int(cache_side), progress=progress)
    elif cache == "tensors":
        table, tensors = data.cache_tensors(table, int(cache_side), progress=progress)
    as_tensors = tensors is not None
    mean, std = normalization_for(backbone)
    train_tf = data.train_transform(
        image_size, mean, std, scale=tuple(crop_scale), jitter=jitter, tensors=as_tensors
    )
    eval_tf = data.eval_transform(image_size, mean, std, tensors=as_tensors)
    parts = {s: table[table["split"] == s] for s in ("train", "val", "test")}
    for name, part in parts.items():
        if part.empty:
            raise data.DataError(f"The {name} split is empty; check data.split settings.")
    loaders = {
        "train": data.make_loader(
            data.ArtworkDataset(parts["train"], classes, train_tf, tensors),
            batch_size,
            shuffle=True,
            balanced=balanced,
            num_workers=num_workers,
            seed=seed,
            drop_last=len(parts["train"]) > batch_size,
        ),
        "train_eval": data.make_loader(
            data.ArtworkDataset(parts["train"], classes, eval_tf, tensors),
            batch_size,
            num_workers=num_workers,
        ),
    }
    for name in ("val", "test"):
        loaders[name] = data.make_loader(
            data.ArtworkDataset(parts[name], classes, eval_tf, tensors), batch_size, num_workers=num_workers
        )
    return loaders


@torch.no_grad()
def extract_pooled(
    model: Classifier,
    loader: Any,
    device: torch.device,
    progress: bool = False,
    precision: str = "auto",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pooled backbone features and targets for every image of a loader (model in eval mode)."""
    model.eval().to(device)
    feats, targets = [], []
    for xb, yb in tqdm(loader, desc="features", disable=not progress, leave=False):
        with autocast(device, precision):
            feats.append(model.pooled(xb.to(device)).float().cpu())
        targets.append(yb)
    return torch.cat(feats), torch.cat(targets)


def train_head_on_features(
    head: nn.Linear,
    features: torch.Tensor,
    targets: torch.Tensor,
    epochs: int = 100,
    lr: float = 1e-2,
    weight_decay: float = 1e-4,
    label_smoothing: float = 0.1,
    batch_size: int = 256,
    seed: int = 0,
) -> list[float]:
    """Train a linear head on fixed features (a linear probe); returns the loss per epoch."""
    generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * math.ceil(len(features) / batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    device = head.weight.device
    features, targets = features.to(device), targets.to(device)
    losses = []
    head.train()
    for _ in range(epochs):
        order = torch.randperm(len(features), generator=generator).to(device)
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            loss = loss_fn(head(features[idx]), targets[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / len(features))
    return losses


@torch.no_grad()
def predict(
    model: nn.Module, loader: Any, device: torch.device, precision: str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """Logits (N x classes) and targets (N) for a loader."""
    model.eval().to(device)
    logits, targets = [], []
    for xb, yb in loader:
        with autocast(device, precision):
            logits.append(model(xb.to(device)).float().cpu())
        targets.append(yb)
    return torch.cat(logits).numpy(), torch.cat(targets).numpy()


def evaluate(logits: np.ndarray, targets: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """Top-1, top-3, macro-F1, per-class accuracy and the confusion matrix (rows = true)."""
    from sklearn.metrics import confusion_matrix, f1_score, top_k_accuracy_score

    labels = list(range(len(classes)))
    pred = logits.argmax(1)
    cm = confusion_matrix(targets, pred, labels=labels)
    per_class = {
        c: float(cm[i, i] / cm[i].sum()) if cm[i].sum() else float("nan") for i, c in enumerate(classes)
    }
    k = min(3, len(classes))
    return {
        "n": int(len(targets)),
        "top1": float((pred == targets).mean()),
        f"top{k}": float(top_k_accuracy_score(targets, logits, k=k, labels=labels))
        if len(classes) > 2
        else 1.0,
        "macro_f1": float(f1_score(targets, pred, labels=labels, average="macro", zero_division=0)),
        "per_class_accuracy": per_class,
        "confusion_matrix": cm.tolist(),
        "classes": list(classes),
    }


def most_confused_pairs(
    confusion: Sequence[Sequence[int]], classes: Sequence[str], k: int = 5
) -> pd.DataFrame:
    """The k largest off-diagonal cells: (true, predicted, count, share of the true class)."""
    cm = np.asarray(confusion)
    rows = [
        {
            "true": classes[i],
            "predicted": classes[j],
            "count": int(cm[i, j]),
            "share of true": cm[i, j] / max(1, cm[i].sum()),
        }
        for i in range(len(classes))
        for j in range(len(classes))
        if i != j and cm[i, j] > 0
    ]
    out = pd.DataFrame(rows, columns=["true", "predicted", "count", "share of true"])
    return out.sort_values("count", ascending=False).head(k).reset_index(drop=True)


@dataclass
class FitResult:
    name: str
    history: pd.DataFrame
    best_val_acc: float
    checkpoint: Path | None
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def _train_mode(model: Classifier) -> None:
    """Train mode for the trainable parts only: frozen stages keep their batch-norm statistics."""
    model.train()
    for stage in model.stages:
        if not any(p.requires_grad for p in stage.parameters()):
            stage.eval()


def fit(
    model: Classifier,
    loaders: dict[str, Any],
    device: torch.device,
    *,
    name: str,
    epochs: int,
    head_epochs: int = 0,
    unfreeze_stages: int = -1,
    lr: float = 1e-3,
    backbone_lr_mult: float = 0.1,
    weight_decay: float = 0.05,
    label_smoothing: float = 0.1,
    checkpoint: str | Path | None = None,
    meta: dict[str, Any] | None = None,
    seed: int = 0,
    progress: bool = True,
    probe_classes: Sequence[str] | None = None,
    precision: str = "auto",
    channels_last: bool = False,
    compile: bool = False,
) -> FitResult:
    """Head-first then (partial) full fine-tuning; keeps the best-val-accuracy weights.

    ``head_epochs`` > 0 trains the head on cached features first (skip it for a scratch model,
    whose random features are not worth probing). ``checkpoint`` is written with ``meta`` via
    :func:`artdl.models.classifier.save_classifier` whenever validation accuracy improves.
    With ``probe_classes``, the head-only model is also evaluated on ``loaders["test"]`` and the
    metrics are returned in ``extra["linear_probe"]``, and the last fine-tuning epoch's test metrics
    in ``extra["last_epoch"]``. The model ends with the best weights loaded.

    ``precision`` is ``auto`` (bf16 autocast on CUDA only), ``bf16`` or ``fp32``; ``channels_last``
    stores activations NHWC, which tensor cores prefer; ``compile`` runs the training forward
    through ``torch.compile`` (evaluation stays eager, so no recompilation for eval mode).
    The fine-tuning phase's throughput is logged per epoch as ``images_per_s``.
    """
    started = time.perf_counter()
    extra: dict[str, Any] = {"precision": precision, "channels_last": channels_last, "compile": compile}
    autocast(device, precision)  # fail early on a bad precision name
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device, memory_format=memory_format)
    rows: list[dict[str, Any]] = []
    best_acc, best_state = -1.0, None

    def validate(
        epoch: int, phase: str, train_loss: float, train_acc: float, lr_now: float, speed: float
    ) -> None:
        nonlocal best_acc, best_state
        logits, targets = predict(model, loaders["val"], device, precision)
        val_loss = float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets)))
        val_acc = float((logits.argmax(1) == targets).mean())
        rows.append(
            {
                "epoch": epoch,
                "phase": phase,
                "train_loss": train_loss,
                "train_acc": train_acc,
                "val_loss": val_loss,
                "val_acc": val_acc,
                "lr": lr_now,
                "images_per_s": speed,
                "seconds": time.perf_counter() - started,
            }
        )
        if val_acc > best_acc:
            best_acc = val_acc
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            if checkpoint is not None:
                save_classifier(model, checkpoint, **(meta or {}), val_acc=val_acc, epoch=epoch, phase=phase)

    if head_epochs > 0:
        feats, targets = extract_pooled(model, loaders["train_eval"], device, precision=precision)
        losses = train_head_on_features(
            model.head,
            feats,
            targets.to(torch.long),
            epochs=head_epochs,
            label_smoothing=label_smoothing,
            seed=seed,
        )
        with torch.no_grad():
            train_acc = float((model.head(feats.to(device)).argmax(1).cpu() == targets).float().mean())
        validate(0, "head", losses[-1], train_acc, 1e-2, float("nan"))
        if "test" in loaders and probe_classes is not None:
            # The head phase is a linear probe: record its held-out result before fine-tuning moves on.
            extra["linear_probe"] = evaluate(
                *predict(model, loaders["test"], device, precision), probe_classes
            )

    if epochs > 0:
        set_trainable_stages(model, unfreeze_stages)
        head_params = list(model.head.parameters())
        body_params = [p for p in model.features.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(
            [{"params": head_params, "lr": lr}, {"params": body_params, "lr": lr * backbone_lr_mult}],
            weight_decay=weight_decay,
        )
        total_steps = max(1, epochs * len(loaders["train"]))
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt,
            max_lr=[lr, lr * backbone_lr_mult],
            total_steps=total_steps,
            pct_start=0.15,
            anneal_strategy="cos",
        )
        loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        train_model = torch.compile(model) if compile else model
        bar = tqdm(range(1, epochs + 1), desc=name, disable=not progress)
        for epoch in bar:
            _train_mode(model)
            seen, loss_sum, correct = 0, 0.0, 0
            epoch_start = time.perf_counter()
            for xb, yb in loaders["train"]:
                xb = xb.to(device, non_blocking=True, memory_format=memory_format)
                yb = yb.to(device, non_blocking=True)
                with autocast(device, precision):
                    logits = train_model(xb)
                    loss = loss_fn(logits.float(), yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                seen += len(yb)
                loss_sum += float(loss.detach()) * len(yb)
                correct += int((logits.argmax(1) == yb).sum())
            speed = seen / (time.perf_counter() - epoch_start)  # loading included: what a user waits
            validate(epoch, "finetune", loss_sum / seen, correct / seen, sched.get_last_lr()[0], speed)
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", val_acc=f"{rows[-1]['val_acc']:.3f}")
        for p in model.parameters():
            p.requires_grad_(True)

    if epochs > 0 and "test" in loaders and probe_classes is not None:
        # Before the best-val weights come back: the last epoch's test result, so a fine-tune that
        # never beat its head-only start on validation is still visible in the comparison.
        extra["last_epoch"] = evaluate(*predict(model, loaders["test"], device, precision), probe_classes)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.to(memory_format=torch.contiguous_format).eval()
    return FitResult(
        name,
        pd.DataFrame(rows),
        best_acc,
        Path(checkpoint) if checkpoint else None,
        time.perf_counter() - started,
        extra,
    )
