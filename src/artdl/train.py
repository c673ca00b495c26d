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
    "classification_record",
    "evaluate",
    "extract_pooled",
    "fit",
    "make_loaders",
    "most_confused_pairs",
    "predict",
    "run_classification",
    "save_predictions",
    "score_folder",
    "scratch_epochs",
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
    """Top-1 (and top-3 where it is informative) with 95 % Wilson intervals, macro-F1, per-class
    precision/recall/F1 and accuracy, and the confusion matrix (rows = true).

    Top-3 is only reported when guessing scores below one half (:func:`artdl.metrics.topk_is_informative`):
    with 7 styles it says how often the right style is among the model's first guesses; with 4
    genres it is 75 % by chance and would only flatter.
    """
    from sklearn.metrics import confusion_matrix, f1_score

    from artdl.metrics import per_class_report, topk_is_informative, wilson_interval

    labels = list(range(len(classes)))
    logits, targets = np.asarray(logits), np.asarray(targets)
    pred = logits.argmax(1)
    n = int(len(targets))
    cm = confusion_matrix(targets, pred, labels=labels)
    per_class = {
        c: float(cm[i, i] / cm[i].sum()) if cm[i].sum() else float("nan") for i, c in enumerate(classes)
    }
    hits = int((pred == targets).sum())
    out: dict[str, Any] = {
        "n": n,
        "top1": hits / n,
        "top1_ci": list(wilson_interval(hits, n)),
        "chance_top1": 1 / len(classes),
    }
    if topk_is_informative(3, len(classes)):
        top3 = np.argsort(-logits, axis=1)[:, :3]
        hits3 = int((top3 == targets[:, None]).any(axis=1).sum())
        out |= {
            "top3": hits3 / n,
            "top3_ci": list(wilson_interval(hits3, n)),
            "chance_top3": 3 / len(classes),
        }
    return out | {
        "macro_f1": float(f1_score(targets, pred, labels=labels, average="macro", zero_division=0)),
        "per_class_accuracy": per_class,
        "per_class": per_class_report(targets, pred, classes),
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

    ``warmup`` is the share of steps over which the one-cycle schedule ramps the learning rate up
    (a freshly unfrozen backbone is easily knocked out of its pretrained optimum by a full step).
    ``extra`` also says which epoch was kept (``kept``: epoch, phase, val_acc) and counts the
    optimizer steps of the fine-tuning phase (``optimizer_steps``), so a baseline can be given the
    same number.
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
            extra["kept"] = {"epoch": epoch, "phase": phase, "val_acc": val_acc}
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
        extra["optimizer_steps"] = total_steps
        extra["batch_size"] = getattr(loaders["train"], "batch_size", None)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt,
            max_lr=[lr, lr * backbone_lr_mult],
            total_steps=total_steps,
            pct_start=warmup,
            anneal_strategy="cos",
        )
        loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        train_model = torch.compile(model) if compile else model
        bar = tqdm(range(1, epochs + 1), desc=name, disable=not progress)
        for epoch in bar:
            _train_mode(model, freeze_bn)
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


# --------------------------------------------------------------------------------------------
# One experiment, its record, its predictions, and scoring a checkpoint on other data
# --------------------------------------------------------------------------------------------
def scratch_epochs(cfg_classify: Any) -> int:
    """Epochs of the from-scratch baseline: ``scratch.epochs``, or the fine-tune's when 0.

    Both runs share the training loader (same images, batch size, ``drop_last``), so equal epochs
    mean an equal number of optimizer steps, every one of them over all layers of the scratch net.
    """
    n = int(cfg_classify.scratch.epochs)
    return n if n > 0 else int(cfg_classify.epochs)


def save_predictions(
    path: str | Path, table: pd.DataFrame, logits: np.ndarray, targets: np.ndarray, classes: Sequence[str]
) -> Path:
    """Write one row per image: path (relative to the project), true and predicted label, probabilities.

    ``table`` holds the scored rows in loader order (e.g. the test split). The file lets anyone
    re-score, ensemble or inspect the model's answers without rerunning it.
    """
    import os

    from artdl.paths import project_root
    from artdl.utils import atomic_path

    logits = np.asarray(logits, dtype=np.float64)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    root = project_root()

    def rel(p: str) -> str:
        try:
            return Path(os.path.relpath(p, root)).as_posix()
        except ValueError:
            return str(p)

    source = table["source_path"] if "source_path" in table else table["path"]
    frame = pd.DataFrame(
        {
            "path": [rel(str(p)) for p in source],
            "true": [classes[t] for t in targets],
            "predicted": [classes[p] for p in probs.argmax(1)],
        }
    )
    for i, c in enumerate(classes):
        frame[f"p_{c}"] = probs[:, i].round(5)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


