"""Speed options on a real short fine-tune: throughput *and* accuracy, side by side.

``bench_classifier.py`` times one synthetic step; this script checks the other half of the
performance target, "no loss of accuracy". It runs the 02 recipe (head phase on cached features,
then fine-tuning the last stages) once per variant on the same split, with the same seed, and
reports fine-tuning images/s (data loading included) next to validation and test top-1.
A ``+cached`` variant trains the same stages on the frozen trunk's cached activations
(``classify.frozen_cache``, :mod:`artdl.classify.frozen_trunk`; ``bf16`` then means the trunk pass and the
top, ``classify.cache_precision``); its ``seconds`` include the trunk's one pass.

    python benchmarks/bench_finetune.py                       # CPU: the 02 default recipe
    python benchmarks/bench_finetune.py --variants fp32+channels_last fp32+channels_last+cached \
        classify.frozen_cache=false     # the cached top against the same stages trained from images
    python benchmarks/bench_finetune.py --epochs 3 classify.image_size=224 classify.batch_size=128 \
        data.num_workers=8 --variants fp32 bf16 bf16+channels_last bf16+channels_last+compile  # GPU

Differences in test top-1 smaller than about two standard errors (printed) are noise.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved_rounds, report  # noqa: E402

from artdl import classify, data, models
from artdl.core import (  # noqa: E402
    load_config,  # noqa: E402
    seed_everything,
    setup,
)

VARIANTS = (
    "fp32",
    "fp32+cached",
    "bf16+cached",
    "fp32+channels_last+cached",
    "bf16+channels_last+cached",
    "bf16",
    "fp32+channels_last",
    "bf16+channels_last",
    "bf16+channels_last+compile",
)


def run_variant(cfg, table, classes, variant: str, epochs: int, device: torch.device) -> dict:
    c = cfg.classify
    seed_everything(int(cfg.seed))
    loaders = classify.configured_loaders(cfg, table, classes)
    model = models.build_classifier(
        c.backbone, len(classes), pretrained=c.pretrained, weights_path=c.weights_path
    )
    recipe = classify.FitConfig.from_cfg(c, seed=cfg.seed).replace(
        epochs=epochs, freeze_bn=False, precision="bf16" if "bf16" in variant else "fp32",
        channels_last="channels_last" in variant, compile="compile" in variant, frozen_cache="cached" in variant,
        cache_precision="bf16" if "bf16" in variant else "fp32",
    )  # fmt: skip
    result = classify.fit(model, loaders, recipe, device, name=variant, probe_classes=classes, progress=False)
    tuned = result.history[result.history["phase"] == "finetune"]
    # The first epoch carries compilation and cuDNN autotuning; later epochs are the steady state.
    steady = tuned["images_per_s"].iloc[1:] if len(tuned) > 1 else tuned["images_per_s"]
    last = result.last_epoch
    assert last is not None  # fit was given probe_classes and a test loader
    return {
        "variant": variant,
        "fine-tune images/s": float(steady.median()),
        "first epoch images/s": float(tuned["images_per_s"].iloc[0]),
        "last-epoch val top-1": float(tuned["val_acc"].iloc[-1]),
        "last-epoch test top-1": last["top1"],
        "test n": last["n"],
        "seconds": result.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("overrides", nargs="*", help="config overrides, key=value")
    parser.add_argument("--config", default="default")
    parser.add_argument(
        "--variants", nargs="+", default=["fp32", "bf16", "fp32+channels_last"], choices=VARIANTS
    )
    parser.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs per variant")
    parser.add_argument("--repeats", type=int, default=2, help="rounds over all variants (median images/s)")
    args = parser.parse_args()
    cfg = load_config(args.config, args.overrides)
    device = setup(cfg)
    table = data.load_splits(cfg, cfg.classify.dataset)
    classes = data.class_names(table)
    # An untimed round first: the first fit in a process pays for cold file caches, allocator and
    # thread-pool start-up, which otherwise lands on whichever variant happens to go first.
    run_variant(cfg, table, classes, args.variants[0], 1, device)
    runs = interleaved_rounds(
        args.variants,
        args.repeats,
        lambda variant: run_variant(cfg, table, classes, variant, args.epochs, device),
    )
    rows = []
    for results in runs.values():
        speeds = sorted(r["fine-tune images/s"] for r in results)
        rows.append(
            {
                **results[0],
                "fine-tune images/s": float(np.median(speeds)),
                "images/s range": f"{speeds[0]:.0f}-{speeds[-1]:.0f}",
                "seconds": float(np.median([r["seconds"] for r in results])),
            }
        )
    base = rows[0]
    for row in rows:
        row["speed-up"] = row["fine-tune images/s"] / base["fine-tune images/s"]
        row["test top-1 change"] = row["last-epoch test top-1"] - base["last-epoch test top-1"]
    acc, n = base["last-epoch test top-1"], base["test n"]
    c = cfg.classify
    report(
        "finetune_precision",
        rows,
        [
            "variant",
            "fine-tune images/s",
            "images/s range",
            "speed-up",
            "last-epoch val top-1",
            "last-epoch test top-1",
            "test top-1 change",
            "seconds",
        ],
        notes=(
            f"{c.backbone} (pretrained={c.pretrained}) on {c.dataset}, {c.image_size}px, batch {c.batch_size}, "
            f"{c.head_epochs} head epochs + {args.epochs} fine-tuning epochs (last {c.unfreeze_stages} stages), "
            f"seed {cfg.seed}, test n={n}; one standard error of test top-1 is "
            f"{math.sqrt(acc * (1 - acc) / n):.3f}. images/s: epochs after the first, loading included; "
            f"median (and range) over {args.repeats} interleaved rounds after one untimed round; "
            "accuracies from the first round"
        ),
    )


if __name__ == "__main__":
    main()
