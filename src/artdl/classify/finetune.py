"""Fine-tuning a classifier: head first, then the network, keeping the best validation epoch.

The recipe is the standard one for transfer learning on a small data set:

1. **Head first.** With the backbone frozen, the new linear head is trained on pooled features
   that are computed once (no augmentation). This *is* a linear probe, and it gives the fine-tune a
   head that is no longer random, so early gradients don't wreck the pretrained features.
2. **Then the net.** The last ``unfreeze_stages`` stages (all with -1) and the head are trained
   with AdamW, a one-cycle schedule with warm-up, label smoothing and painting-friendly
   augmentation. With ``frozen_cache`` the frozen stages run once and only the top trains, on
   their cached output (:mod:`artdl.classify.frozen_trunk`): several epochs at 224 px on a CPU.

A baseline can be given a wall-time budget instead of epochs (``max_seconds``): the learning-rate
schedule then follows the elapsed share of the budget, so a slower model is not cut off at the top
of its schedule.

Speed options (``precision``, ``channels_last``, ``compile``) change how fast a step runs, not what
it computes; ``benchmarks/bench_finetune.py`` checks that. The checkpoint with the best validation
accuracy is written whenever it improves, and every epoch is a row of the returned history.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from artdl.classify.evaluation import evaluate, predict
from artdl.classify.frozen_trunk import ActivationCache
from artdl.classify.frozen_trunk import cache_precision as resolve_cache_precision
from artdl.core import autocast
from artdl.models import Classifier, save_classifier, set_trainable_stages

__all__ = ["FitResult", "extract_pooled", "fit", "train_head_on_features"]


@dataclass
class FitResult:
    name: str
    history: pd.DataFrame
    best_val_acc: float
    checkpoint: Path | None
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


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


def _train_mode(model: Classifier, freeze_bn: bool = False) -> None:
    """Train mode for the trainable parts only: frozen stages keep their batch-norm statistics.

    With ``freeze_bn`` every batch-norm layer stays in eval mode (its pretrained running statistics
    are used, its affine weights still train): with small batches of paintings the batch statistics
    differ from ImageNet's, and switching them on at once moves every feature the head was fitted to.
    """
    model.train()
    for stage in model.stages:
        if not any(p.requires_grad for p in stage.parameters()):
            stage.eval()
    if freeze_bn:
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()


def one_cycle_factor(progress: float, warmup: float) -> float:
    """OneCycleLR's shape as a function of the share of training done: cosine up from 1/25 over
    ``warmup``, then cosine down to 1/25e4 of the peak (used when the budget is wall time)."""
    p = min(max(progress, 0.0), 1.0)
    if p < warmup:
        return 1 / 25 + (1 - 1 / 25) * (1 - math.cos(math.pi * p / warmup)) / 2
    rest = (p - warmup) / max(1e-9, 1 - warmup)
    return 1 / 25e4 + (1 - 1 / 25e4) * (1 + math.cos(math.pi * rest)) / 2


@dataclass
class _Fit:
    """One fit's state: the model, where batches come from, the history and the best weights."""

    model: Classifier
    loaders: dict[str, Any]
    device: torch.device
    precision: str
    memory_format: torch.memory_format
    checkpoint: str | Path | None
    meta: dict[str, Any]
    cache: ActivationCache | None = None
    started: float = field(default_factory=time.perf_counter)
    rows: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    best_acc: float = -1.0
    best_state: dict[str, torch.Tensor] | None = None

    def scores(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """(logits, targets) of a split: from the activation cache when there is one."""
        if self.cache is not None and split in self.cache.splits:
            logits, targets = self.cache.logits(split)
            return logits.numpy(), targets.numpy()
        return predict(self.model, self.loaders[split], self.device, self.precision)

    def validate(
        self, epoch: int, phase: str, train_loss: float, train_acc: float, lr: float, speed: float
    ) -> float:
        logits, targets = self.scores("val")
        val_loss = float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets)))
        val_acc = float((logits.argmax(1) == targets).mean())
        self.rows.append(
            {
                "epoch": epoch, "phase": phase, "train_loss": train_loss, "train_acc": train_acc,
                "val_loss": val_loss, "val_acc": val_acc, "lr": lr, "images_per_s": speed,
                "seconds": time.perf_counter() - self.started,
            }
        )  # fmt: skip
        if val_acc > self.best_acc:
            self.best_acc = val_acc
            self.extra["kept"] = {"epoch": epoch, "phase": phase, "val_acc": val_acc}
            self.best_state = {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
            if self.checkpoint is not None:
                save_classifier(
                    self.model, self.checkpoint, **self.meta, val_acc=val_acc, epoch=epoch, phase=phase
                )
        return val_acc

    def head_phase(
        self, epochs: int, label_smoothing: float, seed: int, classes: Sequence[str] | None
    ) -> None:
        """Train the head on pooled features computed once (the linear probe), then score it."""
        if self.cache is not None:
            feats, targets = self.cache.pooled("train_eval"), self.cache.targets("train_eval")
        else:
            feats, targets = extract_pooled(
                self.model, self.loaders["train_eval"], self.device, precision=self.precision
            )
        losses = train_head_on_features(
            self.model.head,
            feats,
            targets.to(torch.long),
            epochs=epochs,
            label_smoothing=label_smoothing,
            seed=seed,
        )
        with torch.no_grad():
            train_acc = float(
                (self.model.head(feats.to(self.device)).argmax(1).cpu() == targets).float().mean()
            )
        self.validate(0, "head", losses[-1], train_acc, 1e-2, float("nan"))
        if "test" in self.loaders and classes is not None:
            # The head phase is a linear probe: its held-out result, before fine-tuning moves on.
            self.extra["linear_probe"] = evaluate(*self.scores("test"), classes)

    def batches(self, generator: torch.Generator) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
        if self.cache is not None:
            return self.cache.batches(self.loaders["train"].batch_size, generator)
        return (
            (
                xb.to(self.device, non_blocking=True, memory_format=self.memory_format),
                yb.to(self.device, non_blocking=True),
            )
            for xb, yb in self.loaders["train"]
        )


def _optimizer(
    model: Classifier, lr: float, backbone_lr_mult: float, weight_decay: float
) -> torch.optim.AdamW:
    head_params = list(model.head.parameters())
    body_params = [p for p in model.features.parameters() if p.requires_grad]
    return torch.optim.AdamW(
        [{"params": head_params, "lr": lr}, {"params": body_params, "lr": lr * backbone_lr_mult}],
        weight_decay=weight_decay,
    )


def _schedule(
    opt: torch.optim.Optimizer,
    total_steps: int,
    max_seconds: float,
    warmup: float,
    clock: Callable[[], float],
) -> Any:
    """OneCycle over ``total_steps``, or over the wall-time budget when ``max_seconds`` > 0."""
    if max_seconds > 0:
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda _: one_cycle_factor(clock() / max_seconds, warmup)
        )
    peaks = [g["lr"] for g in opt.param_groups]
    return torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=peaks, total_steps=total_steps, pct_start=warmup, anneal_strategy="cos"
    )


