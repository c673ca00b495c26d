"""00 · the data: Findings from ``results/00_data.json`` (a :class:`artdl.data.DataRecord`); the README
data-set table from the manifests."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artdl.core import resolve
from artdl.data import SPLIT_DIR_NAMES, DataRecord, DuplicateGroups
from artdl.data.fetch import (
    DATASET_INFO,
    HUB_CARDS,
    ManifestRow,
    companion_files,
    datasets_needed,
    hub_datasets,
    is_commit,
    manifest_path,
    read_manifest,
    shipped_datasets,
)
from artdl.report.markdown import md_table

RECORD = DataRecord


def findings(record: DataRecord) -> str:
    """00's Findings: the set's size, its largest and smallest labels, the split and its look-alike groups."""
    counts = record.per_label
    largest = max(counts, key=lambda k: counts[k].total)
    smallest = min(counts, key=lambda k: counts[k].total)
    split = record.per_split
    merged = record.near_duplicate_groups.merged_groups
    lines = [
        f"- **{record.dataset}**: {record.n_paintings} paintings that decode, in {record.n_labels} labels "
        f"(`{record.label_column}`).",
        f"- The split is train {split.get('train', 0)} / val {split.get('val', 0)} / "
        f"test {split.get('test', 0)} (seed {record.split_seed})"
        + (f"; {merged} groups of near-duplicate images were kept on one side of it." if merged else "."),
        f"- The labels are {'balanced' if record.imbalance < 1.5 else 'skewed'}: the largest, "
        f"*{largest}*, has {counts[largest].total} paintings and the smallest, *{smallest}*, "
        f"{counts[smallest].total} ({record.imbalance:.1f}×).",
        f"- {record.n_named_artists} named artists; {record.n_dated} of {record.n_paintings} paintings carry a "
        + (f"year ({record.year_min}–{record.year_max})." if record.n_dated else "year."),
    ]
    conflicts = conflict_line(record.near_duplicate_groups, "00")
    return "\n".join(lines + ([f"- {conflicts}"] if conflicts else []))


def conflict_line(groups: DuplicateGroups, notebook: str) -> str:
    """One sentence on the look-alike groups whose copies carry different labels, and where they went.

    Empty when the split was not checked for look-alikes; "re-run" when it was made before the
    count existed. Shared by 00's and 02's Findings, which report the same split.
    """
    if not groups.images:
        return ""
    if groups.conflicting_groups is None:
        return f"Look-alikes with conflicting labels were not counted for this split: re-run {notebook}."
    if not groups.conflicting_groups:
        return "No look-alike group carries two labels."
    pairs = ", ".join(f"{' / '.join(p.labels)} ({p.groups})" for p in groups.label_pairs or [])
    where = (
        "they were all put in train, so no test painting has a disputed label "
        "(`data.split.conflicting_duplicates=exclude_from_test`)"
        if groups.conflicting_policy == "exclude_from_test"
        else f"they were split like any group (`data.split.conflicting_duplicates=keep`): "
        f"{groups.conflicting_in_test} of them are in the test split"
    )
    return (
        f"{_plural(groups.conflicting_groups, 'look-alike group')} ({groups.images_in_conflicting_groups} "
        f"paintings) {'carries' if groups.conflicting_groups == 1 else 'carry'} different labels on copies "
        f"of one image, most often {pairs}; {where}."
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def readme(record: DataRecord) -> dict[str, str]:
    """The README's split table: the per-label counts every later notebook trains and tests on."""
    rows = [[label, c.train, c.val, c.test, c.total] for label, c in sorted(record.per_label.items())]
    header = ["label", "train", "val", "test", "total"]
    table = md_table(rows, header, "lrrrr")
    intro = f"The split of `{record.dataset}` that 00 writes and every later notebook reads:"
    return {"split": f"{intro}\n\n{table}"}


def readme_sections() -> dict[str, str]:
    """The table of every shipped data set, generated from ``configs/sources/*.csv``."""
    return {"data": data_table_markdown()}


def _labels(cfg: Any, name: str, rows: Sequence[ManifestRow]) -> tuple[str, int]:
    spec = cfg.datasets.get(name) if name in cfg.datasets else None
    fmt = str(spec.format) if spec is not None else ""
    label = str(spec.label) if spec is not None and spec.get("label") else ""
    if fmt == "imagefolder":
        values = set()
        for r in rows:
            parts = Path(r.file).parts
            if len(parts) > 2 and parts[0].lower() in SPLIT_DIR_NAMES:
                values.add(parts[1])
            elif len(parts) > 1:
                values.add(parts[0])
        return DATASET_INFO.get(name, {}).get("label", label), len(values)
    for src, rel in companion_files(cfg, name):
        if rel == "metadata.csv" and label:
            with open(src, newline="", encoding="utf-8") as fh:
                return label, len({r.get(label, "") for r in csv.DictReader(fh)})
    return "", 0


