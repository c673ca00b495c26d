"""The README's "Results at a glance": one headline row per step, each from its results record.

Only rows whose results file exists are shown, so a fresh clone before its first run shows an
empty table rather than another run's numbers. Every row names its data set and split.
"""

from __future__ import annotations

from collections.abc import Callable

from artdl.archive import ArchiveRecord
from artdl.autoencode import AutoencodeRecord
from artdl.classify import ClassificationRecord
from artdl.core import MissingArtifactError, Record, load_record
from artdl.gan import REAL_HELD_OUT, GanRecord
from artdl.report.markdown import ci, md_table
from artdl.report.retrieve import headline_rows
from artdl.retrieve import RetrievalRecord


def _try(record_type: type[Record], config_name: str = "default") -> Record | None:
    try:
        return load_record(record_type, config_name)
    except MissingArtifactError:
        return None


def _classify(r: ClassificationRecord, run: str = "CPU default") -> list[str]:
    models, task = r.models, r.task
    tuned, probe = models["fine-tune"], models.get("linear probe")
    base = [f"linear probe {ci(probe.top1, *probe.top1_ci)}"] if probe else []
    base += [f"from scratch ({run.label}) {ci(models[run.model].top1, *models[run.model].top1_ci)}"
             for run in r.scratch_runs]  # fmt: skip
    base.append(f"chance {1 / len(task.classes):.3f}")
    return [
        "02",
        f"style top-1, `{task.dataset}` test (n={task.n['test']}, {len(task.classes)} classes), "
        f"{run}, {r.recipe.image_size} px",
        f"fine-tune **{ci(tuned.top1, *tuned.top1_ci)}**",
        "; ".join(base),
    ]


def _full_run(r: ClassificationRecord) -> str:
    """Which ``full`` run this was: its recipe and hardware (a GPU config may have run on a CPU)."""
    recipe = r.recipe
    net = "whole net" if recipe.unfreeze_stages < 0 else f"last {recipe.unfreeze_stages} stages"
    return f"`full` config ({net}, {recipe.epochs} epochs, {r.provenance.hardware.split(' (')[0]})"


def _classify_rows(r: ClassificationRecord) -> list[list[str]]:
    rows = [_classify(r)]
    full = _try(ClassificationRecord, "full")
    if isinstance(full, ClassificationRecord):
        rows.append(_classify(full, _full_run(full)))
    return rows


def _autoencode(r: AutoencodeRecord) -> list[list[str]]:
    knn = r.knn
    best = max((k for k in knn if k != "pixels"), key=lambda k: knn[k].accuracy)
    vs = (r.vs_pixels or {}).get(best)
    verdict = (
        ""
        if vs is None
        else (
            f"; vs pixels {vs.difference:+.3f} [{vs.low:+.3f}, {vs.high:+.3f}], McNemar p = {vs.p_value:.2g}"
            + ("" if vs.significant else ": no measurable difference")
        )
    )
    return [
        [
            "03",
            f"5-NN label accuracy of AE codes, {' + '.join(r.collection.datasets)} test (n={knn[best].n_test})",
            f"{best.upper()} {knn[best].accuracy:.3f} [{knn[best].low:.3f}, {knn[best].high:.3f}]",
            f"raw pixels {knn['pixels'].accuracy:.3f}; chance {knn['pixels'].chance:.3f}{verdict}",
        ]
    ]


def _retrieve(r: RetrievalRecord) -> list[list[str]]:
    return headline_rows(r)  # written from the record's verdicts, beside 04's own tables


def _archive(r: ArchiveRecord) -> list[list[str]]:
    held, split = r.graph.heldout, r.graph.split
    return [
        [
            "05",
            f"mean rank of the graph positive, held-out artists ({split.heldout_artists} artists, "
            f"{held.triplets} triplets; 1 = best)",
            f"after head {held.after:.2f} ± {held.half_width(held.after_se):.2f} (95%, {held.clusters} {held.clustered_by}s)",
            f"before {held.before:.2f}; chance {held.chance:.2f}",
        ]
    ]


def _gan(r: GanRecord) -> list[list[str]]:
    real = next((row for row in r.distances if row.set == REAL_HELD_OUT), None)
    best = min((row for row in r.distances if row.model), key=lambda row: row.fd)
    return [
        [
            "06",
            f"{r.feature_space.description}, `{r.dataset}` at {r.resolution} px (n={best.n})",
            f"{best.set} {best.fd:,.0f}",
            f"real held-out paintings {real.fd:,.0f} (the floor at this n)" if real else "",
        ]
    ]


ROWS: tuple[tuple[type[Record], Callable[..., list[list[str]]]], ...] = (
    (ClassificationRecord, _classify_rows),
    (AutoencodeRecord, _autoencode),
    (RetrievalRecord, _retrieve),
    (ArchiveRecord, _archive),
    (GanRecord, _gan),
)


def readme_sections() -> dict[str, str]:
    """The README's results-at-a-glance table: one row per step whose results file exists, none invented."""
    rows: list[list[str]] = []
    for record_type, build in ROWS:
        record = _try(record_type)
        if record is not None:
            rows.extend(build(record))
    header = ["step", "what is measured (data, split)", "result", "baseline"]
    table = md_table(rows, header) if rows else "_No results yet: run `make run`._"
    return {"summary": table}
