"""What each step costs under ``configs/full.yaml``, counted, not timed: FLOPs and memory per step.

No GPU has been lent to this project, so the README's GPU wall times are estimates. This script
makes them reproducible: it builds each step's real networks at the ``full`` sizes on PyTorch's
``meta`` device (shapes only, no memory, no arithmetic), counts the FLOPs of one training or
inference step with ``torch.utils.flop_counter.FlopCounterMode``, sums the bytes autograd saves
for the backward pass (the activation memory), multiplies by the step counts of the config, and
converts FLOPs to hours at an assumed sustained throughput per GPU class.

    python benchmarks/bench_full_flops.py                      # the table, written to results/flops_full.json
    python benchmarks/bench_full_flops.py --t4-tflops 8 --a100-tflops 40 --n-train 57011

The throughputs are assumptions (printed with the table): a T4 peaks at 65 TFLOP/s in fp16 and
8.1 in fp32, an A100 at 312 in bf16; small convolutions and the WGAN-GP penalty's double backward
reach a fraction of that. Data loading, the crawl's politeness delays and Python overhead are not
in the count. GPU memory = weights + gradients + two Adam moments (16 bytes per trained
parameter) + the saved activations, in fp32 (bf16/fp16 autocast roughly halves the activations).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402

from artdl.core import load_config  # noqa: E402

META = torch.device("meta")


class _GlobalOnly:
    """FlopCounterMode's per-module tracker, reduced to the total: its backward hooks break
    ``autograd.grad(create_graph=True)``, which WGAN-GP's penalty needs."""

    parents = ("Global",)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _TotalFlops(FlopCounterMode):
    def __init__(self) -> None:
        super().__init__(display=False)
        self.mod_tracker = _GlobalOnly()


def count(step: Callable[[], Any], trained: torch.nn.Module | None = None) -> tuple[float, float]:
    """(FLOPs, GiB) of one call of ``step`` on meta tensors: GiB = saved activations + optimizer state."""
    saved = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal saved
        saved += t.numel() * t.element_size()
        return t

    with _TotalFlops() as counter, torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    params = sum(p.numel() for p in trained.parameters() if p.requires_grad) if trained is not None else 0
    return float(counter.get_total_flops()), (saved + 16 * params) / 2**30


def classify_step(cfg: Any) -> tuple[float, float, int]:
    """One fine-tuning step of the whole ``classify.backbone`` from images: forward + backward."""
    from artdl.models import build_classifier

    c = cfg.classify
    with META:
        model = build_classifier(str(c.backbone), 27, pretrained=False)
    x = torch.randn(int(c.batch_size), 3, int(c.image_size), int(c.image_size), device=META)
    y = torch.zeros(int(c.batch_size), dtype=torch.long, device=META)
    flops, gib = count(lambda: torch.nn.functional.cross_entropy(model(x), y).backward(), model)
    return flops, gib, int(c.batch_size)


def classify_forward(cfg: Any) -> float:
    from artdl.models import build_classifier

    c = cfg.classify
    with META:
        model = build_classifier(str(c.backbone), 27, pretrained=False).eval()
    x = torch.randn(int(c.batch_size), 3, int(c.image_size), int(c.image_size), device=META)
    with torch.no_grad():
        return count(lambda: model(x))[0] / int(c.batch_size)


def autoencode_step(cfg: Any) -> tuple[float, float, int]:
    from artdl.models import ConvAutoencoder

    a = cfg.autoencode
    with META:
        model = ConvAutoencoder(int(a.image_size), int(a.latent_dim), list(a.channels))
    x = torch.rand(int(a.batch_size), 3, int(a.image_size), int(a.image_size), device=META)
    flops, gib = count(lambda: torch.nn.functional.mse_loss(model(x)[0], x).backward(), model)
    return flops, gib, int(a.batch_size)


