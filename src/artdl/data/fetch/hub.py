"""A painting set from the Hugging Face hub (``format: hf``): ``huggan/wikiart``, 27 styles at full scale.

The hub set holds its paintings at their original size (tens of GB of parquet). Nobody needs that
on disk to train at 224 px, so :func:`fetch_hub_dataset` streams it with 🤗 ``datasets``, shrinks
each image on the fly to ``short_side`` px (JPEG) and writes the artwork table that every other set
has (``metadata.csv``: ``path, index, style, genre, artist, title, date, source``): a fraction of it.
The label names come from the dataset's own ``ClassLabel`` features, never from a list typed here.

Resuming is the normal case for a download that takes an hour: every JPEG and the table are
written atomically (:func:`artdl.core.atomic_path`), the table and the stream position
(``fetch_state.json``, the stream's own ``state_dict``) are saved every ``flush_every`` images and
when the run stops for any reason, and a re-run skips every image already on disk. A folder of
parquet files in the hub's schema (``parquet_dir``) stands in for the hub offline: that is how the
tests run, and how a machine without internet uses a copy made elsewhere.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from artdl.core import remove_stale_parts
from artdl.data.fetch.hub_writer import (
    HUB_FORMAT,
    HUB_LABEL_COLUMNS,
    HUB_STATE,
    HUB_TABLE,
    HubFetchReport,
    HubSpec,
    _Run,
    parquet_files,
)
from artdl.data.fetch.manifest import FetchError
from artdl.data.sources import dataset_location

__all__ = [
    "ensure_hub_dataset",
    "fetch_hub_dataset",
    "hub_datasets",
    "hub_label_names",
    "is_commit",
    "open_hub_stream",
    "resolve_revision",
]

_COMMIT = re.compile(r"[0-9a-f]{40}")


def is_commit(revision: str) -> bool:
    """A hub commit (40 hex digits); anything else (``main``, a tag) is resolved to one at fetch time."""
    return bool(_COMMIT.fullmatch(revision))


def hub_datasets(cfg: Any) -> list[str]:
    """Names of the configured sets read from the hub (``format: hf``)."""
    return [n for n in cfg.datasets.keys() if str(cfg.datasets[n].get("format", "")) == HUB_FORMAT]


def open_hub_stream(spec: HubSpec) -> Any:
    """The train split as a 🤗 ``IterableDataset`` with undecoded images (bytes), local folder first.

    The hub is used only when no ``parquet_dir`` is configured. Images stay undecoded so that a
    resumed run skips a painting already on disk without paying for its decoding.
    """
    import datasets

    if spec.parquet_dir is not None:
        folder = spec.parquet_dir
        if not folder.is_dir():
            raise FetchError(
                f"datasets.{spec.name}.parquet_dir={folder} does not exist: point it at a folder of parquet "
                f'files in the {spec.hub_id or "hub"} schema, or set it to "" to stream from the hub.'
            )
        files = [str(p) for p in parquet_files(folder)]
        if not files:
            raise FetchError(f"datasets.{spec.name}.parquet_dir={folder} holds no *.parquet files.")
        stream = datasets.load_dataset("parquet", data_files={"train": files}, split="train", streaming=True)
    else:
        if not spec.hub_id:
            raise FetchError(f"datasets.{spec.name} needs a hub_id (e.g. huggan/wikiart) or a parquet_dir.")
        try:
            stream = datasets.load_dataset(spec.hub_id, split="train", streaming=True, revision=spec.revision)
        except Exception as err:  # the hub's errors (offline, unknown revision) are many types
            raise FetchError(
                f"Could not open {spec.hub_id} at revision {spec.revision} on the Hugging Face hub "
                f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}). Offline? Copy its "
                f"parquet files here and set datasets.{spec.name}.parquet_dir=/path/to/them; a revision the hub "
                f"does not have: set datasets.{spec.name}.revision=main (the newest, resolved and printed) or to a "
                f"commit of https://huggingface.co/datasets/{spec.hub_id}."
            ) from None
    hub_label_names(stream.features, spec.name)
    return stream.cast_column("image", datasets.Image(decode=False))


def resolve_revision(spec: HubSpec) -> HubSpec:
    """``spec`` at a commit: a branch or tag (``main``) is asked of the hub once, so that the rows,
    the resume state and the ``source`` column name the commit that was actually read.

    The shipped config pins a commit, so this asks nothing; with ``revision=main`` the resolved
    commit is printed so that a user can pin it for a reproducible fetch.
    """
    if spec.parquet_dir is not None or is_commit(spec.revision):
        return spec
    from huggingface_hub import HfApi

    try:
        info = HfApi(endpoint=spec.endpoint or None).dataset_info(spec.hub_id, revision=spec.revision)
    except Exception as err:  # offline, unknown id or revision: the hub's errors are many types
        raise FetchError(
            f"Could not ask the Hugging Face hub which commit {spec.hub_id}@{spec.revision} is "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}). Offline? Copy its "
            f"parquet files here and set datasets.{spec.name}.parquet_dir=/path/to/them, or pin "
            f"datasets.{spec.name}.revision to a commit of https://huggingface.co/datasets/{spec.hub_id}."
        ) from None
    if not info.sha:
        raise FetchError(
            f"The hub gave no commit for {spec.hub_id}@{spec.revision}; pin datasets.{spec.name}.revision."
        )
    print(
        f"artdl: {spec.hub_id}@{spec.revision} is commit {info.sha}; pin it for a reproducible fetch: "
        f"datasets.{spec.name}.revision={info.sha}",
        flush=True,
    )
    return dataclasses.replace(spec, revision=str(info.sha))


def hub_label_names(features: Any, name: str = "wikiart_full") -> dict[str, list[str]]:
    """``{column: names}`` of the ``ClassLabel`` columns: the label names are the dataset's own."""
    from datasets import ClassLabel

    features = features or {}
    wrong = [c for c in HUB_LABEL_COLUMNS if not isinstance(features.get(c), ClassLabel)]
    if "image" not in features or wrong:
        raise FetchError(
            f"The parquet files of '{name}' are not in the huggan/wikiart schema: they need an `image` column "
            f"and ClassLabel columns {', '.join(HUB_LABEL_COLUMNS)}; got {dict(features) or 'no features'}."
        )
    return {c: list(features[c].names) for c in HUB_LABEL_COLUMNS}


