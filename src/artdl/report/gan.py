"""06 · GAN: Findings and the README table from ``results/06_gan.json`` (a :class:`artdl.gan.GanRecord`).

Every statement is computed from the record: which model is closer to the real paintings, whether
a painter's samples land nearer that painter than the other painter's real paintings do, whether
samples sit closer to the training set than held-out paintings (copying), and the step budget of
``--config full`` read from ``configs/full.yaml`` at run time, so the notebook, the README and the
config cannot disagree.
"""

from __future__ import annotations

from artdl.gan import REAL_HELD_OUT, DistanceRow, FullConfig, GanRecord, painters
from artdl.report import md_table

RECORD = GanRecord
OTHER = "real other painter"


def _equal_n_rows(record: GanRecord) -> list[DistanceRow]:
    """The held-out floor and each model at the floor's sample count (not the 'all n' rows)."""
    n = next(r.n for r in record.distances if r.set == REAL_HELD_OUT)
    return [r for r in record.distances if r.n == n]


def _model_label(kind: str, n_critic: int) -> str:
    name = {"dcgan": "DCGAN", "wgan_gp": "WGAN-GP"}.get(kind, kind)
    return f"{name} ({n_critic} critic steps per step)" if n_critic > 1 else name


def _training_lines(record: GanRecord) -> list[str]:
    lines = []
    for kind, r in record.models.items():
        how = " (loaded from a finished checkpoint)" if r.resumed_from == r.steps else ""
        w = r.last_wasserstein
        wtxt = f"; its critic's Wasserstein estimate ends at {w:.2f} (mean of the last 10 steps)" if w else ""
        lines.append(
            f"- **{_model_label(kind, r.n_critic)}**: {r.steps} generator steps, {r.epochs} epochs, "
            f"{r.seconds:.0f} s ({r.steps_per_second:.1f} steps/s) on {record.hardware}{how}{wtxt}."
        )
    return lines


def _distance_lines(record: GanRecord) -> list[str]:
    rows = _equal_n_rows(record)
    floor = next(r for r in rows if r.set == REAL_HELD_OUT)
    models = [r for r in rows if r.model]
    best = min(models, key=lambda r: r.fd)
    parts = ", ".join(f"{r.model} {r.fd:.1f} (KD×1000 {r.kd:.1f})" for r in models)
    return [
        f"- {record.feature_space.description}, to the {floor.n_reference} train paintings, {floor.n} images per "
        f"set at {record.resolution} px: held-out real paintings (the floor) {floor.fd:.1f} (KD×1000 {floor.kd:.1f}); "
        f"{parts}. **{best.model}** is closest, at {best.fd / max(floor.fd, 1e-9):.1f}× the floor.",
    ]


def _painter_lines(record: GanRecord) -> list[str]:
    lines = []
    for painter in painters(record.per_painter):
        mine = {r.set: r for r in record.per_painter if r.painter == painter}
        floor, other = mine[REAL_HELD_OUT].fd, mine[OTHER].fd
        gens = {s: r.fd for s, r in mine.items() if s not in (REAL_HELD_OUT, OTHER)}
        verdicts = ", ".join(
            f"{s} {v:.1f} ({'closer to' if v < other else 'farther from'} {painter} than the other painter is)"
            for s, v in gens.items()
        )
        lines.append(
            f"- **{painter}** (n = {mine[REAL_HELD_OUT].n} per set): held-out floor {floor:.1f}, the other "
            f"painter's real paintings {other:.1f}" + (f"; generated: {verdicts}." if verdicts else ".")
        )
    return lines


def _memorisation_line(record: GanRecord) -> str:
    mm = record.memorisation
    verdict = (
        "closer to the training set than held-out paintings are: check the nearest-neighbour figure for copies"
        if mm.copying
        else "no closer to the training set than held-out real paintings are, so there is no sign of copying"
    )
    return (
        f"- Memorisation: the median cosine distance from a {mm.model} sample to its nearest training "
        f"painting is {mm.median_generated:.3f} (n = {mm.n_generated}, minimum {mm.min_generated:.3f}), "
        f"held-out paintings {mm.median_held_out:.3f} (n = {mm.n_held_out}): the samples are {verdict}."
    )


def _full_steps(full: FullConfig) -> str:
    return ", ".join(f"{k} {v}" for k, v in full.steps.items())


def _full_line(record: GanRecord) -> str:
    full = record.full_config
    return (
        f"- `--config full` (from `configs/full.yaml`): {full.resolution} px, generator steps {_full_steps(full)}, "
        f"{full.n_samples} samples for the distances; meant for a GPU and a real crawl, not run here."
    )


def findings(record: GanRecord) -> str:
    """The Findings of 06: training cost, distances overall and per painter, copying, full run."""
    lines = [
        *_training_lines(record),
        *_distance_lines(record),
        *_painter_lines(record),
        _memorisation_line(record),
        _full_line(record),
    ]
    return "\n".join(lines)


def readme(record: GanRecord) -> dict[str, str]:
    """``{"gan": table}``: per model steps, runtime, steps/s and the distances at equal n."""
    space = record.feature_space
    rows = []
    for r in _equal_n_rows(record):
        if not r.model:
            rows.append([f"real held-out (floor), n={r.n}", "–", "–", "–", f"{r.fd:.1f}", f"{r.kd:.1f}"])
            continue
        run = record.models[r.model]
        rows.append(
            [
                f"{_model_label(r.model, run.n_critic)}, EMA generator, n={r.n}",
                run.steps,
                f"{run.seconds:.0f} s",
                f"{run.steps_per_second:.1f}",
                f"{r.fd:.1f}",
                f"{r.kd:.1f}",
            ]
        )
    table = md_table(rows, ["model", "steps", "runtime", "steps/s", space.fd, f"{space.kd} ×1000"], "lrrrrr")
    note = (
        f"{space.description} to the {_equal_n_rows(record)[0].n_reference} train paintings of "
        f"`{record.dataset}` at {record.resolution} px, {record.hardware}. Not FID: not comparable with "
        f"published numbers. `--config full`: {record.full_config.resolution} px, generator steps "
        f"{_full_steps(record.full_config)}."
    )
    return {"gan": f"{table}\n\n{note}"}