def gan_step(cfg: Any, kind: str) -> tuple[float, float]:
    """One generator step of ``kind`` with its ``n_critic`` critic steps (WGAN-GP: with the penalty)."""
    from artdl.gan import build_models, critic_loss, generator_loss, gradient_penalty

    g = cfg.gan
    with META:
        G, D = build_models(g, kind, n_classes=0)
    b, z_dim = int(g.batch_size), int(g.z_dim)
    real = torch.rand(b, 3, int(g.resolution), int(g.resolution), device=META) * 2 - 1
    loss_kind = "wgan" if kind == "wgan_gp" else str(g.dcgan.loss)

    def critic() -> None:
        fake = G(torch.randn(b, z_dim, device=META)).detach()
        loss = critic_loss(D(real), D(fake), loss_kind)
        if kind == "wgan_gp":
            loss = loss + float(g.wgan_gp.gp_lambda) * gradient_penalty(D, real, fake)
        loss.backward()

    def generator() -> None:
        generator_loss(D(G(torch.randn(b, z_dim, device=META))), loss_kind).backward()

    (critic_flops, critic_gib), (gen_flops, gen_gib) = count(critic), count(generator)
    params = sum(p.numel() for p in (*G.parameters(), *D.parameters()))
    # Each backward frees its graph: the peak is the larger of the two, not their sum.
    return int(g[kind].n_critic) * critic_flops + gen_flops, max(critic_gib, gen_gib) + 16 * params / 2**30


def vqgan_clip_iteration(cfg: Any, size: int) -> tuple[float, float]:
    """One VQGAN+CLIP iteration: decode the latent, CLIP on ``cutn`` 224-px cutouts, backward to z."""
    import open_clip

    from artdl.vqgan_clip import build_vqmodel

    v = cfg.vqgan_clip
    entry = v.checkpoints["vqgan_imagenet_f16_16384"]  # the same f16/16384 architecture as wikiart_16384
    with META:
        vqgan = build_vqmodel(entry.config).requires_grad_(False)
        clip = open_clip.create_model(str(v.clip.model), pretrained=None, device=META).requires_grad_(False)
    side = size // 16
    z = torch.randn(1, int(vqgan.quantize.e_dim), side, side, device=META, requires_grad=True)

    def step() -> None:
        image = vqgan.decode(z)
        cut = torch.nn.functional.interpolate(image, size=224).expand(int(v.cutn), -1, -1, -1)
        clip.encode_image(cut).sum().backward()

    return count(step)


def embed_forward(cfg: Any) -> float:
    """FLOPs per painting of 04/05's and the explorer's embeddings: the ImageNet CNN and CLIP."""
    import open_clip
    import timm

    size = int(cfg.retrieve.cnn.image_size)
    with META:
        cnn = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0).eval()
        clip = open_clip.create_model(str(cfg.retrieve.clip.model), pretrained=None, device=META).eval()
    with torch.no_grad():
        flops = count(lambda: cnn(torch.randn(1, 3, size, size, device=META)))[0]
        return flops + count(lambda: clip.encode_image(torch.randn(1, 3, 224, 224, device=META)))[0]


def crawl_hours(cfg: Any) -> float:
    """A floor for 01's live crawl: two requests per painting (page, image) at the polite delay."""
    k = cfg.crawl
    requests = 2 * int(k.limit) * max(1, len(k.styles) + len(k.artists))
    return requests * float(k.download_delay) / max(1, int(k.concurrency)) / 3600


