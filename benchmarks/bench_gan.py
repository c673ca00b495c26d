"""WGAN-GP throughput: generator steps/s (each with n_critic critic steps and the gradient
penalty) and peak GPU memory at 64 and 128 px, with the networks of ``artdl.gan`` and the ``full``
config's width.

    python benchmarks/bench_gan.py --resolutions 64 128 --steps 20
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report, timed_steps  # noqa: E402

from artdl.core import load_config  # noqa: E402
from artdl.gan import (  # noqa: E402
    build_models,  # noqa: E402
    critic_loss,
    generator_loss,
    gradient_penalty,
)


def measure(resolution: int, width: int, batch: int, steps: int, device: torch.device, bf16: bool) -> dict:
    cfg = load_config("full", [f"gan.resolution={resolution}", f"gan.width={width}", "gan.conditional=false"])
    g_cfg = cfg.gan
    G, D = (m.to(device) for m in build_models(g_cfg, "wgan_gp"))
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.0, 0.9))
    real = torch.rand(batch, 3, resolution, resolution, device=device) * 2 - 1
    z_dim, n_critic, lam = int(g_cfg.z_dim), int(g_cfg.wgan_gp.n_critic), float(g_cfg.wgan_gp.gp_lambda)

    def step() -> None:
        for _ in range(n_critic):
            z = torch.randn(batch, z_dim, device=device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                fake = G(z).detach()
                loss_d = critic_loss(D(real), D(fake), "wgan")
            loss_d = loss_d.float() + lam * gradient_penalty(D, real, fake.float())
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        z = torch.randn(batch, z_dim, device=device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss_g = generator_loss(D(G(z)), "wgan")
        opt_g.zero_grad(set_to_none=True)
        loss_g.float().backward()
        opt_g.step()

    seconds, mem = timed_steps(step, steps, 1, device)
    return {
        "resolution": resolution,
        "width": width,
        "batch": batch,
        "precision": "bf16" if bf16 else "fp32",
        "generator steps/s": steps / seconds,
        "images/s (critic)": steps * n_critic * batch / seconds,
        "peak GiB": mem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resolutions", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--width", type=int, default=None, help="default: the full config's gan.width")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=None, help="default: 50 on GPU, 3 on CPU")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    width = args.width or int(load_config("full").gan.width)
    steps = args.steps or (50 if device.type == "cuda" else 3)
    rows = []
    for res in args.resolutions:
        for bf16 in [False, True] if device.type == "cuda" else [False]:
            rows.append(measure(res, width, args.batch, steps, device, bf16))
            print(rows[-1], flush=True)
    report(
        "wgan_gp",
        rows,
        ["resolution", "width", "batch", "precision", "generator steps/s", "images/s (critic)", "peak GiB"],
        notes=f"WGAN-GP, n_critic from config, gradient penalty (fp32), {steps} timed generator steps",
    )


if __name__ == "__main__":
    main()