def _finetune_phase(
    run: _Fit,
    name: str,
    epochs: int,
    opt: torch.optim.Optimizer,
    loss_fn: nn.Module,
    max_seconds: float,
    warmup: float,
    seed: int,
    freeze_bn: bool,
    compile: bool,
    progress: bool,
) -> None:
    """Epochs of (partial) fine-tuning, validated after each; a time budget may stop one early."""
    model = run.model
    steps_per_epoch = max(1, len(run.loaders["train"]))
    run.extra["optimizer_steps"] = 0
    run.extra["batch_size"] = getattr(run.loaders["train"], "batch_size", None)
    phase_start = time.perf_counter()
    sched = _schedule(
        opt, max(1, epochs * steps_per_epoch), max_seconds, warmup, lambda: time.perf_counter() - phase_start
    )
    forward = (
        run.cache.train_forward if run.cache is not None else (torch.compile(model) if compile else model)
    )
    generator = torch.Generator().manual_seed(seed)
    bar = tqdm(range(1, (epochs if max_seconds <= 0 else 10_000) + 1), desc=name, disable=not progress)
    for epoch in bar:
        _train_mode(model, freeze_bn)
        seen, loss_sum, correct, epoch_start = 0, 0.0, 0, time.perf_counter()
        for xb, yb in run.batches(generator):
            with autocast(run.device, run.precision):
                logits = forward(xb)
                loss = loss_fn(logits.float(), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            run.extra["optimizer_steps"] += 1
            seen += len(yb)
            loss_sum += float(loss.detach()) * len(yb)
            correct += int((logits.argmax(1) == yb).sum())
            if max_seconds > 0 and time.perf_counter() - phase_start >= max_seconds:
                break
        speed = seen / (time.perf_counter() - epoch_start)  # loading included: what a user waits
        val_acc = run.validate(epoch, "finetune", loss_sum / max(1, seen), correct / max(1, seen),
                               sched.get_last_lr()[0], speed)  # fmt: skip
        bar.set_postfix(loss=f"{loss_sum / max(1, seen):.3f}", val_acc=f"{val_acc:.3f}")
        if max_seconds > 0 and time.perf_counter() - phase_start >= max_seconds:
            break
    bar.close()


def _after_finetuning(run: _Fit, classes: Sequence[str] | None) -> None:
    """Unfreeze everything again and, before the best weights come back, score the last epoch on
    the test split: a fine-tune that never beat its head-only start on validation stays visible."""
    for p in run.model.parameters():
        p.requires_grad_(True)
    if "test" in run.loaders and classes is not None:
        run.extra["last_epoch"] = evaluate(*run.scores("test"), classes)


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
    warmup: float = 0.15,
    freeze_bn: bool = False,
    frozen_cache: bool = False,
    cache_precision: str = "auto",
    max_seconds: float = 0.0,
) -> FitResult:
    """Head-first then (partial) fine-tuning; keeps the best-val-accuracy weights (see the module doc).

    ``head_epochs`` > 0 trains the head on pooled features first (= the linear probe; skip it for a
    scratch model). ``checkpoint`` is written with ``meta`` whenever validation accuracy improves.
    With ``probe_classes``, ``extra`` gets the test metrics of the probe (``linear_probe``) and of
    the last epoch (``last_epoch``), and the kept weights' test ``(logits, targets)``
    (``test_scores``). ``frozen_cache`` trains the last ``unfreeze_stages`` on cached trunk
    activations, everything of it (trunk pass, training and scoring the top) in ``cache_precision``
    (``auto``: bf16 where native, :func:`~artdl.classify.frozen_trunk.cache_precision`); ``max_seconds`` > 0
    trains for that wall time instead of ``epochs``. ``precision`` is that of training from images
    (no cache): ``auto`` (bf16 on CUDA only), ``bf16`` or ``fp32``. ``extra`` also says which
    epoch was kept (``kept``) and counts the optimizer steps (``optimizer_steps``).
    """
    autocast(device, precision)  # fail early on a bad precision name
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device, memory_format=memory_format)
    run = _Fit(model, loaders, device, precision, memory_format, checkpoint, meta or {})
    run.extra.update(
        precision=precision, channels_last=channels_last, compile=compile, frozen_cache=frozen_cache
    )
    if frozen_cache:
        run.precision = resolve_cache_precision(cache_precision, torch.device(device))
        run.extra["cache_precision"] = run.precision
        run.cache = ActivationCache.build(
            model, unfreeze_stages, loaders, device, precision=run.precision, trunk=run.precision,
            memory_format=memory_format, progress=progress,
        )  # fmt: skip
        run.extra["trunk_seconds"] = time.perf_counter() - run.started
    if head_epochs > 0:
        run.head_phase(head_epochs, label_smoothing, seed, probe_classes)
    if epochs > 0 or max_seconds > 0:
        set_trainable_stages(model, unfreeze_stages)
        opt = _optimizer(model, lr, backbone_lr_mult, weight_decay)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        _finetune_phase(
            run, name, epochs, opt, loss_fn, max_seconds, warmup, seed, freeze_bn, compile, progress
        )
        _after_finetuning(run, probe_classes)
    if run.best_state is not None:
        model.load_state_dict(run.best_state)
    if "test" in loaders and probe_classes is not None:
        run.extra["test_scores"] = run.scores("test")  # the kept weights' (logits, targets)
    run.cache = None  # free the activations
    model.to(memory_format=torch.contiguous_format).eval()
    seconds = time.perf_counter() - run.started
    return FitResult(
        name, pd.DataFrame(run.rows), run.best_acc, checkpoint and Path(checkpoint), seconds, run.extra
    )