def rows(cfg: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    c, a, g, v = cfg.classify, cfg.autoencode, cfg.gan, cfg.vqgan_clip
    out = [{"step": "01 crawl", "work": f"{cfg.crawl.limit} x {len(cfg.crawl.styles)} styles at "
            f"{cfg.crawl.download_delay:g} s delay: network-bound, a floor of {crawl_hours(cfg):.2f} h"}]  # fmt: skip
    flops, gib, batch = classify_step(cfg)
    steps = int(c.epochs) * args.n_train // batch
    # each baseline budget (time, steps) costs about the fine-tune's steps; so does the other split
    budgets = {"both": 2, "time": 1, "steps": 1}.get(str(c.scratch.budget), 1) if bool(c.scratch.enabled) else 0
    split = 1 if bool(c.split_comparison) else 0
    runs = 1 + budgets + split
    evaluation = (1 + split) * classify_forward(cfg) * (int(c.epochs) * args.n_val + args.n_val + args.n_train)
    out.append(_row("02 classify", f"{c.backbone} {c.image_size} px, {runs} runs of {steps} steps of {batch} "
                    f"(fine-tune, {budgets} baseline(s), {split} on the other split)",
                    flops * steps * runs + evaluation, gib, args))  # fmt: skip
    flops, gib, batch = autoencode_step(cfg)
    steps = int(a.epochs) * args.n_collection // batch
    out.append(_row("03 autoencode", f"DAE + SWAE {a.image_size} px, 2 x {steps} steps of {batch}",
                    2 * flops * steps, gib, args))  # fmt: skip
    out.append(_row("04/05, explorer", f"Lite0 {cfg.retrieve.cnn.image_size} px + CLIP {cfg.retrieve.clip.model} "
                    f"on {args.n_collection} paintings, each embedding once", embed_forward(cfg) * args.n_collection,
                    None, args))  # fmt: skip
    for kind in g.models:
        flops, gib = gan_step(cfg, kind)
        steps = int(g[kind].steps)
        out.append(_row(f"06 {kind}", f"{g.resolution} px, {steps} generator steps of {g.batch_size}",
                        flops * steps, gib, args, per_step=flops))  # fmt: skip
    for size in args.vqgan_sizes:
        flops, gib = vqgan_clip_iteration(cfg, size)
        n = int(v.iterations) * len(v.epochs)
        out.append(_row(f"07 vqgan_clip {size} px", f"{n} iterations, cutn {v.cutn}", flops * n, gib, args,
                        per_step=flops))  # fmt: skip
    return out


def _row(
    step: str, what: str, flops: float, gib: float | None, args: argparse.Namespace, per_step: float = 0
) -> dict:
    return {
        "step": step,
        "work": what,
        "PFLOP": round(flops / 1e15, 2),
        "TFLOP per step": round(per_step / 1e12, 2) if per_step else "",
        "GiB (fp32)": round(gib, 1) if gib is not None else "",  # inference: not counted
        f"h at {args.t4_tflops:g} TFLOP/s (T4)": round(flops / (args.t4_tflops * 1e12) / 3600, 2),
        f"h at {args.a100_tflops:g} TFLOP/s (A100)": round(flops / (args.a100_tflops * 1e12) / 3600, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="full")
    parser.add_argument("--n-train", type=int, default=57011, help="02's training paintings (wikiart_full: 70%% of 81,444)")
    parser.add_argument("--n-val", type=int, default=12217, help="02's validation (and test) paintings")
    parser.add_argument("--n-collection", type=int, default=12000, help="paintings 03 trains on")
    parser.add_argument("--vqgan-sizes", type=int, nargs="+", default=[384, 512])
    parser.add_argument("--t4-tflops", type=float, default=8.0, help="assumed sustained TFLOP/s of a T4")
    parser.add_argument("--a100-tflops", type=float, default=40.0, help="assumed sustained TFLOP/s of an A100")
    parser.add_argument("--out", default="flops_full", help="benchmarks/results/<out>.json")
    args = parser.parse_args()
    cfg = load_config(args.config)
    table = rows(cfg, args)
    notes = (
        f"Counted on the meta device for --config {args.config}; n_train {args.n_train}, n_val {args.n_val}, "
        f"n_collection {args.n_collection}. Hours assume a sustained {args.t4_tflops:g} (T4) and "
        f"{args.a100_tflops:g} (A100) TFLOP/s: estimates, not measurements."
    )
    columns = list(dict.fromkeys(c for row in table for c in row))
    report(args.out, table, columns, notes)


if __name__ == "__main__":
    main()
