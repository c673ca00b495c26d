"""02 · classification: Findings and the README table from ``results/02_classify*.json``.

Every statement is computed from the :class:`artdl.classify.ClassificationRecord` that
:func:`artdl.classify.classification_record` built: which epoch was kept, whether the fine-tune
beats the linear probe of the same run, what the from-scratch baseline got for the same wall time
or optimizer steps, the most-confused pair. The README table adds the ``full`` run
(``results/02_classify.full.json``) and the Louvre genre run (``results/02_classify.louvre.json``,
``benchmarks/run_classify_full.py --name louvre``) when they exist.
"""

from __future__ import annotations

from artdl.classify import ClassificationRecord, ModelScores, Recipe
from artdl.core import MissingArtifactError, load_record
from artdl.data import DuplicateGroups
from artdl.report import ci, md_table
from artdl.report.data import conflict_line

RECORD = ClassificationRecord

MODEL_ORDER = ("fine-tune", "fine-tune, last epoch", "linear probe", "from scratch")


def _acc(m: ModelScores, top3: bool = False) -> str:
    """``0.612 [0.58, 0.64]`` or ``–`` when the metric is not reported (top-3 with 4 classes)."""
    if not top3:
        return ci(m.top1, *m.top1_ci)
    return "–" if m.top3 is None or m.top3_ci is None else ci(m.top3, *m.top3_ci)


