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
schedule then follows the elapsed share of it, so a slower model is not cut off at its peak.

Speed options (``precision``, ``channels_last``, ``compile``) change how fast a step runs, not what
it computes (``benchmarks/bench_finetune.py``). The best validation epoch's checkpoint is written
whenever it improves; every epoch is a row of the returned history.

**Data parallel.** Started by ``torchrun`` (``python -m artdl.classify``, docs/distributed.md), the
training from images runs on N processes with DistributedDataParallel
(:mod:`artdl.core.distributed`): each rank takes ``batch / (N x grad_accum)`` paintings of every
optimizer step from a ``DistributedSampler``, validation and test scores are gathered in loader
order, and rank 0 alone writes the checkpoint and shows progress. The training loader is re-sharded
this way on one process too, so one config is the same optimisation on 1 or N. The frozen-trunk
cache (the CPU default) stays single-process.
"""

from __future__ import annotations

import contextlib
import itertools
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
from artdl.classify.recipe import FitConfig, FitResult
from artdl.core import autocast, distributed, training_precision
from artdl.models import Classifier, save_classifier, set_trainable_stages

__all__ = ["extract_pooled", "fit", "train_head_on_features"]


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
    totals = []
    head.train()
    for _ in range(epochs):
        order = torch.randperm(len(features), generator=generator).to(device)
        total = torch.zeros((), device=device)
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            loss = loss_fn(head(features[idx]), targets[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.detach() * len(idx)
        totals.append(total)
    return (torch.stack(totals) / len(features)).tolist() if totals else []  # one host sync, at the end


def _train_mode(model: Classifier, freeze_bn: bool = False) -> None:
    """Train mode for the trainable parts only: frozen stages keep their batch-norm statistics.
    ``freeze_bn`` keeps every batch norm in eval mode (affine weights still train): small batches of
    paintings have other statistics than ImageNet's, and switching to them moves every feature."""
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
    config: FitConfig
    checkpoint: str | Path | None
    meta: dict[str, Any]
    precision: str = "auto"
    cache: ActivationCache | None = None
    started: float = field(default_factory=time.perf_counter)
    rows: list[dict[str, Any]] = field(default_factory=list)
    best_acc: float = -1.0
    best_state: dict[str, torch.Tensor] | None = None
    kept: dict[str, Any] = field(default_factory=dict)
    linear_probe: dict[str, Any] | None = None
    last_epoch: dict[str, Any] | None = None
    optimizer_steps: int = 0
    batch_size: int | None = None
    trunk_seconds: float | None = None

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.config.channels_last else torch.contiguous_format

    @property
    def comm(self) -> torch.device:
        """Where collectives run: the GPU under NCCL, the CPU under gloo."""
        return self.device if self.device.type == "cuda" else torch.device("cpu")

    def scores(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """(logits, targets) of a split: from the activation cache when there is one, else each rank
        scores its share and the shares are put back in loader order (every painting once)."""
        if self.cache is not None and split in self.cache.splits:
            logits, targets = self.cache.logits(split)
            return logits.numpy(), targets.numpy()
        loader = self.loaders[split]
        logits, targets = predict(self.model, distributed.eval_loader(loader), self.device, self.precision)
        return self._gathered(loader, torch.from_numpy(logits), torch.from_numpy(targets))

    def _gathered(self, loader: Any, *local: torch.Tensor) -> Any:
        if distributed.world_size() == 1:
            return tuple(t.numpy() for t in local)
        n = len(loader.dataset)
        return tuple(distributed.gather_ordered(t, n, self.comm).numpy() for t in local)

    def validate(self, epoch: int, phase: str, train: tuple[float, float], lr: float, speed: float,
                 done: float = 1.0) -> float:  # fmt: skip
        """Score the validation split, add the epoch's row (``epoch_done``: the share of it trained
        before a time budget stopped it); keep (and save, on rank 0) a better model."""
        logits, targets = self.scores("val")
        val_loss = float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(targets)))
        val_acc = float((logits.argmax(1) == targets).mean())
        self.rows.append(
            {
                "epoch": epoch, "phase": phase, "train_loss": train[0], "train_acc": train[1],
                "val_loss": val_loss, "val_acc": val_acc, "lr": lr, "images_per_s": speed,
                "seconds": time.perf_counter() - self.started, "epoch_done": done,
            }
        )  # fmt: skip
        if val_acc > self.best_acc:
            self.best_acc = val_acc
            self.kept = {"epoch": epoch, "phase": phase, "val_acc": val_acc}
            self.best_state = {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
            if self.checkpoint is not None and distributed.is_main():
                save_classifier(
                    self.model, self.checkpoint, **self.meta, val_acc=val_acc, epoch=epoch, phase=phase
                )
        return val_acc

    def head_phase(self, classes: Sequence[str] | None) -> None:
        """Train the head on pooled features computed once (the linear probe), then score it.

        Under torchrun each rank pools its share and all ranks train the same head on the gathered
        features; DDP then starts the fine-tune from rank 0's copy.
        """
        c = self.config
        if self.cache is not None:
            feats, targets = self.cache.pooled("train_eval"), self.cache.targets("train_eval")
        else:
            loader = self.loaders["train_eval"]
            local = extract_pooled(
                self.model, distributed.eval_loader(loader), self.device, precision=self.precision
            )
            feats, targets = (torch.from_numpy(t) for t in self._gathered(loader, *local))
        losses = train_head_on_features(
            self.model.head, feats, targets.to(torch.long), epochs=c.head_epochs,
            label_smoothing=c.label_smoothing, seed=c.seed,
        )  # fmt: skip
        with torch.no_grad():
            train_acc = float(
                (self.model.head(feats.to(self.device)).argmax(1).cpu() == targets).float().mean()
            )
        self.validate(0, "head", (losses[-1], train_acc), 1e-2, float("nan"))
        if "test" in self.loaders and classes is not None:
            # The head phase is a linear probe: its held-out result, before fine-tuning moves on.
            self.linear_probe = evaluate(*self.scores("test"), classes)

    def train_source(self) -> tuple[Any, int]:
        """The training batches' loader (re-sharded for data-parallel steps) and micro-batch size."""
        loader, accum = self.loaders["train"], self.config.grad_accum
        if self.cache is not None:
            return None, distributed.local_batch(loader.batch_size, "classify.batch_size", accum)
        if isinstance(loader.sampler, torch.utils.data.WeightedRandomSampler):
            if distributed.world_size() > 1 or accum > 1:  # a weighted sampler draws for one process
                raise ValueError("classify.balanced=true works on one process without grad_accum; set it false.")
            return loader, loader.batch_size
        sharded = distributed.train_loader(loader, loader.batch_size, self.config.seed, "classify.batch_size", accum)
        return sharded, sharded.batch_size  # fmt: skip

    def batches(self, loader: Any, micro: int, generator: torch.Generator) -> Iterable[Any]:
        if self.cache is not None:
            return self.cache.batches(micro, generator)
        to = {"device": self.device, "non_blocking": True}
        return ((xb.to(**to, memory_format=self.memory_format), yb.to(**to)) for xb, yb in loader)


def _optimizer(model: Classifier, c: FitConfig) -> torch.optim.AdamW:
    head_params = list(model.head.parameters())
    body_params = [p for p in model.features.parameters() if p.requires_grad]
    return torch.optim.AdamW(
        [{"params": head_params, "lr": c.lr}, {"params": body_params, "lr": c.lr * c.backbone_lr_mult}],
        weight_decay=c.weight_decay,
    )


def _schedule(opt: torch.optim.Optimizer, steps: int, max_seconds: float, warmup: float,
              clock: Callable[[], float]) -> Any:  # fmt: skip
    """OneCycle over ``steps``, or over the wall-time budget when ``max_seconds`` > 0."""
    if max_seconds > 0:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: one_cycle_factor(clock() / max_seconds, warmup))  # fmt: skip
    peaks = [g["lr"] for g in opt.param_groups]
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=peaks, total_steps=steps, pct_start=warmup,
                                               anneal_strategy="cos")  # fmt: skip


