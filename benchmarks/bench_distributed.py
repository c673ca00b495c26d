"""Data-parallel throughput: training steps on 1 and N processes (torchrun + DDP) and the scaling
efficiency, for 02's classifier from images and 06's WGAN-GP, at a fixed *global* batch.

    python benchmarks/bench_distributed.py --image-size 128 --batch 32 --gan-resolution 32 --steps 6 --repeats 3
                                                                 # the committed CPU table (gloo), about 3 min
    python benchmarks/bench_distributed.py --procs 1 2 4 --steps 20 --image-size 128   # a GPU box (nccl)

Each row is one ``torchrun --standalone --nproc_per_node N`` run of this script as a worker: the
same model, optimizer and steps as :func:`artdl.classify.fit` (a DDP-wrapped classifier, AdamW,
cross-entropy) and :func:`artdl.gan.train_gan` (``critic_step`` / ``generator_step`` with the
penalty), on random tensors (no decoding: ``bench_data.py`` measures loading). Efficiency is
throughput on N / (N x throughput on 1). On a CPU the N processes share its cores (each row uses all
of them), so the ideal speed-up there is 1: the table measures what the gradient exchange costs
against what process-level parallelism gains. GPU rows come from a GPU machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402

from artdl.core import distributed, load_config  # noqa: E402


def _classifier_steps(args: argparse.Namespace, device: torch.device) -> float:
    from artdl.models import build_classifier

    model = build_classifier(args.backbone, 7, pretrained=False).to(device)
    net = distributed.wrap(model, device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    local = distributed.local_batch(args.batch, "--batch")
    x = torch.randn(local, 3, args.image_size, args.image_size, device=device)
    y = torch.randint(0, 7, (local,), device=device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x), y).backward()
        opt.step()

    return _images_per_second(step, args)


def _gan_steps(args: argparse.Namespace, device: torch.device) -> float:
    from artdl.gan import Networks, critic_step, generator_step, to_float
    from artdl.gan.train import StepSettings

    gcfg = load_config("default", [f"gan.resolution={args.gan_resolution}", "gan.conditional=false"]).gan
    nets = Networks.build(gcfg, "wgan_gp", 0, device)
    nets.parallel(device)
    s = StepSettings("wgan", 10.0, False, device, distributed.rank(), distributed.world_size())
    local = distributed.local_batch(args.batch, "--batch")
    real = to_float(
        torch.randint(0, 256, (local, 3, args.gan_resolution, args.gan_resolution), device=device)
    )

    def step() -> None:
        for _ in range(int(gcfg.wgan_gp.n_critic)):
            critic_step(nets, real, None, s)
        generator_step(nets, None, args.batch, s)

    return _images_per_second(step, args) / args.batch  # generator steps per second


def _images_per_second(step, args: argparse.Namespace) -> float:
    for _ in range(2):
        step()  # warm-up: allocator, DDP's bucket rebuild
    distributed.any_rank(False)  # all ranks start the clock together
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    distributed.any_rank(False)
    return args.steps * args.batch / (time.perf_counter() - started)


def worker(args: argparse.Namespace) -> None:
    device = distributed.init(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    measure = _classifier_steps if args.worker == "classify" else _gan_steps
    value = measure(args, device)
    if distributed.is_main():
        print("RESULT " + json.dumps({"value": value}), flush=True)
    distributed.shutdown()


def _threads(procs: int) -> int:
    """The machine's cores shared out: on a CPU every row uses all of them, so the rows compare one
    process with all threads against N processes with a share each (a GPU box: one device each)."""
    return max(1, (os.cpu_count() or 1) // procs)


def launch(task: str, procs: int, args: argparse.Namespace) -> float:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={procs}",
           __file__, "--worker", task, "--batch", str(args.batch), "--steps", str(args.steps),
           "--image-size", str(args.image_size), "--gan-resolution", str(args.gan_resolution),
           "--backbone", args.backbone]  # fmt: skip
    threads = _threads(procs)
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads))
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    if done.returncode or not line:
        raise SystemExit(f"{task} on {procs} process(es) failed:\n{done.stderr[-3000:]}")
    return float(json.loads(line[0][7:])["value"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=8, help="global batch (each of N ranks: batch / N)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2, help="interleaved runs per row; the median is kept")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--gan-resolution", type=int, default=16)
    parser.add_argument("--backbone", default="scratch_efficientnet_lite0")
    parser.add_argument("--worker", choices=["classify", "gan"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    rows = []
    for task, unit in (("classify", "images/s"), ("gan", "generator steps/s")):
        # Interleaved repeats (1, 2, 1, 2, ...) so a change in the machine's load hits every row alike.
        runs: dict[int, list[float]] = {p: [] for p in args.procs}
        for _ in range(args.repeats):
            for procs in args.procs:
                runs[procs].append(launch(task, procs, args))
        base = statistics.median(runs[1]) if 1 in runs else float("nan")
        for procs in args.procs:
            value = statistics.median(runs[procs])
            rows.append({"task": task, "processes": procs, "threads per process": _threads(procs),
                         "global batch": args.batch, "unit": unit, "throughput": value,
                         "speed-up": value / base, "scaling efficiency": value / (procs * base)})  # fmt: skip
    load = os.getloadavg()[0]
    notes = (f"{args.backbone} at {args.image_size} px (classifier) and WGAN-GP at {args.gan_resolution} px, "
             f"global batch {args.batch}, {args.steps} timed steps after 2 warm-up, median of {args.repeats} "
             "interleaved runs, random tensors; "
             f"the {os.cpu_count()} cores shared out between the processes (threads per process), so on a CPU "
             "the ideal speed-up is 1 (scaling efficiency 1/N): a speed-up near 1 means the gradient exchange "
             "costs about what process-level parallelism gains; each process has its own device only on a "
             f"GPU box, where efficiency near 1 is the goal. Load average {load:.1f} when it finished.")  # fmt: skip
    report("distributed", rows, ["task", "processes", "threads per process", "global batch", "unit", "throughput",
                                 "speed-up", "scaling efficiency"], notes)  # fmt: skip


if __name__ == "__main__":
    main()
