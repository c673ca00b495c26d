"""Wall time per notebook of the whole CPU pipeline (``make run``), as a markdown table.

Runs ``python -m artdl run`` (in place, like ``make run``) and reads the timings the runner
records in ``data/run_logs/timings.json``.

    python benchmarks/bench_pipeline.py [--config default] [--name pipeline] [key=value ...]

``--name`` names the results file (``benchmarks/results/<name>.json``), so a run on another kind of
CPU sits beside the first instead of replacing it: 02's cached fine-tune runs in bf16 only where the
CPU computes it natively (``classify.cache_precision: auto``), which ``bench_frozen_trunk.py``
measured 1.7-2x faster than fp32 on such a CPU.

For the time a new user waits, run it in a fresh clone (``git clone . ../fresh``): in place, 06
resumes its finished GAN checkpoints and 07 reuses its downloads. The notes say which it was, from
the files under ``models/`` before the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402

from artdl.report.benchmarks import PIPELINE_TOTAL  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="default")
    parser.add_argument("--name", default="pipeline", help="results file: benchmarks/results/<name>.json")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    before = trained_files()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "artdl", "run", "--config", args.config, *args.overrides],
        cwd=ROOT,
        check=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src")},
    )
    wall = time.perf_counter() - start
    timings = json.loads((ROOT / "data" / "run_logs" / "timings.json").read_text())
    rows = [{"notebook": k, "seconds": v} for k, v in timings["notebooks"].items()]
    rows.append({"notebook": PIPELINE_TOTAL, "seconds": round(wall, 1)})
    report(
        args.name,
        rows,
        ["notebook", "seconds"],
        notes=f"config={args.config} {' '.join(args.overrides)}".strip() + f" at commit {commit()}; "
        + start_state(before),
    )


def commit() -> str:
    """The checkout's commit, so a time stays tied to the recipe it ran (02's changed on 2026-12-04)."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def trained_files() -> list[Path]:
    """What ``models/`` held before the run: checkpoints a notebook may resume. The files a fresh
    clone has there (its README and the ``.gitkeep`` that keeps the folder in git) do not count."""
    folder = ROOT / "models"
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and p.name not in ("README.md", ".gitkeep")]


def start_state(before: list[Path]) -> str:
    """The notes' words for ``trained_files()``: a cold run, or how much it could reuse."""
    if not before:
        return "cold: models/ held no trained files before the run (a fresh clone)"
    return f"warm: models/ held {len(before)} files before the run, which notebooks may resume (not a fresh clone)"


if __name__ == "__main__":
    main()