def _finetune_phase(run: _Fit, name: str, opt: torch.optim.Optimizer, progress: bool) -> None:
    """Epochs of (partial) fine-tuning, validated after each; a time budget may stop one early.

    An epoch's loss, accuracy and count stay on the device, read (and summed over ranks) once per
    epoch: a CUDA step never waits for the host. ``grad_accum`` = k: k micro-batches per step.
    """
    c, model = run.config, run.model
    loader, micro = run.train_source()
    accum = c.grad_accum
    batches = len(loader) if loader is not None else len(run.loaders["train"]) * accum  # micro-batches
    steps_per_epoch = max(1, batches // accum)
    run.batch_size = micro * accum * distributed.world_size()
    loss_fn = nn.CrossEntropyLoss(label_smoothing=c.label_smoothing)
    budget, phase_start = c.max_seconds, time.perf_counter()
    sched = _schedule(opt, max(1, c.epochs * steps_per_epoch), budget, c.warmup,
                      lambda: time.perf_counter() - phase_start)  # fmt: skip
    if run.cache is not None:
        net = forward = run.cache.train_forward
    else:
        torch.backends.cudnn.benchmark = run.device.type == "cuda"  # fixed-size batches: cuDNN's fastest kernels
        net = distributed.wrap(model, run.device, c.sync_batchnorm)
        forward = torch.compile(net) if c.compile else net
    generator = torch.Generator().manual_seed(c.seed)
    amp = training_precision(run.device, run.precision)  # fp16 (a T4's auto) gets a GradScaler, else a no-op
    # A time budget has no number of epochs: its bar counts the budget's seconds instead.
    timed = {"bar_format": "{l_bar}{bar}| {n_fmt}/{total_fmt} s [{elapsed}{postfix}]"} if budget > 0 else {}
    bar = tqdm(total=c.epochs if budget <= 0 else round(budget), desc=name, unit="epoch",
               disable=not (progress and distributed.is_main()), **timed)  # fmt: skip
    for epoch in range(1, c.epochs + 1) if budget <= 0 else itertools.count(1):
        _train_mode(model, c.freeze_bn)
        if loader is not None and hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        stats, seen, epoch_start, stop = torch.zeros(2, device=run.device), 0, time.perf_counter(), False
        opt.zero_grad(set_to_none=True)
        for i, (xb, yb) in enumerate(run.batches(loader, micro, generator)):
            step_now = (i + 1) % accum == 0
            quiet = net.no_sync() if not step_now and hasattr(net, "no_sync") else contextlib.nullcontext()
            with quiet:
                with amp.autocast():
                    logits = forward(xb)
                    loss = loss_fn(logits.float(), yb)
                amp.scaler.scale(loss / accum).backward()
            stats += torch.stack([loss.detach() * len(yb), (logits.argmax(1) == yb).sum().float()])
            seen += len(yb)
            if step_now:
                amp.scaler.step(opt)  # skipped (and the scale lowered) when fp16 gradients overflowed
                amp.scaler.update()
                sched.step()
                opt.zero_grad(set_to_none=True)
                run.optimizer_steps += 1
                stop = budget > 0 and distributed.any_rank(time.perf_counter() - phase_start >= budget, run.comm)
                if stop:
                    break
        loss_sum, correct, seen = distributed.sum_over_ranks([*stats, seen], run.comm)  # the epoch's one sync
        speed = seen / (time.perf_counter() - epoch_start)  # loading included: what a user waits
        train, done = (loss_sum / max(1, seen), correct / max(1, seen)), (i + 1) / max(1, batches) if stop else 1.0
        val_acc = run.validate(epoch, "finetune", train, sched.get_last_lr()[0], speed, done)
        bar.update(1 if budget <= 0 else min(round(budget), round(time.perf_counter() - phase_start)) - bar.n)
        bar.set_postfix(loss=f"{train[0]:.3f}", val_acc=f"{val_acc:.3f}")
        if stop:
            break
    bar.close()


def _after_finetuning(run: _Fit, classes: Sequence[str] | None) -> None:
    """Unfreeze all and score the last epoch on test before the best weights come back: a fine-tune
    that never beat its head-only start on validation stays visible."""
    for p in run.model.parameters():
        p.requires_grad_(True)
    if "test" in run.loaders and classes is not None:
        run.last_epoch = evaluate(*run.scores("test"), classes)


def fit(
    model: Classifier,
    loaders: dict[str, Any],
    config: FitConfig,
    device: torch.device,
    *,
    name: str = "fit",
    checkpoint: str | Path | None = None,
    meta: dict[str, Any] | None = None,
    probe_classes: Sequence[str] | None = None,
    progress: bool = True,
) -> FitResult:
    """Head-first then (partial) fine-tuning; keeps the best-val-accuracy weights (see the module doc).

    ``config.head_epochs`` > 0 trains the head on pooled features first (= the linear probe; skip it
    for a scratch model). ``checkpoint`` is written with ``meta`` whenever validation accuracy
    improves (by rank 0 under torchrun). With ``probe_classes`` the result holds the test metrics of
    the probe (``linear_probe``), of the last epoch (``last_epoch``) and the kept weights' test
    ``(logits, targets)`` (``test_scores``). ``config.frozen_cache`` trains the last ``unfreeze_stages``
    on cached trunk activations (single-process), the trunk pass in ``trunk_precision``, the top in
    ``cache_precision`` (``auto``: bf16 where native). ``max_seconds`` > 0 trains for that wall time
    instead of ``epochs``. ``precision`` is that of training from images (``auto``: bf16 on CUDA only).
    """
    device = torch.device(device)
    if config.frozen_cache and distributed.world_size() > 1:
        raise ValueError("classify.frozen_cache=true trains one process on cached activations: run it "
                         "without torchrun, or set classify.frozen_cache=false to train data-parallel.")  # fmt: skip
    run = _Fit(model, loaders, device, config, checkpoint, meta or {}, precision=config.precision)
    model.to(device, memory_format=run.memory_format)
    trunk = resolve_cache_precision(config.trunk_precision, device) if config.frozen_cache else None
    if config.frozen_cache:
        run.precision = resolve_cache_precision(config.cache_precision, device)
        run.cache = ActivationCache.build(
            model, config.unfreeze_stages, loaders, device, precision=run.precision, trunk=trunk,
            memory_format=run.memory_format, progress=progress,
        )  # fmt: skip
        run.trunk_seconds = time.perf_counter() - run.started
    if config.head_epochs > 0:
        run.head_phase(probe_classes)
    if config.epochs > 0 or config.max_seconds > 0:
        set_trainable_stages(model, config.unfreeze_stages)
        _finetune_phase(run, name, _optimizer(model, config), progress)
        _after_finetuning(run, probe_classes)
    if run.best_state is not None:
        model.load_state_dict(run.best_state)
    test_scores = run.scores("test") if "test" in loaders and probe_classes is not None else None
    run.cache = None  # free the activations
    model.to(memory_format=torch.contiguous_format).eval()
    return FitResult(
        name, pd.DataFrame(run.rows), run.best_acc, checkpoint and Path(checkpoint),
        time.perf_counter() - run.started, config, optimizer_steps=run.optimizer_steps,
        batch_size=run.batch_size, world_size=distributed.world_size(), kept=run.kept,
        linear_probe=run.linear_probe, last_epoch=run.last_epoch, test_scores=test_scores,
        trunk_seconds=run.trunk_seconds, trunk_precision=trunk,
        cache_precision=run.precision if config.frozen_cache else None,
    )  # fmt: skip
