"""The performance tables of ``docs/performance.md``, generated from ``benchmarks/results/*.json``,
and 02's README line on the spread over seeds (``benchmarks/bench_seeds.py``'s file).

Each benchmark script writes its rows with the device, torch version and date; this module turns
every such file into a Markdown table under the marker ``<!-- results:bench-<name> -->``, headed by
where and when it was measured, so a performance number is never typed by hand either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from artdl.core import resolve
from artdl.report.markdown import md_table


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


PIPELINE_TOTAL = "**total (incl. kernel start-up)**"  # the last row of bench_pipeline.py's table


def pipeline_time(records: dict[str, dict[str, Any]]) -> str:
    """The README's line on how long ``make run`` takes: each ``bench_pipeline.py`` record
    (``pipeline*.json``), its total and its slowest notebook, on the CPU it ran on. Why more than
    one: 02's cached fine-tune runs in bf16 only where the CPU computes it natively
    (``classify.cache_precision: auto``), so one 2-core machine is not every 2-core machine."""
    parts = []
    for name, record in sorted(records.items()):
        rows = {r["notebook"]: float(r["seconds"]) for r in record.get("rows") or []}
        total = rows.pop(PIPELINE_TOTAL, None)
        if total is None or not rows:
            continue
        slowest = max(rows, key=rows.get)
        env = record.get("environment") or {}
        cpu = env.get("cpu") or "CPU model not recorded"
        parts.append(
            f"- {str(env.get('date', '?'))[:10]}, {env.get('device', '?')}, {cpu}: **{total / 60:.0f} min**, "
            f"of which {slowest.removesuffix('.ipynb')} {rows[slowest]:.0f} s (`benchmarks/results/{name}.json`)"
        )
    if not parts:
        return "No `benchmarks/bench_pipeline.py` run is recorded yet."
    return "How long `make run` took, measured by `benchmarks/bench_pipeline.py`:\n\n" + "\n".join(parts)


def readme_sections() -> dict[str, str]:
    """Every ``benchmarks/results/*.json`` as a table, a recipe trial of ``bench_seeds.py`` followed
    by its paired comparison with the default's seeds, and the README's ``make run`` time line."""
    folder = resolve("benchmarks/results")
    records = {path.stem: json.loads(path.read_text()) for path in sorted(Path(folder).glob("*.json"))}
    sections = {f"bench-{name}": bench_table(record) for name, record in records.items()}
    sections["pipeline-time"] = pipeline_time({n: r for n, r in records.items() if n.startswith("pipeline")})
    base = Path(SEEDS_FILE).stem
    for name, record in records.items():
        if base in records and name.startswith(base + "_"):  # bench_seeds.py --name 02_seeds_<trial>
            comparison = recipe_comparison(records[base], record, name, _confidence(record))
            if comparison:
                sections[f"bench-{name}"] += "\n\n" + comparison
    return sections


SEEDS_FILE = "benchmarks/results/02_seeds.json"
PAIRED_METRICS = ("val top-1 (kept)", "fine-tune top-1")  # what a recipe is chosen on, then the test


def _confidence(record: dict[str, Any]) -> float:
    """The interval level of the config the seeds ran with (``stats.confidence``), as Findings use."""
    from artdl.core import load_config

    rows = record.get("rows") or [{}]
    return float(load_config(str(rows[0].get("config") or "default")).stats.confidence)


def recipe_comparison(base: dict[str, Any], trial: dict[str, Any], name: str, confidence: float) -> str:
    """The default recipe's seeds (``02_seeds.json``) minus a trial's (``name``), paired by training
    seed on the same split: mean difference of val and test top-1 with a t interval (df = n - 1), and
    the ratio of mean fine-tune seconds. Why paired: a seed's split and initialisation are shared by
    both recipes, so the per-seed difference removes the spread between seeds that the two tables'
    ± sd still carry. An interval that includes 0 is said as "no measurable difference", not as a
    win; "" when fewer than two seeds are shared."""
    import statistics

    from scipy import stats

    ours = {(r.get("split seed"), r["seed"]): r for r in seed_groups(base.get("rows") or [])[0]}
    theirs = {(r.get("split seed"), r["seed"]): r for r in seed_groups(trial.get("rows") or [])[0]}
    shared = [key for key in ours if key in theirs]
    n = len(shared)
    if n < 2:
        return ""
    t = float(stats.t.ppf((1 + confidence) / 2, n - 1))
    base_file, trial_file = f"`{Path(SEEDS_FILE).name}`", f"`{name}.json`"
    parts = []
    for metric in PAIRED_METRICS:
        diffs = [float(ours[k][metric]) - float(theirs[k][metric]) for k in shared]
        mean, half = statistics.mean(diffs), t * statistics.stdev(diffs) / n**0.5
        low, high = mean - half, mean + half
        verdict = (f"higher with {base_file}" if low > 0 else f"higher with {trial_file}" if high < 0
                   else f"no measurable difference at {n} seeds")  # fmt: skip
        label = "test top-1" if metric == "fine-tune top-1" else metric
        parts.append(f"{label} {mean:+.3f} [{low:+.3f}, {high:+.3f}], {verdict}")
    seconds = [statistics.mean(float(rows[k]["seconds"]) for k in shared) for rows in (ours, theirs)]
    seeds = ", ".join(str(k[1]) for k in shared)
    split = f" on split seed {shared[0][0]}" if shared[0][0] is not None else ""
    return (
        f"Paired by training seed ({seeds}{split}), {base_file} minus {trial_file}, mean difference with "
        f"its {confidence:.0%} t interval (df {n - 1}): {'; '.join(parts)}. Fine-tune time: {base_file} took "
        f"{seconds[0] / seconds[1]:.1f}x as long (mean {seconds[0]:.1f} s against {seconds[1]:.1f} s)."
    )


def seeds_line() -> str:
    """ "3 seeds: fine-tune 0.xxx ± 0.0xx, probe …" from ``benchmarks/bench_seeds.py``'s results file
    (sample sd, ddof 1), and the spread over split draws where it has them, or "not measured yet"."""
    path = resolve(SEEDS_FILE)
    if not path.is_file():
        return "Spread over training seeds: not measured yet (run `python benchmarks/bench_seeds.py`)."
    saved = json.loads(path.read_text())
    rows = saved.get("rows") or []
    env = saved.get("environment") or {}
    where = "; ".join(str(env[k])[:10] if k == "date" else str(env[k]) for k in ("cpu", "date") if env.get(k))
    training, draws = seed_groups(rows)
    if len(training) < 2:  # a run stopped after its first seed: a value, no spread
        done = "; ".join(f"seed {r['seed']}: fine-tune {r['fine-tune top-1']:.3f}, probe {r['linear probe top-1']:.3f}"
                         for r in training)  # fmt: skip
        return f"Spread over training seeds: not measured yet ({done or 'no seed finished'}; `benchmarks/bench_seeds.py`)."
    seeds = ", ".join(str(row["seed"]) for row in training)
    line = (
        f"{len(training)} seeds ({seeds}; `benchmarks/bench_seeds.py`{', ' + where if where else ''}, "
        "mean ± sd of test top-1): fine-tune "
        f"{spread(training, 'fine-tune top-1')}, probe {spread(training, 'linear probe top-1')}."
    )
    if len(draws) > 1:
        splits = ", ".join(str(r["split seed"]) for r in draws)
        line += (
            f" Over {len(draws)} train/val/test draws (`data.split.seed` {splits}, training seed {rows[0]['seed']}):"
            f" fine-tune {spread(draws, 'fine-tune top-1')}, probe {spread(draws, 'linear probe top-1')}"
            f" (range {min(r['fine-tune top-1'] for r in draws):.3f}-{max(r['fine-tune top-1'] for r in draws):.3f})."
        )
    return line


def seed_groups(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``benchmarks/bench_seeds.py``'s rows as (training seeds on the first row's split, split draws
    at the first row's training seed): the two spreads its notes and the README report. Rows from
    before split draws (no ``split seed``) all count as training seeds."""
    if not rows:
        return [], []
    home, first = rows[0].get("split seed"), rows[0]["seed"]
    return [r for r in rows if r.get("split seed") == home], [r for r in rows if r["seed"] == first]


def spread(rows: list[dict[str, Any]], key: str) -> str:
    """``mean ± sd`` of ``key`` over rows (sample sd, ddof 1; 0 for a single row)."""
    import statistics

    values = [float(row[key]) for row in rows]
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values) if len(values) > 1 else 0.0:.3f}"
