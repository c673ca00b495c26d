"""VQGAN+CLIP iterations/s and peak memory by image size, with random weights of the real sizes.

No download is needed: the VQGAN is built from the real vqgan_imagenet_f16_16384 config (same
architecture as wikiart_16384) and CLIP is open_clip ViT-B-32, both with random weights, which
cost exactly as much compute and memory as the trained ones. Run it on your GPU to fill in the
memory guide:

    PYTHONPATH=src python benchmarks/bench_vqgan_clip.py --sizes 256 512
    PYTHONPATH=src python benchmarks/bench_vqgan_clip.py --device cpu --tiny --sizes 64 128  # CPU smoke

Prints a markdown table and writes JSON to benchmarks/results/vqgan_clip_<device>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from artdl import vqgan_clip as V  # noqa: E402
from artdl.utils import get_device  # noqa: E402


def build_models(tiny: bool, device: torch.device, tmp: Path):
    if tiny:
        cfg_path, clip_name = ROOT / "configs" / "vqgan" / "tiny_random.yaml", "artdl-tiny-ViT"
    else:
        cfg_path, clip_name = ROOT / "configs" / "vqgan" / "vqgan_imagenet_f16_16384.yaml", "ViT-B-32"
    ckpt = V.ensure_checkpoint(
        "bench", {"config": str(cfg_path), "ckpt": str(tmp / "v.ckpt"), "random_init": True}
    )[1]
    vqgan = V.load_vqgan(cfg_path, ckpt, device)
    clip_cfgs = ROOT / "configs" / "open_clip"
    weights = V.save_random_clip(clip_name, tmp / "clip.pt", clip_cfgs)
    clip = V.load_clip(clip_name, None, weights, device, clip_cfgs)
    return vqgan, clip, cfg_path.stem, clip_name


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--iters", type=int, default=20, help="timed iterations per size (after 2 warm-up)")
    parser.add_argument("--cutn", type=int, default=32)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: leave)")
    parser.add_argument("--no-amp", action="store_true", help="disable bfloat16 autocast on CUDA")
    parser.add_argument("--tiny", action="store_true", help="tiny demo models instead of the real sizes")
    args = parser.parse_args()
    device = get_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        vqgan, clip, vq_name, clip_name = build_models(args.tiny, device, Path(tmp))
        for size in args.sizes:
            kw = dict(size=size, cutn=args.cutn, amp=not args.no_amp, progress=False, seed=0)
            try:
                V.generate(vqgan, clip, "a Baroque painting", iterations=2, **kw)  # warm-up
                if device.type == "cuda":
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                r = V.generate(vqgan, clip, "a Baroque painting", iterations=args.iters, **kw)
                if device.type == "cuda":
                    torch.cuda.synchronize()
                peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
                rows.append({"size": size, "it_per_s": round(r.iterations_per_second, 3), "peak_gib": peak})
            except torch.OutOfMemoryError:
                rows.append({"size": size, "it_per_s": None, "peak_gib": "OOM"})
                torch.cuda.empty_cache()
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU ({torch.get_num_threads()} threads)"
    )
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
        "device": name,
        "vqgan": vq_name + (" (tiny)" if args.tiny else ""),
        "clip": clip_name,
        "weights": "random (same compute as trained)",
        "cutn": args.cutn,
        "iters": args.iters,
        "amp": (not args.no_amp) and device.type == "cuda",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "rows": rows,
    }
    print(f"VQGAN+CLIP on {name}, {meta['vqgan']} + {clip_name}, cutn={args.cutn}, {meta['date']}\n")
    print("| size (px) | iterations/s | peak GPU memory (GiB) |\n|---:|---:|---:|")
    for row in rows:
        peak = row["peak_gib"]
        peak_s = f"{peak:.2f}" if isinstance(peak, float) else (peak or "n/a")
        its = f"{row['it_per_s']:.2f}" if row["it_per_s"] is not None else "-"
        print(f"| {row['size']} | {its} | {peak_s} |")
    out = ROOT / "benchmarks" / "results" / f"vqgan_clip_{device.type}{'_tiny' if args.tiny else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(meta, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
