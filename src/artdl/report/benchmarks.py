"""The performance tables of ``docs/performance.md``, generated from ``benchmarks/results/*.json``.

Each benchmark script writes its rows with the device, torch version and date; this module turns
every such file into a Markdown table under the marker ``<!-- results:bench-<name> -->``, headed by
where and when it was measured, so a performance number is never typed by hand either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from artdl.core import resolve
from artdl.report import md_table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    return "–" if value is None else str(value)


def bench_table(record: dict[str, Any]) -> str:
    """One benchmark file as a Markdown table under its environment line and the script's notes
    (data set, sizes, repeats, load: what a reader needs to know what the numbers measured)."""
    rows = record.get("rows") or []
    env = record.get("environment") or {
        "device": record.get("device", "?"),
        "torch": record.get("torch", "?"),
        "date": record.get("date") or "?",
    }
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    numeric = [all(isinstance(r.get(c), (int, float)) for r in rows if c in r) for c in columns]
    table = md_table(
        [[_cell(r.get(c)) for c in columns] for r in rows],
        columns,
        "".join("r" if n else "l" for n in numeric),
    )
    device = str(env.get("device", "?"))
    if env.get("cpu") and device.startswith("CPU"):  # which CPU: bf16 results differ between families
        device += f"; {env['cpu']}"
    when = f"_{device}, torch {env.get('torch', '?')}, {str(env.get('date', '?'))[:16]} UTC._"
    notes = str(record.get("notes") or "").strip()
    return f"{when}\n\n" + (f"{notes}\n\n" if notes else "") + table


def readme_sections() -> dict[str, str]:
    folder = resolve("benchmarks/results")
    return {
        f"bench-{path.stem}": bench_table(json.loads(path.read_text()))
        for path in sorted(Path(folder).glob("*.json"))
    }