def _read_table(dest: Path) -> dict[int, dict[str, Any]]:
    import pandas as pd

    path = dest / HUB_TABLE
    if not path.is_file():
        return {}
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {int(r["index"]): r for r in table.to_dict("records") if (dest / r["path"]).is_file()}


def _check_same_source(spec: HubSpec, rows: dict[int, dict[str, Any]]) -> None:
    """Refuse to add to paintings fetched from another source: a row number names another painting there.

    Rows are numbered by their position in the stream, and a painting already on disk is skipped
    by that number; a hub commit other than the one fetched, or a local folder that gained or lost
    a parquet file, would mix two numberings in one table (and file a new painting's row under an
    old painting's JPEG).
    """
    other = sorted({str(r.get("source", "")) for r in rows.values()} - {spec.source})
    if other:
        raise FetchError(
            f"{spec.dest} holds {len(rows)} paintings of '{spec.name}' fetched from {', '.join(other)}; this "
            f"fetch reads {spec.source}, where the same row numbers name other paintings. Delete {spec.dest} "
            f"to fetch again from {spec.source}, or set datasets.{spec.name} back to the source it came from."
        )


def _resume_state(spec: HubSpec) -> dict[str, Any]:
    """The saved stream position, when it belongs to the same source and limit (else start over)."""
    path = spec.dest / HUB_STATE
    if not path.is_file():
        return {}
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    source = str(saved.get("source", ""))
    branch = spec.parquet_dir is None and not is_commit(spec.revision)
    # a finished fetch of a branch (main) stays finished, whichever commit it was resolved to then;
    # an unfinished one resumes only at its own resolved commit (resolve_revision comes first)
    same_source = source == spec.source or (
        branch and bool(saved.get("complete")) and source.startswith(f"{spec.hub_id}@")
    )
    return saved if same_source and saved.get("per_style") == spec.per_style else {}