def _kept_sentence(r: ClassificationRecord) -> str:
    kept = r.kept
    if kept.phase == "head":
        return (
            "The kept checkpoint is the **head-only epoch 0**: no fine-tuning epoch beat the linear "
            f"probe on validation (val top-1 {kept.val_acc:.3f}), so the kept model *is* the probe."
        )
    return (
        f"The kept checkpoint is fine-tuning epoch {kept.epoch} of {r.recipe.epochs} "
        f"(best validation top-1, {kept.val_acc if kept.val_acc is not None else float('nan'):.3f}); "
        "the head-only epoch 0 competed and lost."
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _precision(name: str) -> str:
    return {"bf16": "bf16 autocast", "auto": "fp32 on a CPU (bf16 autocast on a GPU)"}.get(name, name)


def _overlap(a: ModelScores, b: ModelScores) -> bool:
    return a.top1_ci[0] <= b.top1_ci[1] and b.top1_ci[0] <= a.top1_ci[1]


def _comparison_sentence(r: ClassificationRecord) -> str:
    tuned, probe = r.models["fine-tune"], r.models.get("linear probe")
    if probe is None:
        return "No linear probe was run."
    diff = tuned.top1 - probe.top1
    verdict = "beats" if diff > 0 else "does **not** beat"
    sure = (
        "the 95 % intervals overlap, so the gap is within what another test draw could change"
        if _overlap(tuned, probe)
        else "the 95 % intervals do not overlap"
    )
    return (
        f"The kept fine-tune {verdict} the linear probe of the same run on the test split: top-1 "
        f"{_acc(tuned)} vs {_acc(probe)} ({diff:+.3f}); {sure}."
    )


def _scratch_sentence(r: ClassificationRecord) -> str:
    if "from scratch" not in r.models:
        return "The from-scratch baseline was not run (`classify.scratch.enabled=false`)."
    steps = r.optimizer_steps
    scratch, tuned = r.models["from scratch"], r.models["fine-tune"]
    worth = (
        f"ImageNet pretraining is worth {tuned.top1 - scratch.top1:+.3f} top-1 here "
        f"(chance {scratch.chance_top1:.3f})."
    )
    if r.recipe.scratch_budget == "time":
        return (
            f"From scratch, the same architecture, given the fine-tune's wall time "
            f"({r.seconds['fine-tune']:.0f} s: {steps.get('from scratch')} optimizer steps over all "
            f"layers), reaches {_acc(scratch)} top-1: {worth}"
        )
    same = "as many as" if steps.get("from scratch") == steps.get("fine-tune") else "against"
    return (
        f"From scratch, the same architecture reaches {_acc(scratch)} top-1 after "
        f"{steps.get('from scratch')} optimizer steps over all layers, {same} the fine-tune's "
        f"{steps.get('fine-tune')}: {worth}"
    )


def _confusion_sentence(r: ClassificationRecord) -> str:
    f1 = {c: v.f1 for c, v in r.models["fine-tune"].per_class.items()}
    best, worst = max(f1, key=f1.__getitem__), min(f1, key=f1.__getitem__)
    text = f"Per class, F1 runs from {f1[worst]:.3f} ({worst}) to {f1[best]:.3f} ({best})."
    if r.most_confused:
        p = r.most_confused[0]
        text += (
            f" The most-confused pair is {p.true} → {p.predicted}: {p.count} test paintings, "
            f"{p.share_of_true:.1%} of all {p.true}."
        )
    return text


def _recipe_line(recipe: Recipe) -> str:
    if recipe.unfreeze_stages < 0:
        trained = "the whole net"
    else:
        trained = f"the last {recipe.unfreeze_stages} stages" + (
            " on the frozen trunk's activations, computed once "
            f"({_cache_precision(recipe)}; random flips of the activation maps)"
            if recipe.frozen_cache
            else ""
        )
    return (
        f"- **Recipe:** {recipe.backbone} at {recipe.image_size} px, {recipe.head_epochs} head epochs "
        f"on cached features (= the linear probe), then {_plural(recipe.epochs, 'epoch')} over {trained}, "
        f"AdamW one-cycle (peak {recipe.lr:g}, warm-up {recipe.warmup:.0%}), label smoothing "
        f"{recipe.label_smoothing:g}, "
        + ("training from images (the baseline) " if recipe.frozen_cache else "")
        + f"{_precision(recipe.precision)}."
    )


def findings(record: ClassificationRecord) -> str:
    task, models = record.task, record.models
    groups, n = task.split.groups, task.n
    has_top3 = models["fine-tune"].top3 is not None
    rows = [
        [name, _acc(models[name]), _acc(models[name], top3=True), f"{models[name].macro_f1:.3f}"]
        for name in MODEL_ORDER
        if name in models
    ]
    header = ["model", "test top-1 [95 % CI]", "test top-3 [95 % CI]", "macro-F1"]
    if not has_top3:
        rows = [[r[0], r[1], r[3]] for r in rows]
        header = [header[0], header[1], header[3]]
    lines = [
        f"- **Task:** {len(task.classes)} classes of `{task.dataset}`; train/val/test "
        f"{n['train']}/{n['val']}/{n['test']} paintings. "
        + (
            f"{groups.merged_groups} groups of look-alikes "
            f"({groups.images_in_merged_groups} images, difference hash within 4 bits) "
            "were kept inside one split."
            if groups.images
            else "The split was not checked for look-alikes."
        )
        + (f" {conflicts}" if (conflicts := conflict_line(groups, "02")) else ""),
        _recipe_line(record.recipe),
        f"- {_kept_sentence(record)}",
        f"- {_comparison_sentence(record)}",
        f"- {_scratch_sentence(record)}",
        f"- {_confusion_sentence(record)}",
    ]
    if not has_top3:
        lines.append(
            f"- Top-3 is not shown: with {len(task.classes)} classes it is "
            f"{3 / len(task.classes):.0%} by chance and says nothing."
        )
    if "notebook" in record.seconds:
        lines.append(f"- The whole notebook ran in {record.seconds['notebook']:.0f} s.")
    return "\n".join(lines) + "\n\n" + md_table(rows, header, "l" + "r" * (len(header) - 1))


def _cache_precision(recipe: Recipe) -> str:
    return f"trunk pass and top in {recipe.cache_precision}"


def _scratch_training(r: ClassificationRecord) -> str:
    """The baseline's budget: the fine-tune's wall time, or its number of optimizer steps."""
    steps = r.optimizer_steps.get("from scratch")
    if r.recipe.scratch_budget == "time":
        return f"{r.seconds['fine-tune']:.0f} s, same time ({steps} steps)"
    return f"{r.recipe.epochs} ep. ({steps} steps)"


def _finetune_kind(recipe: Recipe) -> str:
    if recipe.unfreeze_stages < 0:
        return "whole-net fine-tune"
    cached = (
        f", on the frozen trunk's cached activations ({_cache_precision(recipe)})"
        if recipe.frozen_cache
        else ""
    )
    return f"last {recipe.unfreeze_stages} stages fine-tuned{cached}"


def _rows(r: ClassificationRecord, run: str) -> list[list[str]]:
    steps = r.optimizer_steps
    budgets = {
        "fine-tune": f"{r.recipe.epochs} ep. ({steps.get('fine-tune')} steps)",
        "linear probe": f"{r.recipe.head_epochs} head ep.",
        "from scratch": _scratch_training(r) if "from scratch" in r.models else "",
    }
    return [
        [run, name, budgets[name], _acc(m), _acc(m, top3=True), f"{m.macro_f1:.3f}"]
        for name in ("fine-tune", "linear probe", "from scratch")
        if (m := r.models.get(name)) is not None
    ]


def _describe(r: ClassificationRecord, run: str) -> str:
    task, recipe, kept, p = r.task, r.recipe, r.kept, r.provenance
    n = task.n
    kept_text = (
        "the head-only epoch (= the probe)"
        if kept.phase == "head"
        else f"fine-tuning epoch {kept.epoch} of {recipe.epochs}"
    )
    wall = r.seconds.get("notebook", r.seconds.get("wall"))  # the notebook's time, or the benchmark script's
    return (
        f"- **{run}** (`{p.config}`): `{task.dataset}`, {len(task.classes)} classes, "
        f"train/val/test {n['train']}/{n['val']}/{n['test']} (stratified, seed {task.split.seed}, "
        f"{_plural(task.split.groups.merged_groups, 'look-alike group')} kept in one split"
        f"{_conflicts_in_brief(task.split.groups)}); {recipe.backbone} at "
        f"{recipe.image_size} px, {_finetune_kind(recipe)}, training from images {_precision(recipe.precision)}; "
        f"kept: {kept_text}; {p.hardware}, {p.date[:10]}"
        + (f", {wall:.0f} s" if wall else "")
        + (f"; overrides `{' '.join(r.overrides)}`." if r.overrides else ".")
    )


def _conflicts_in_brief(groups: DuplicateGroups) -> str:
    """``, 3 of them with conflicting labels, in train`` for the README's run line ("" if not counted)."""
    if not groups.images or not groups.conflicting_groups:
        return ""
    where = "in train" if groups.conflicting_policy == "exclude_from_test" else "split like the others"
    return f", {groups.conflicting_groups} of them with conflicting labels, {where}"


def readme(record: ClassificationRecord) -> dict[str, str]:
    runs = [("CPU default", record)]
    for name, label in (("full", "full"), ("louvre", "Louvre genres")):
        try:
            runs.append((label, load_record(ClassificationRecord, name)))
        except MissingArtifactError:
            pass
    rows = [row for name, rec in runs for row in _rows(rec, name)]
    table = md_table(
        rows,
        ["run", "model", "training", "test top-1 [95 % CI]", "test top-3 [95 % CI]", "macro-F1"],
        "lllrrr",
    )
    notes = "\n".join(_describe(rec, name) for name, rec in runs)
    return {"classify": f"{table}\n\n{notes}"}