def _human_bytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _minutes(n_bytes: int, bytes_per_s: float) -> str:
    seconds = n_bytes / bytes_per_s
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def data_table_markdown(cfg: Any | None = None, config_name: str = "default") -> str:
    """The README/docs table of every shipped set, computed from ``configs/sources/*.csv``.

    Columns: set, what it is, files, label (number of classes), source repository and pinned
    commit, terms, download size (originals, before shrinking). Followed by one line on what
    ``make run`` downloads on first use for ``config_name``. This is the body between the
    ``<!-- results:data -->`` markers; ``python -m artdl data table`` prints it.
    """
    from artdl.core import load_config

    cfg = cfg if cfg is not None else load_config(config_name)
    lines = [
        "| set | what it is | files | label (classes) | source (repository @ commit) | terms | download |",
        "|---|---|---:|---|---|---|---:|",
    ]
    sizes: dict[str, tuple[int, int]] = {}
    shipped = shipped_datasets(cfg)
    ordered = [n for n in cfg.datasets.keys() if n in shipped] + [n for n in shipped if n not in cfg.datasets]
    for name in ordered:
        rows = read_manifest(manifest_path(cfg, name))
        info = DATASET_INFO.get(name, {})
        label, n_labels = _labels(cfg, name, rows)
        label_text = f"{label} ({n_labels})" if label and n_labels else "–"
        sources = sorted({(r.repo, r.commit) for r in rows})
        source_text = ", ".join(
            f"[{repo}](https://github.com/{repo}/tree/{commit}) @ `{commit[:7]}`" for repo, commit in sources
        )
        total = sum(r.bytes for r in rows)
        sizes[name] = (len(rows), total)
        lines.append(
            f"| `{name}` | {info.get('what', '')} | {len(rows):,} | {label_text} | {source_text} | "
            f"{info.get('terms', 'see the source repository')} | {_human_bytes(total)} |"
        )
    hub = [n for n in hub_datasets(cfg) if n in HUB_CARDS]
    lines += [_hub_row(cfg, n) for n in hub]
    notebooks = sorted(p.stem for p in resolve(str(cfg.run.notebooks_dir)).glob("[0-9][0-9]_*.ipynb"))
    wanted = set(datasets_needed(cfg, notebooks))
    needed = [n for n in ordered if n in wanted]  # table order: stable when a notebook's set changes
    if needed:
        files = sum(sizes[n][0] for n in needed)
        total = sum(sizes[n][1] for n in needed)
        lines += [
            "",
            f"`make run` (config `{config_name}`) reads {', '.join(f'`{n}`' for n in needed)}: on a clone "
            f"without a local mirror it first downloads {files:,} files, {_human_bytes(total)}, about "
            f"{_minutes(total, 10e6)} at 10 MB/s or {_minutes(total, 1e6)} at 1 MB/s "
            f"(all shipped sets, `make data`: {sum(s[0] for s in sizes.values()):,} files, "
            f"{_human_bytes(sum(s[1] for s in sizes.values()))})"
            + "".join(
                f"; it also streams `{n}` from the hub (`python -m artdl data fetch {n}`)"
                for n in hub
                if n in wanted
            )
            + ".",
        ]
    return "\n".join(lines) + "\n"


def _hub_row(cfg: Any, name: str) -> str:
    """A hub set's row: its counts are those of its dataset card (:data:`HUB_CARDS`), marked "(hub)"."""
    spec, card, info = cfg.datasets[name], HUB_CARDS[name], DATASET_INFO.get(name, {})
    label = str(spec.get("label") or "")
    classes = dict(card.get("classes") or {})
    label_text = f"{label} ({classes[label]})" if label in classes else "–"
    hub_id, revision = str(spec.get("hub_id") or ""), str(spec.get("revision") or "main")
    pinned = (
        f"`{revision[:7]}`"
        if is_commit(revision)
        else f"`{revision}` (not pinned: resolved and printed at fetch)"
    )
    return (
        f"| `{name}` | {info.get('what', '')} | {card['rows']:,} (hub) | {label_text} | "
        f"[{hub_id}]({card['card']}) @ {pinned} | {info.get('terms', 'see the dataset card')} | streamed |"
    )