def _expected_total(stream: Any, spec: HubSpec, n_styles: int) -> int | None:
    """Rows the run will end with, for the progress bar's ETA (parquet footers or the hub's card)."""
    total: int | None = None
    if spec.parquet_dir is not None:
        import pyarrow.parquet as pq

        total = sum(pq.ParquetFile(p).metadata.num_rows for p in parquet_files(spec.parquet_dir))
    else:
        splits = getattr(stream.info, "splits", None) or {}
        total = splits["train"].num_examples if "train" in splits else None
    if spec.per_style and total is not None:
        total = min(total, spec.per_style * n_styles)
    return total


def fetch_hub_dataset(
    cfg: Any,
    name: str,
    dest: str | Path | None = None,
    progress: bool = True,
    on_image: Callable[[int], None] | None = None,
) -> HubFetchReport:
    """Stream hub set ``name`` into ``dest`` (``datasets.<name>.root`` or ``data/raw/<name>``).

    A re-run writes only what is missing and ends with the same table. ``on_image(index)`` is
    called after each JPEG is written (progress hooks; the tests interrupt a run through it).
    """
    started = time.perf_counter()
    spec = HubSpec.from_cfg(cfg, name, dest)
    if dest is None and dataset_location(cfg, name)[0] == "mirror":  # a local mirror is read, never written
        rows = _read_table(spec.dest)
        return HubFetchReport(name, spec.dest, len(rows), len(rows), source="mirror", complete=True)
    done = _resume_state(spec)
    if done.get("complete"):  # finished before: not even the hub is asked again
        rows = _read_table(spec.dest)
        return HubFetchReport(name, spec.dest, len(rows), len(rows), source=str(done["source"]), complete=True,
                              seconds=time.perf_counter() - started)  # fmt: skip
    spec = resolve_revision(spec)
    stream = open_hub_stream(spec)
    names = hub_label_names(stream.features, name)
    spec.dest.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(spec.dest)
    rows = _read_table(spec.dest)
    _check_same_source(spec, rows)
    report = HubFetchReport(name, spec.dest, present=len(rows), source=spec.source)
    saved = _resume_state(spec)
    start = 0
    if saved.get("stream") is not None:
        try:
            stream.load_state_dict(saved["stream"])
            start = int(saved["next_index"])
        except Exception:  # noqa: BLE001 - a state of another datasets version: read from the start, skip what is there
            stream, start = open_hub_stream(spec), 0
    run = _Run(spec, names, rows, report, on_image)
    run.stream_state = saved.get("stream") if start else None  # killed again before a chunk ends: keep it
    try:
        run.consume(stream, start, _expected_total(stream, spec, len(names["style"])), progress)
    finally:
        run.save()
        report.total = len(rows)
        report.seconds = time.perf_counter() - started
    return report


def ensure_hub_dataset(cfg: Any, name: str, progress: bool = True) -> HubFetchReport | None:
    """Fetch (or finish fetching) hub set ``name`` unless it is complete or in a local mirror.

    Used by ``python -m artdl run`` before the first notebook, as for the shipped sets. Raises
    :class:`FetchError` when the source cannot be read, with the way to fix it.
    """
    kind, where = dataset_location(cfg, name)
    if kind == "mirror":
        return None
    if kind == "root" and (where / HUB_TABLE).is_file() and not (where / HUB_STATE).is_file():
        return None  # a copy placed by hand at an explicit root: the reader's business, as for shipped sets
    spec = HubSpec.from_cfg(cfg, name)
    if _resume_state(spec).get("complete"):
        return None
    print(
        f"artdl: data set '{name}' is not complete in {where}: streaming it from {spec.source} ...",
        flush=True,
    )
    report = fetch_hub_dataset(cfg, name, progress=progress)
    print(f"artdl: {report.summary()}", flush=True)
    return report
