"""00 · the data: Findings from ``results/00_data.json``; the README data-set table from the manifests."""

from __future__ import annotations

from typing import Any

from artdl.report import md_table

NOTEBOOK = "00_data"


def findings(record: dict[str, Any]) -> str:
    m = record["metrics"]
    counts = m["per_label"]
    largest = max(counts, key=lambda k: counts[k]["total"])
    smallest = min(counts, key=lambda k: counts[k]["total"])
    split = m["per_split"]
    lines = [
        f"- **{m['dataset']}**: {m['n_paintings']} paintings that decode, in {m['n_labels']} labels "
        f"(`{m['label_column']}`).",
        f"- The split is train {split.get('train', 0)} / val {split.get('val', 0)} / "
        f"test {split.get('test', 0)} (seed {m['split_seed']})"
        + _groups_clause(m.get("near_duplicate_groups") or {}),
        f"- The labels are {'balanced' if m['imbalance'] < 1.5 else 'skewed'}: the largest, "
        f"*{largest}*, has {counts[largest]['total']} paintings and the smallest, *{smallest}*, "
        f"{counts[smallest]['total']} ({m['imbalance']:.1f}×).",
        f"- {m['n_named_artists']} named artists; {m['n_dated']} of {m['n_paintings']} paintings carry a "
        + (f"year ({m['year_min']}–{m['year_max']})." if m["n_dated"] else "year."),
    ]
    return "\n".join(lines)


def _groups_clause(groups: dict[str, Any]) -> str:
    merged = groups.get("merged_groups", groups.get("merged"))
    if not merged:
        return "."
    return f"; {merged} groups of near-duplicate images were kept on one side of it."


def readme(record: dict[str, Any]) -> dict[str, str]:
    m = record["metrics"]
    rows = [
        [label, c["train"], c["val"], c["test"], c["total"]] for label, c in sorted(m["per_label"].items())
    ]
    header = ["label", "train", "val", "test", "total"]
    table = md_table(rows, header, "lrrrr")
    intro = f"The split of `{m['dataset']}` that 00 writes and every later notebook reads:"
    return {"split": f"{intro}\n\n{table}"}


def readme_sections() -> dict[str, str]:
    """The table of every shipped data set, generated from ``configs/sources/*.csv``."""
    from artdl.fetch import data_table_markdown

    return {"data": data_table_markdown()}
