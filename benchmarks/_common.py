"""Shared bits of the benchmark scripts: environment record, markdown table, JSON output."""

from __future__ import annotations

import datetime
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

# ARTDL_BENCH_RESULTS sends the JSON elsewhere: benchmarks/device_check.sh writes a lent GPU's tables
# beside its logs, so that they never overwrite the committed CPU tables by accident.
RESULTS = Path(os.environ.get("ARTDL_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")


def environment() -> dict[str, Any]:
    """Device, CPU, torch version and date, recorded with every table."""
    from artdl.core import cpu_model

    device = (
        torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU only ({os.cpu_count()} cores)"
    )
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": device,
        "cpu": cpu_model(),  # bf16 results differ between CPU families
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    return str(value)


def report(name: str, rows: Sequence[dict[str, Any]], columns: Sequence[str], notes: str = "") -> Path:
    """Print the table with its environment and write ``benchmarks/results/<name>.json``."""
    env = environment()
    print(f"\n{name}: {env['device']}, torch {env['torch']}, {env['date']}")
    if notes:
        print(notes)
    print(markdown_table(rows, columns))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"environment": env, "notes": notes, "rows": list(rows)}, indent=2))
    return path


def interleaved_rounds(
    variants: Sequence[str], repeats: int, run: Callable[[str], dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """``run(variant)`` for every variant, ``repeats`` rounds, interleaved.

    On a shared machine the speed drifts during a benchmark; interleaving makes the drift hit every
    variant alike instead of whichever ran last. Each result is printed as it comes.
    """
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for _ in range(repeats):
        for variant in variants:
            runs[variant].append(run(variant))
            print(runs[variant][-1], flush=True)
    return runs


def timed_steps(step: Callable[[], Any], steps: int, warmup: int, device: torch.device) -> tuple[float, float]:
    """(seconds for ``steps`` calls of ``step`` after ``warmup`` untimed ones, peak GiB allocated).

    On CUDA the clock starts and stops on a synchronised device, so queued kernels are not left
    out of the time, and the peak is measured over the timed steps only; on a CPU it is NaN."""
    for _ in range(warmup):
        step()
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return seconds, torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")

