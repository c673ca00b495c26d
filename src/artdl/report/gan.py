"""06 · GAN: Findings and the README table from ``results/06_gan.json`` (a :class:`artdl.gan.GanRecord`).

Every statement is computed from the record: which model is closer to the real paintings, whether
a painter's samples land nearer that painter than the other painter's real paintings do, whether
samples sit closer to the training set than held-out paintings (copying), and the step budget of
``--config full`` read from ``configs/full.yaml`` at run time, so the notebook, the README and the
config cannot disagree.

A "closer" claim is written only from a :class:`artdl.gan.DistanceComparison` whose Fréchet and
kernel verdicts agree beyond their bootstrap intervals (:func:`artdl.gan.agreement`); otherwise
the sentence says that the run cannot tell, with both intervals.
"""

from __future__ import annotations

from artdl.core import Verdict
from artdl.gan import (
    REAL_HELD_OUT,
    REAL_OTHER_PAINTER,
    DistanceComparison,
    DistanceRow,
    FullConfig,
    GanRecord,
)
from artdl.gan import painters as painter_names
from artdl.report.markdown import md_table

RECORD = GanRecord
RERUN = "re-run 06 (`python -m artdl run --only 06`) for the bootstrap intervals and the verdicts"


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


def _bounds(low: float | None, high: float | None) -> str:
    return f" [{low:.1f}, {high:.1f}]" if low is not None and high is not None else ""


def _interval_note(row: DistanceRow) -> str:
    return (
        " (95 % bootstrap intervals over the images)"
        if row.fd_low is not None
        else " (no intervals: re-run 06)"
    )


def _gain(v: Verdict) -> str:
    return f"{v.difference:+.1f} [{v.low:+.1f}, {v.high:+.1f}]"


SEED_CAVEAT = "the interval covers which images were drawn, not another training seed or machine"


def comparison_sentence(c: DistanceComparison, fd: str, kd: str) -> str:
    """One comparison as the Findings state it: the claim only when both distances agree beyond
    their intervals, else "this run cannot tell", always with both closeness gains and intervals."""
    b = "the other painter's real paintings" if c.b == REAL_OTHER_PAINTER else f"**{c.b}**"
    gains = f"{fd} {_gain(c.fd)}, {kd} ×1000 {_gain(c.kd)}; closeness gain of {c.a}, {c.fd.method}"
    if c.b != REAL_OTHER_PAINTER:
        # Two machines' runs of the same config have told the two GANs apart and not: say what varies.
        gains += f"; one training run of each model: {SEED_CAVEAT}"
    verb = "are" if c.b == REAL_OTHER_PAINTER else "is"  # "than the other painter's paintings are"
    if c.claim == "closer":
        return f"**{c.a}** is closer to {c.reference} than {b} {verb}: {c.reason} ({gains})"
    if c.claim == "farther":
        return f"**{c.a}** is farther from {c.reference} than {b} {verb}: {c.reason} ({gains})"
    return f"this run cannot tell whether **{c.a}** or {b} sits nearer {c.reference}: {c.reason} ({gains})"


def _distance_lines(record: GanRecord) -> list[str]:
    rows = _equal_n_rows(record)
    space = record.feature_space
    floor = next(r for r in rows if r.set == REAL_HELD_OUT)
    models = [r for r in rows if r.model]
    parts = ", ".join(
        f"{r.model} {r.fd:.1f}{_bounds(r.fd_low, r.fd_high)} (KD×1000 {r.kd:.1f}{_bounds(r.kd_low, r.kd_high)})"
        for r in models
    )
    lines = [
        f"- {space.description}, to the {floor.n_reference} train paintings, {floor.n} images per "
        f"set at {record.resolution} px{_interval_note(floor)}: held-out real paintings (the floor) "
        f"{floor.fd:.1f}{_bounds(floor.fd_low, floor.fd_high)} (KD×1000 {floor.kd:.1f}"
        f"{_bounds(floor.kd_low, floor.kd_high)}); {parts}."
    ]
    if record.comparisons is None:
        return [*lines, f"- Which model sits nearest the train paintings: {RERUN}."]
    said = [comparison_sentence(c, space.fd, space.kd) for c in record.comparisons]
    best = _closest(record.comparisons, [r.model for r in models])
    if best is not None:
        said.append(f"so **{best}** is closest, at {_ratio(rows, best, floor)}× the floor")
    elif len(models) > 1:
        said.append("so no model is the closest by both distances")
    return [*lines, *(f"- {x[0].upper()}{x[1:]}." for x in said)]


