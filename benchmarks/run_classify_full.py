"""The 02 classification run under a config, outside Jupyter: for long runs in the background.

    nohup python benchmarks/run_classify_full.py --config full data.num_workers=0 > full.log 2>&1 &
    python benchmarks/run_classify_full.py --config default --name louvre classify.dataset=louvre_genre

It calls :func:`artdl.classify.experiment.run_classification`, the same library steps as
notebooks/02_classify.ipynb (split, head phase = linear probe, fine-tune, from-scratch baseline
with the same wall time or optimizer steps, test metrics with intervals, predictions.csv), keeps its
checkpoints in ``models/classifier/<config>/`` so the notebook's default model is untouched, and
writes ``results/02_classify.<config>.json`` with :func:`artdl.core.results.write_results`, which the
README table and the Findings of 02 read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from artdl import classify
from artdl.core import (
    load_config,  # noqa: E402
    models_dir,  # noqa: E402
    setup,  # noqa: E402
    write_results,  # noqa: E402
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("overrides", nargs="*", help="config overrides, key=value")
    parser.add_argument("--config", default="full")
    parser.add_argument(
        "--name",
        default=None,
        help="results/02_classify.<name>.json and models/classifier/<name>/ (default: config)",
    )
    args = parser.parse_args()
    cfg = load_config(args.config, args.overrides)
    name = args.name or args.config
    device = setup(cfg)
    started = time.perf_counter()

    def write(record: classify.ClassificationRecord) -> None:
        record.overrides = list(args.overrides)
        record.seconds["wall"] = time.perf_counter() - started
        path = write_results(record, cfg, config_name=name)
        print(f"wrote {path}", flush=True)

    record = classify.run_classification(
        cfg,
        models_dir("classifier") / name,
        device,
        progress=True,
        log=lambda m: print(m, flush=True),
        on_partial=write,
    )
    write(record)


if __name__ == "__main__":
    main()
