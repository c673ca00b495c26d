"""02's CPU default fine-tune and its linear probe over several training seeds: the spread of test top-1.

One run's interval is the spread of another *test draw*; this is the spread of another *training
run* on the same split (``data.split.seed`` stays fixed, ``seed`` changes the head's init, the
shuffling and the augmentations). The from-scratch baseline is switched off
(``classify.scratch.enabled=false``): it is not what is being measured, and it would double the time.

    nice -n 10 python benchmarks/bench_seeds.py > seeds.log 2>&1 &     # about 8 min on a quiet 2-core CPU
    python benchmarks/bench_seeds.py --seeds 0 1 2 3 4 classify.epochs=2

It calls :func:`artdl.classify.run_classification`, the notebook's own steps, once per seed, keeps the
checkpoints in a temporary folder (the notebook's model is untouched), prints mean ± sd (sample sd,
ddof = 1) and writes ``benchmarks/results/02_seeds.json``, which the README's 02 notes read
(:mod:`artdl.report.classify`) and ``docs/performance.md`` shows as a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402

from artdl import classify  # noqa: E402
from artdl.core import load_config, setup  # noqa: E402

NAME = "02_seeds"
COLUMNS = ("seed", "fine-tune top-1", "linear probe top-1", "kept", "fine-tune steps", "seconds")


def run_seed(seed: int, config: str, overrides: list[str]) -> dict:
    """One fine-tune (and its probe) of the config under training seed ``seed``: its row of the table."""
    cfg = load_config(config, [*overrides, f"seed={seed}", "classify.scratch.enabled=false"])
    device = setup(cfg)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="artdl-seeds-") as out:
        record = classify.run_classification(cfg, out, device, progress=False, log=lambda m: print(m, flush=True))
    kept = record.kept
    return {
        "seed": seed,
        "fine-tune top-1": record.models["fine-tune"].top1,
        "linear probe top-1": record.models["linear probe"].top1,
        "kept": "head (= probe)" if kept.phase == "head" else f"epoch {kept.epoch}",
        "fine-tune steps": record.optimizer_steps.get("fine-tune"),
        "seconds": time.perf_counter() - started,
        "n_test": record.models["fine-tune"].n,
        "config": config,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("overrides", nargs="*", help="config overrides, key=value")
    parser.add_argument("--config", default="default")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    rows: list[dict] = []
    for seed in args.seeds:
        rows.append(run_seed(seed, args.config, list(args.overrides)))
        print(rows[-1], flush=True)
        write(rows, args)  # after every seed: a run stopped on a busy machine keeps what it measured


def write(rows: list[dict], args: argparse.Namespace) -> None:
    """Print the table and write ``benchmarks/results/02_seeds.json`` with mean ± sd in its notes."""
    spread = {
        key: (statistics.mean(r[key] for r in rows), statistics.stdev(r[key] for r in rows) if len(rows) > 1 else 0.0)
        for key in ("fine-tune top-1", "linear probe top-1")
    }
    notes = (
        f"`{args.config}` config"
        + (f" with `{' '.join(args.overrides)}`" if args.overrides else "")
        + f", training seeds {', '.join(str(r['seed']) for r in rows)} (of {len(args.seeds)} asked), split seed fixed, "
        "no scratch baseline; "
        f"test n = {rows[0]['n_test']}. Mean ± sd (ddof 1): "
        + "; ".join(f"{k} {m:.3f} ± {s:.3f}" for k, (m, s) in spread.items())
    )
    report(NAME, rows, COLUMNS, notes)


if __name__ == "__main__":
    main()
