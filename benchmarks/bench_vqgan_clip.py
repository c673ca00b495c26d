"""VQGAN+CLIP iterations/s and peak memory by image size, with random weights of the real sizes.

No download is needed: the VQGAN is built from the real vqgan_imagenet_f16_16384 config (same
architecture as wikiart_16384) and CLIP is open_clip ViT-B-32, both with random weights, which
cost exactly as much compute and memory as the trained ones. Run it on your GPU to fill in the
memory guide:

    python benchmarks/bench_vqgan_clip.py --sizes 256 512          # fp32, bf16, compile, bf16+compile
    python benchmarks/bench_vqgan_clip.py --device cpu --tiny --sizes 64 128  # CPU smoke

Prints a markdown table and writes JSON to benchmarks/results/vqgan_clip[_tiny][_cpu].json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import report  # noqa: E402

from artdl import models  # noqa: E402
from artdl import vqgan_clip as V  # noqa: E402
from artdl.core import get_device  # noqa: E402


def build_models(tiny: bool, device: torch.device, tmp: Path):
    if tiny:
        cfg_path, clip_name = ROOT / "configs" / "vqgan" / "tiny_random.yaml", "artdl-tiny-ViT"
    else:
        cfg_path, clip_name = ROOT / "configs" / "vqgan" / "vqgan_imagenet_f16_16384.yaml", "ViT-B-32"
    ckpt = V.prepare_checkpoint(
        "bench", {"config": str(cfg_path), "ckpt": str(tmp / "v.ckpt"), "random_init": True}
    )[1]
    vqgan = V.load_vqgan(cfg_path, ckpt, device)
    clip_cfgs = ROOT / "configs" / "open_clip"
    weights = models.save_random_clip(clip_name, tmp / "clip.pt", clip_cfgs)
    clip = models.load_clip(clip_name, None, weights, device, clip_cfgs)
    return vqgan, clip, cfg_path.stem, clip_name


VARIANTS = ("fp32", "bf16", "fp32+compile", "bf16+compile")


def measure(vqgan, clip, size: int, variant: str, cutn: int, iters: int, device: torch.device) -> dict:
    """Iterations/s of the real loop (``artdl.vqgan_clip.generation``) for one size and variant."""
    config = V.GenerationConfig(
        cutn=cutn,
        amp="bf16" if "bf16" in variant else "fp32",
        compile="compile" in variant,
        seed=0,
        save_every=0,
    )
    row = {"size": size, "variant": variant, "cutn": cutn}
    try:
        # Warm-up: compilation and cuDNN autotuning happen here, outside the timed call; generate_image()
        # keeps the compiled networks on the model objects, so the timed call reuses them.
        warm = V.generate_image(
            vqgan, clip, "a Baroque painting", replace(config, iterations=2), size=size, progress=False
        )
        if device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        r = V.generate_image(
            vqgan, clip, "a Baroque painting", replace(config, iterations=iters), size=size, progress=False
        )
        if device.type == "cuda":
            torch.cuda.synchronize()
        row["iterations/s"] = r.iterations_per_second
        row["warm-up s"] = warm.seconds
        row["final loss"] = r.losses[-1]
        if device.type == "cuda":
            row["peak GiB"] = torch.cuda.max_memory_allocated() / 2**30
    except torch.OutOfMemoryError:
        row["iterations/s"], row["note"] = float("nan"), "out of memory"
        torch.cuda.empty_cache()
    except Exception as err:  # e.g. compile without a working C compiler: report, don't hide
        row["iterations/s"], row["note"] = float("nan"), repr(err)[:80]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--iters", type=int, default=20, help="timed iterations per size (after 2 warm-up)")
    parser.add_argument("--cutn", type=int, default=32)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: leave)")
    parser.add_argument("--tiny", action="store_true", help="tiny demo models instead of the real sizes")
    args = parser.parse_args()
    device = get_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        vqgan, clip, vq_name, clip_name = build_models(args.tiny, device, Path(tmp))
        for size in args.sizes:
            base = None
            for variant in args.variants:
                row = measure(vqgan, clip, size, variant, args.cutn, args.iters, device)
                base = row["iterations/s"] if variant == "fp32" else base
                row["speed-up vs fp32"] = row["iterations/s"] / base if base else float("nan")
                rows.append(row)
                print(row, flush=True)
    name = "vqgan_clip" + ("_tiny" if args.tiny else "") + ("_cpu" if device.type == "cpu" else "")
    report(
        name,
        rows,
        ["size", "variant", "iterations/s", "speed-up vs fp32", "peak GiB", "warm-up s", "note"],
        notes=(
            f"{vq_name}{' (tiny)' if args.tiny else ''} + {clip_name}, random weights (same compute as "
            f"trained), cutn={args.cutn}, {args.iters} timed iterations after 2 warm-up, "
            f"{torch.get_num_threads()} CPU threads"
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