def _ratio(rows: list[DistanceRow], model: str, floor: DistanceRow) -> str:
    fd = next(r.fd for r in rows if r.model == model)
    return f"{fd / max(floor.fd, 1e-9):.1f}"


def _closest(comparisons: list[DistanceComparison], models: list[str]) -> str | None:
    """The model that every comparison it is in calls closer (a claim of both distances), if any."""
    for m in models:
        mine = [c for c in comparisons if m in (c.a, c.b)]
        wins = [c for c in mine if (c.a == m and c.claim == "closer") or (c.b == m and c.claim == "farther")]
        if mine and len(wins) == len(mine):
            return m
    return None


def _painter_lines(record: GanRecord) -> list[str]:
    space, lines = record.feature_space, []
    if not record.per_painter:
        classes = record.training_set.classes
        why = (
            f"the GAN set has one class ({', '.join(classes)})"
            if len(classes) < 2
            else "no painter has at least 2 train, held-out and generated images"
        )
        return [f"- Per painter: not scored, because {why}: there is no other painter to measure against."]
    for painter in painter_names(record.per_painter):
        mine = {r.set: r for r in record.per_painter if r.painter == painter}
        floor, other = mine[REAL_HELD_OUT], mine[REAL_OTHER_PAINTER]
        gens = ", ".join(
            f"{s} {r.fd:.1f}{_bounds(r.fd_low, r.fd_high)}"
            for s, r in mine.items()
            if s not in (REAL_HELD_OUT, REAL_OTHER_PAINTER)
        )
        text = (
            f"- **{painter}** (n = {floor.n} per set, {space.fd}): held-out floor {floor.fd:.1f}"
            f"{_bounds(floor.fd_low, floor.fd_high)}, the other painter's real paintings {other.fd:.1f}"
            f"{_bounds(other.fd_low, other.fd_high)}" + (f"; generated: {gens}" if gens else "")
        )
        if record.painter_comparisons is None:
            lines.append(
                text
                + f". Whether a model sits nearer {painter} than the other painter's real paintings do: {RERUN}."
            )
            continue
        said = [
            comparison_sentence(c, space.fd, space.kd)
            for c in record.painter_comparisons
            if c.reference == painter
        ]
        lines.append(text + "." + "".join(f" {x[0].upper()}{x[1:]}." for x in said))
    return lines


def _memorisation_line(record: GanRecord) -> str:
    checks = "; ".join(m.sentence() for m in record.memorisation.values())
    return (
        f"- Memorisation (every model, {record.feature_space.name} features, cosine distance to the nearest "
        f"training painting): {checks}."
    )


def _full_steps(full: FullConfig) -> str:
    return ", ".join(f"{k} {v}" for k, v in full.steps.items())


def _full_line(record: GanRecord) -> str:
    full = record.full_config
    return (
        f"- `--config full` (from `configs/full.yaml`): {full.resolution} px, generator steps {_full_steps(full)}, "
        f"{full.n_samples} samples for the distances; meant for a GPU and the fetched `wikiart_full`, not run here."
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
            rows.append([f"real held-out (floor), n={r.n}", "–", "–", "–", *_cells(r)])
            continue
        run = record.models[r.model]
        rows.append(
            [
                f"{_model_label(r.model, run.n_critic)}, EMA generator, n={r.n}",
                run.steps,
                f"{run.seconds:.0f} s",
                f"{run.steps_per_second:.1f}",
                *_cells(r),
            ]
        )
    table = md_table(rows, ["model", "steps", "runtime", "steps/s", space.fd, f"{space.kd} ×1000"], "lrrrrr")
    verdicts = (
        RERUN[0].upper() + RERUN[1:] + "."
        if record.comparisons is None
        else " ".join(f"{comparison_sentence(c, space.fd, space.kd)}." for c in record.comparisons)
    )
    note = (
        f"{space.description}{_interval_note(_equal_n_rows(record)[0])} to the {_equal_n_rows(record)[0].n_reference} train paintings of "
        f"`{record.dataset}` at {record.resolution} px, {record.hardware}. Not FID: not comparable with "
        f"published numbers. `--config full`: {record.full_config.resolution} px, generator steps "
        f"{_full_steps(record.full_config)}."
    )
    return {"gan": f"{table}\n\n{note}\n\n{verdicts[0].upper()}{verdicts[1:]}"}


def _cells(r: DistanceRow) -> list[str]:
    return [f"{r.fd:.1f}{_bounds(r.fd_low, r.fd_high)}", f"{r.kd:.1f}{_bounds(r.kd_low, r.kd_high)}"]
