"""Shared bits of the benchmark scripts: environment record, markdown table, JSON output."""

from __future__ import annotations

import datetime
import json
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# ARTDL_BENCH_RESULTS sends the JSON elsewhere: benchmarks/device_check.sh writes a lent GPU's tables
# beside its logs, so that they never overwrite the committed CPU tables by accident.
RESULTS = Path(os.environ.get("ARTDL_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")


def cpu_model() -> str:
    """The CPU's model name and whether it has native bf16 (AMX or AVX512-BF16), from /proc/cpuinfo.

    Recorded because bf16 kernels differ between CPU families: 02's fine-tune with the same seed
    scored 0.559 on the 2-core CPU of the committed run (AMX) and 0.557 on an AMD EPYC with
    AVX512-BF16, and only the results' hardware line told the two apart.
    """
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "?"
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    native = [f for f in ("amx_bf16", "avx512_bf16") if f in flags]
    return f"{name}, {'/'.join(native) if native else 'no native bf16'}"


def environment() -> dict[str, Any]:
    """Device, CPU, torch version and date, recorded with every table."""
    import torch

    device = (
        torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU only ({os.cpu_count()} cores)"
    )
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": device,
        "cpu": cpu_model(),
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
