"""``python -m artdl.classify``: 02's training run from the shell, on one process or under torchrun.

    python -m artdl.classify --config full
    torchrun --nproc_per_node 4 -m artdl.classify --config full
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29400 -m artdl.classify --config full

It runs :func:`artdl.classify.run_classification` (the notebook's steps) and writes the checkpoints
to ``models/classifier/<name>/`` and the record to ``results/02_classify[.<name>].json``
(``paths.models``, ``paths.results``), from rank 0 only. Data-parallel training needs
``classify.frozen_cache=false`` (the whole net from images); docs/distributed.md has the rest.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from artdl import data
from artdl.classify.experiment import make_loaders
from artdl.classify.pipeline import run_classification
from artdl.classify.recipe import FitConfig
from artdl.core import distributed, models_dir, write_results


def _prepare(cfg: Any) -> None:
    """Build the split file and the image cache once (rank 0), before every rank reads them."""
    c = cfg.classify
    with distributed.main_first():
        table = data.load_splits(cfg, c.dataset)
        make_loaders(table, data.class_names(table), c.backbone, c.image_size, c.batch_size,
                     cache=c.cache, cache_side=c.cache_side, progress=distributed.is_main())  # fmt: skip


def train(cfg: Any, name: str, device: Any) -> None:
    started = time.perf_counter()
    FitConfig.from_cfg(cfg.classify, seed=cfg.seed)  # a bad value fails now, not after the data is read
    _prepare(cfg)
    main = distributed.is_main()
    record = run_classification(
        cfg, models_dir("classifier") / name, device, progress=main, log=lambda m: print(m, flush=True)
    )
    if main:
        record.seconds["wall"] = time.perf_counter() - started
        path = write_results(record, cfg, config_name=name)
        print(f"wrote {path}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    return distributed.entry(
        argv, "Train 02's classifier (python -m artdl.classify, or under torchrun).", train
    )


if __name__ == "__main__":
    sys.exit(main())
