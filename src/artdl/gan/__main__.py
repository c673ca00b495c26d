"""``python -m artdl.gan``: train 06's GANs from the shell, on one process or under torchrun.

    python -m artdl.gan --config full
    torchrun --nproc_per_node 4 -m artdl.gan --config full
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29400 -m artdl.gan --config full

Trains every model in ``gan.models`` on ``gan.dataset``'s ``gan.split``, as notebooks/06_gan.ipynb
does, into ``models/gan/<model>/checkpoint.pt`` (``paths.models``; rank 0 writes). The notebook
then finds the finished checkpoints (``gan.resume: true``) and goes on to its figures and distances
without training again.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from artdl.core import distributed, models_dir
from artdl.data import load_splits
from artdl.gan.images import load_training_images
from artdl.gan.train import train_gan


def train(cfg: Any, name: str, device: Any) -> None:
    gcfg = cfg.gan
    with distributed.main_first():  # rank 0 builds the split file and the image cache
        table = load_splits(cfg, gcfg.dataset)
        part = table[table["split"] == gcfg.split].reset_index(drop=True)
        images, labels, classes = load_training_images(part, int(gcfg.resolution))
    for kind in gcfg.models:
        run = train_gan(images, labels, classes, kind, gcfg, models_dir("gan") / kind, device=device,
                        seed=cfg.seed, progress=distributed.is_main())  # fmt: skip
        if distributed.is_main():
            print(f"{kind}: {run.step} generator steps on {distributed.world_size()} process(es), "
                  f"{run.seconds:.0f} s -> {run.checkpoint}", flush=True)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    return distributed.entry(argv, "Train 06's GANs (python -m artdl.gan, or under torchrun).", train)


if __name__ == "__main__":
    sys.exit(main())