def classification_record(
    cfg: Any,
    table: pd.DataFrame,
    classes: Sequence[str],
    finetune: FitResult,
    test_metrics: dict[str, dict[str, Any]],
    scratch: FitResult | None = None,
    seconds: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The numbers of a 02 run, as written to ``results/02_classify*.json`` and read by
    :mod:`artdl.report.classify`: task and split (with near-duplicate groups), recipe, kept epoch,
    per-model test metrics with intervals, optimizer steps, timings and the most-confused pairs.

    ``test_metrics`` maps ``fine-tune``, ``fine-tune, last epoch``, ``linear probe`` and
    ``from scratch`` to :func:`evaluate` results. The notebook and :func:`run_classification`
    both build their record here, so the CPU default and the full run report the same fields.
    """
    c = cfg.classify
    best = test_metrics["fine-tune"]
    probe = test_metrics.get("linear probe")
    pairs = most_confused_pairs(best["confusion_matrix"], classes, k=5)
    steps = {"fine-tune": finetune.extra.get("optimizer_steps")}
    if scratch is not None:
        steps["from scratch"] = scratch.extra.get("optimizer_steps")
    history = {
        "fine-tune": finetune.history[["epoch", "phase", "val_acc", "train_acc", "seconds"]].to_dict(
            "records"
        )
    }
    if scratch is not None:
        history["from scratch"] = scratch.history[
            ["epoch", "phase", "val_acc", "train_acc", "seconds"]
        ].to_dict("records")
    return {
        "task": {
            "dataset": str(c.dataset),
            "classes": list(classes),
            "n": {s: int((table["split"] == s).sum()) for s in ("train", "val", "test")},
            "split": {
                "val": float(cfg.data.split.val),
                "test": float(cfg.data.split.test),
                "seed": int(cfg.data.split.seed),
                "groups": dict(table.attrs.get("groups", {})),
                "given_test": "given_split" in table.columns,
            },
        },
        "recipe": {
            "backbone": str(c.backbone),
            "image_size": int(c.image_size),
            "batch_size": int(c.batch_size),
            "head_epochs": int(c.head_epochs),
            "epochs": int(c.epochs),
            "unfreeze_stages": int(c.unfreeze_stages),
            "lr": float(c.lr),
            "backbone_lr_mult": float(c.backbone_lr_mult),
            "warmup": float(c.warmup),
            "label_smoothing": float(c.label_smoothing),
            "crop_scale": list(c.crop_scale),
            "precision": str(c.precision),
            "channels_last": bool(c.channels_last),
            "cache": str(c.cache),
            "scratch_epochs": scratch_epochs(c) if scratch is not None else 0,
            "scratch_lr": float(c.scratch.lr),
        },
        "kept": finetune.extra.get("kept", {}),
        "models": test_metrics,
        "beats_probe": bool(probe is not None and best["top1"] > probe["top1"]),
        "optimizer_steps": steps,
        "scratch_budget": "same optimizer steps over all layers (same loader, batch size and epochs)",
        "seconds": dict(seconds or {}),
        "most_confused": pairs.to_dict("records"),
        "history": history,
    }


def _keep(path: Path, result: FitResult) -> None:
    """Pickle a fit's history and extras (not the weights: those are in the checkpoint)."""
    import pickle

    with open(path, "wb") as handle:
        pickle.dump(result, handle)


def run_classification(
    cfg: Any,
    out_dir: str | Path,
    device: Any = None,
    progress: bool = False,
    log: Any = print,
    on_partial: Any = None,
) -> dict[str, Any]:
    """The training part of notebooks/02_classify.ipynb as one call, for long runs outside Jupyter.

    Same steps and functions as the notebook: the group-aware split, loaders, head phase (= linear
    probe) then fine-tuning, the from-scratch baseline with the same optimizer steps, test metrics,
    ``predictions.csv`` and :func:`classification_record`. Checkpoints go to ``out_dir``. Returns
    the record (the caller writes it with :func:`artdl.results.write_results`). ``on_partial``, if
    given, receives the record without the scratch baseline as soon as the fine-tune is scored, so a
    long run on a busy machine leaves usable numbers even if it is stopped during the baseline.
    """
    from omegaconf import OmegaConf

    from artdl.models.classifier import build_classifier

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    c = cfg.classify
    device = device if device is not None else torch.device("cpu")
    table = data.load_splits(cfg, str(c.dataset))
    classes = data.class_names(table)
    loaders = make_loaders(
        table, classes, c.backbone, c.image_size, c.batch_size, balanced=c.balanced,
        num_workers=cfg.data.num_workers, seed=cfg.seed, crop_scale=c.crop_scale, jitter=c.color_jitter,
        cache=c.cache, cache_side=c.cache_side, progress=progress,
    )  # fmt: skip
    meta = {
        "backbone": c.backbone,
        "classes": classes,
        "image_size": int(c.image_size),
        "dataset": str(c.dataset),
    }
    model = build_classifier(c.backbone, len(classes), pretrained=c.pretrained, weights_path=c.weights_path)
    finetune = fit(
        model, loaders, device, name="pretrained fine-tune", epochs=c.epochs, head_epochs=c.head_epochs,
        unfreeze_stages=c.unfreeze_stages, lr=c.lr, backbone_lr_mult=c.backbone_lr_mult, warmup=c.warmup,
        freeze_bn=bool(OmegaConf.select(cfg, "classify.freeze_bn", default=False)),
        weight_decay=c.weight_decay, label_smoothing=c.label_smoothing, checkpoint=out / "best.pt", meta=meta,
        seed=cfg.seed, probe_classes=classes, precision=c.precision, channels_last=c.channels_last,
        compile=c.compile, progress=progress,
    )  # fmt: skip
    _keep(out / "finetune_fit.pkl", finetune)  # an hour of CPU is not lost to a later error
    log(
        f"fine-tune: best val {finetune.best_val_acc:.3f} in {finetune.seconds:.0f} s, kept {finetune.extra['kept']}"
    )
    logits, targets = predict(model, loaders["test"], device, c.precision)
    test_metrics = {
        "fine-tune": evaluate(logits, targets, classes),
        "fine-tune, last epoch": finetune.extra["last_epoch"],
        "linear probe": finetune.extra["linear_probe"],
    }
    save_predictions(out / "predictions.csv", table[table["split"] == "test"], logits, targets, classes)
    seconds = {"fine-tune": finetune.seconds}
    if on_partial is not None:
        on_partial(classification_record(cfg, table, classes, finetune, test_metrics, None, seconds))
    scratch = None
    if c.scratch.enabled:
        scratch_name = c.backbone if str(c.backbone).startswith("scratch") else f"scratch_{c.backbone}"
        scratch_model = build_classifier(scratch_name, len(classes))
        scratch = fit(
            scratch_model, loaders, device, name="from scratch", epochs=scratch_epochs(c), unfreeze_stages=-1,
            lr=c.scratch.lr, backbone_lr_mult=1.0, warmup=c.warmup, weight_decay=c.weight_decay,
            label_smoothing=c.label_smoothing, checkpoint=out / "scratch.pt",
            meta={**meta, "backbone": scratch_name}, seed=cfg.seed, precision=c.precision,
            channels_last=c.channels_last, compile=c.compile, progress=progress,
        )  # fmt: skip
        _keep(out / "scratch_fit.pkl", scratch)
        test_metrics["from scratch"] = evaluate(
            *predict(scratch_model, loaders["test"], device, c.precision), classes
        )
        seconds["from scratch"] = scratch.seconds
        log(f"from scratch: best val {scratch.best_val_acc:.3f} in {scratch.seconds:.0f} s")
    seconds["total"] = time.perf_counter() - started
    return classification_record(cfg, table, classes, finetune, test_metrics, scratch, seconds)


def score_folder(
    checkpoint: str | Path,
    folder: str | Path,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    verbose: bool = True,
) -> dict[str, Any]:
    """Score a saved classifier on a folder of labelled images (``folder/<label>/<image>``).

    Prints top-1 (with its 95 % Wilson interval), top-3 (where informative) and per-class
    accuracy, and returns :func:`evaluate`'s dict plus ``skipped_labels``. Folders whose name is
    not one of the checkpoint's classes cannot be scored and are listed, not guessed. Split
    sub-folders (``train/``, ``val/``) are read as one set.

        from artdl.train import score_folder
        score_folder("models/classifier/best.pt", "../shared/datasets/my_held_out_styles")
    """
    from artdl.models.classifier import load_classifier

    model, meta = load_classifier(checkpoint, map_location=device)
    classes = list(meta["classes"])
    table = data.read_imagefolder(folder)
    skipped = sorted(set(table["label"]) - set(classes))
    table = table[table["label"].isin(classes)].reset_index(drop=True)
    if table.empty:
        raise data.DataError(
            f"No sub-folder of {folder} is named after one of the model's classes {classes}; found {skipped}."
        )
    transform = data.eval_transform(int(meta["image_size"]), meta["mean"], meta["std"])
    loader = data.make_loader(data.ArtworkDataset(table, classes, transform), batch_size)
    logits, targets = predict(model, loader, torch.device(device), precision="fp32")
    result = evaluate(logits, targets, classes) | {"skipped_labels": skipped}
    if verbose:
        lo, hi = result["top1_ci"]
        print(f"{len(targets)} images, {len(set(table['label']))} of {len(classes)} classes")
        print(f"top-1 {result['top1']:.3f} [95% CI {lo:.3f}-{hi:.3f}]")
        if "top3" in result:
            lo3, hi3 = result["top3_ci"]
            print(f"top-3 {result['top3']:.3f} [95% CI {lo3:.3f}-{hi3:.3f}]")
        for name, acc in result["per_class_accuracy"].items():
            if result["per_class"][name]["support"]:
                print(f"  {name}: {acc:.3f} (n={result['per_class'][name]['support']})")
        if skipped:
            print(f"not scored (not a class of this model): {', '.join(skipped)}")
    return result
