"""02's CPU default fine-tune and its linear probe over training seeds and split draws: the spread of test top-1.

One run's interval is the spread of another *test draw* in theory; this measures two spreads in
practice. ``--seeds`` re-trains on the same split (``seed`` changes the head's init, the shuffling
and the augmentations): the spread of another *training run*. ``--split-seeds`` draws other
train/val/test splits (``data.split.seed``) and trains each once, with the first training seed:
the spread of another *test set*, which a single target such as "02 >= 0.56" sits inside. The
other splits are built in a temporary ``paths.processed``, so the notebook's split file is
untouched. The from-scratch baseline is switched off (``classify.scratch.enabled=false``): it is
not what is being measured, and it would double the time.

    nice -n 10 python benchmarks/bench_seeds.py > seeds.log 2>&1 &     # about 8 min on a quiet 2-core CPU
    python benchmarks/bench_seeds.py --seeds 0 1 2 --split-seeds 43 44 45   # 6 runs, 7.5 min on the 2-core AMD EPYC
    python benchmarks/bench_seeds.py --seeds 0 1 2 3 4 classify.epochs=2

It calls :func:`artdl.classify.run_classification`, the notebook's own steps, once per seed, keeps the
checkpoints in a temporary folder (the notebook's model is untouched), prints mean ± sd (sample sd,
ddof = 1) and writes ``benchmarks/results/02_seeds.json``, which the README's 02 notes read
(:mod:`artdl.report.classify`) and ``docs/performance.md`` shows as a table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402

from artdl import classify  # noqa: E402
from artdl.core import load_config, setup  # noqa: E402
from artdl.report.benchmarks import seed_groups, spread  # noqa: E402

NAME = "02_seeds"
COLUMNS = ("split seed", "seed", "fine-tune top-1", "linear probe top-1", "kept", "val top-1 (kept)", "fine-tune steps",
           "seconds")  # fmt: skip


def run_seed(seed: int, config: str, overrides: list[str], split_seed: int | None = None) -> dict:
    """One fine-tune (and its probe) of the config under training seed ``seed``, on the config's split
    or on the draw ``split_seed`` (built in a temporary folder): its row of the table."""
    with tempfile.TemporaryDirectory(prefix="artdl-seeds-") as out:
        extra = [] if split_seed is None else [f"data.split.seed={split_seed}", f"paths.processed={out}/processed"]
        cfg = load_config(config, [*overrides, f"seed={seed}", "classify.scratch.enabled=false", *extra])
        device = setup(cfg)
        started = time.perf_counter()
        record = classify.run_classification(cfg, f"{out}/models", device, progress=False,
                                             log=lambda m: print(m, flush=True))  # fmt: skip
    kept = record.kept
    return {
        "split seed": int(cfg.data.split.seed),
        "seed": seed,
        "fine-tune top-1": record.models["fine-tune"].top1,
        "linear probe top-1": record.models["linear probe"].top1,
        "kept": "head (= probe)" if kept.phase == "head" else f"epoch {kept.epoch}",
        "val top-1 (kept)": kept.val_acc,  # what chose the epoch, and what a recipe is chosen on
        "fine-tune steps": record.optimizer_steps.get("fine-tune"),
        "seconds": time.perf_counter() - started,
        "n_test": record.models["fine-tune"].n,
        "config": config,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("overrides", nargs="*", help="config overrides, key=value")
    parser.add_argument("--config", default="default")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds, on the config's split")
    parser.add_argument("--split-seeds", type=int, nargs="*", default=[],
                        help="other data.split.seed draws, each trained once with the first of --seeds")
    parser.add_argument("--name", default=NAME, help=f"results file name (default {NAME}, which the README reads); "
                        "another name keeps a recipe trial beside it, e.g. 02_seeds_stages2")  # fmt: skip
    args = parser.parse_args()
    runs = [(seed, None) for seed in args.seeds] + [(args.seeds[0], split) for split in args.split_seeds]
    rows: list[dict] = []
    for seed, split_seed in runs:
        rows.append(run_seed(seed, args.config, list(args.overrides), split_seed))
        print(rows[-1], flush=True)
        write(rows, args)  # after every run: a run stopped on a busy machine keeps what it measured


def write(rows: list[dict], args: argparse.Namespace) -> None:
    """Print the table and write ``benchmarks/results/<--name>.json`` with mean ± sd in its notes:
    over the training seeds on the config's split, and over the split draws at the first seed."""
    training, draws = seed_groups(rows)
    keys = [k for k in ("fine-tune top-1", "linear probe top-1", "val top-1 (kept)") if all(k in r for r in rows)]
    notes = (
        f"`{args.config}` config"
        + (f" with `{' '.join(args.overrides)}`" if args.overrides else "")
        + f", no scratch baseline, test n = {rows[0]['n_test']}; mean ± sd (ddof 1). Training seeds "
        + ", ".join(str(r["seed"]) for r in training) + f" on split seed {rows[0]['split seed']}: "
        + "; ".join(f"{k} {spread(training, k)}" for k in keys)
    )
    if len(draws) > 1:
        notes += (f". Split seeds {', '.join(str(r['split seed']) for r in draws)} at training seed {rows[0]['seed']}: "
                  + "; ".join(f"{k} {spread(draws, k)}" for k in keys))  # fmt: skip
    report(args.name, rows, COLUMNS, notes)


if __name__ == "__main__":
    main()
