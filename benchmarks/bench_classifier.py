"""Classifier training throughput: images/s and peak GPU memory per backbone at 224 px,
for fp32, bf16 autocast, channels_last and ``torch.compile``.

Synthetic batches (random tensors, random labels) isolate the model step from data loading,
which ``bench_data.py`` measures. On a CPU-only machine the bf16/compile rows are still run, but
the targets of the performance issue (>= 1.5x over fp32) are about GPUs.

    python benchmarks/bench_classifier.py --backbones efficientnet_lite0 resnet50 --steps 20
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved_rounds, report, timed_steps  # noqa: E402

VARIANTS = ("fp32", "bf16", "fp32+channels_last", "bf16+channels_last", "bf16+compile")


def build(name: str, num_classes: int) -> nn.Module:
    """The classifier as the project builds it (random init: speed does not depend on weights)."""
    try:
        from artdl.models import build_classifier

        return build_classifier(name, num_classes, pretrained=False)
    except ImportError:  # the classifier module is optional for this script
        import timm

        timm_name = {"efficientnet_lite0": "tf_efficientnet_lite0"}.get(name, name)
        return timm.create_model(timm_name, pretrained=False, num_classes=num_classes)


def measure(
    name: str, variant: str, device: torch.device, batch: int, size: int, steps: int, warmup: int
) -> dict:
    model = build(name, 10).to(device)
    x = torch.randn(batch, 3, size, size, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    if "channels_last" in variant:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    step_model = torch.compile(model) if "compile" in variant else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    use_bf16 = "bf16" in variant

    def step() -> float:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            loss = loss_fn(step_model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.detach())

    seconds, mem = timed_steps(step, steps, warmup, device)
    return {
        "backbone": name,
        "variant": variant,
        "batch": batch,
        "images/s": batch * steps / seconds,
        "peak GiB": mem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backbones", nargs="+", default=["efficientnet_lite0", "resnet18", "resnet50"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--batch", type=int, default=None, help="default: 128 on GPU, 16 on CPU")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=None, help="default: 50 on GPU, 4 on CPU")
    parser.add_argument("--warmup", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds per backbone (median)")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    gpu = device.type == "cuda"
    batch = args.batch or (128 if gpu else 16)
    steps = args.steps or (50 if gpu else 4)
    warmup = args.warmup if args.warmup is not None else (10 if gpu else 1)
    rows = []
    for name in args.backbones:
        # One untimed measurement first: the first model in a process pays for allocator and oneDNN/
        # cuDNN start-up, which would otherwise land on whichever variant goes first.
        measure(name, args.variants[0], device, batch, args.size, 1, warmup)

        def run(variant: str, name: str = name) -> dict:
            try:
                return measure(name, variant, device, batch, args.size, steps, warmup)
            except Exception as err:  # e.g. compile without a C compiler: report, don't hide
                return {
                    "backbone": name,
                    "variant": variant,
                    "batch": batch,
                    "images/s": float("nan"),
                    "note": repr(err)[:80],
                }

        runs = interleaved_rounds(args.variants, args.repeats, run)
        base = None
        for variant, results in runs.items():
            row = dict(results[0])
            row["images/s"] = float(np.median([r["images/s"] for r in results]))
            base = row["images/s"] if variant == "fp32" else base
            row["speed-up vs fp32"] = row["images/s"] / base if base else float("nan")
            rows.append(row)
    report(
        "classifier_training",
        rows,
        ["backbone", "variant", "batch", "images/s", "speed-up vs fp32", "peak GiB"],
        notes=(
            f"train step (forward+backward+AdamW) on synthetic {args.size}px batches, {steps} timed steps "
            f"after {warmup} warm-up; median of {args.repeats} interleaved rounds after one untimed run"
        ),
    )


if __name__ == "__main__":
    main()
