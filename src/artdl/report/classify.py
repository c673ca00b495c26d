"""02 · classification: Findings and the README table from ``results/02_classify*.json``.

Every statement is computed from the :class:`artdl.classify.ClassificationRecord` that
:func:`artdl.classify.classification_record` built: which epoch was kept, whether the fine-tune
beats the linear probe of the same run, what the from-scratch baseline got for the same wall time
or optimizer steps, the most-confused pair. The README table adds the ``full`` run
(``results/02_classify.full.json``) and the Louvre genre run (``results/02_classify.louvre.json``,
``benchmarks/run_classify_full.py --name louvre``) when they exist.
"""

from __future__ import annotations

from artdl.classify import (
    ClassificationRecord,
    ModelScores,
    PairedTest,
    Recipe,
    ScratchStepsRecord,
    pair_with_finetune,
)
from artdl.core import MissingArtifactError, load_record
from artdl.data import DuplicateGroups
from artdl.report.benchmarks import seeds_line
from artdl.report.data import conflict_line
from artdl.report.markdown import ci, md_table

RECORD = ClassificationRecord

MODEL_ORDER = ("fine-tune", "fine-tune, last epoch", "linear probe", "from scratch, same time",
               "from scratch, same steps")  # fmt: skip


def _acc(m: ModelScores, top3: bool = False) -> str:
    """``0.612 [0.581, 0.642]`` or ``–`` when the metric is not reported (top-3 with 4 classes)."""
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


def _tests(r: ClassificationRecord, found: EqualSteps | None) -> dict[str, PairedTest]:
    """Every McNemar test of the fine-tune that 02 states, as one Bonferroni family: the record's
    own (probe, from-scratch rows) and the separately run equal-steps baseline (``found``, from
    :func:`_equal_steps`) when it is paired."""
    tests = dict(r.paired)
    if found is not None and not found[2] and found[1] is not None:
        tests[f"fine-tune vs {found[0].run.model}"] = found[1]
    return {name: test.within(len(tests)) for name, test in tests.items()}


def _paired_sentence(r: ClassificationRecord, other: str, tests: dict[str, PairedTest]) -> str:
    """The fine-tune against ``other`` as McNemar's verdict in ``tests`` says it, or why there is no test."""
    test = tests.get(f"fine-tune vs {other}")
    if test is not None:
        return test.verdict().sentence
    tuned, m = r.models["fine-tune"], r.models[other]
    return (
        f"fine-tune − {other} = {tuned.top1 - m.top1:+.3f} top-1, not tested: this record has no "
        "per-painting hits for McNemar's paired test (re-run 02)"
    )


def _comparison_sentence(r: ClassificationRecord) -> str:
    tuned, probe = r.models["fine-tune"], r.models.get("linear probe")
    if probe is None:
        return "No linear probe was run."
    return (
        f"Kept fine-tune vs the linear probe of the same run, on the same {tuned.n} test paintings "
        f"(top-1 {_acc(tuned)} vs {_acc(probe)}): "
        f"{_paired_sentence(r, 'linear probe', _tests(r, _equal_steps(r)))}."
    )


BUDGET_WORDS = {"time": "at equal wall time", "steps": "at equal optimizer steps"}
NOT_MEASURED = (
    "equal-steps baseline: not measured yet (run `python benchmarks/run_scratch_steps.py`, "
    "about 25 min on a 2-core CPU)"
)


EqualSteps = tuple[ScratchStepsRecord, PairedTest | None, str]


def _equal_steps(r: ClassificationRecord) -> EqualSteps | None:
    """The separately run equal-steps baseline of the CPU default, McNemar's test of it against *this*
    record's fine-tune, and why they are not comparable ("" when they are): both records are named
    ``default`` even after overrides, so another step count or split must not be paired."""
    if any(run.budget == "steps" for run in r.scratch_runs) or r.provenance.config not in ("", "default"):
        return None
    try:
        extra = load_record(ScratchStepsRecord, ScratchStepsRecord.CONFIG_NAME)
    except MissingArtifactError:
        return None
    split, mine = ((x.provenance.settings.get("data") or {}).get("split") for x in (extra, r))
    steps = r.optimizer_steps.get("fine-tune")
    if extra.dataset != r.task.dataset:
        return extra, None, f"it trained on {extra.dataset}, this run on {r.task.dataset}"
    if extra.finetune_steps != steps:
        return extra, None, f"it matched a fine-tune of {extra.finetune_steps} steps, this one took {steps}"
    if split and mine and split != mine:
        return extra, None, "its train/val/test split (data.split) is not this run's"
    return extra, pair_with_finetune(r.models["fine-tune"], extra.scores, extra.run.model), ""


def _scratch_sentences(r: ClassificationRecord) -> list[str]:
    """One sentence per budget that ran: the baseline's top-1 and the pretraining gain's verdict."""
    if not r.scratch_runs:
        return ["The from-scratch baseline was not run (`classify.scratch.enabled=false`)."]
    lines, found = [], _equal_steps(r)
    tests = _tests(r, found)
    for run in r.scratch_runs:
        m = r.models[run.model]
        lines.append(
            f"From scratch {BUDGET_WORDS[run.budget]} ({run.label}, every step over all layers; the "
            f"fine-tune took {r.optimizer_steps.get('fine-tune')} steps): top-1 {_acc(m)}, chance "
            f"{m.chance_top1:.3f}. ImageNet pretraining, {BUDGET_WORDS[run.budget]}: "
            f"{_paired_sentence(r, run.model, tests)}."
        )
    if found is not None and found[2]:
        extra, _, why = found
        lines.append(
            f"The equal-steps baseline of {extra.provenance.date[:10]} (`benchmarks/run_scratch_steps.py`) "
            f"is not comparable with this run: {why}. Re-run `python benchmarks/run_scratch_steps.py`."
        )
    elif found is not None:
        extra = found[0]
        test = tests.get(f"fine-tune vs {extra.run.model}")
        paired = (
            test.verdict().sentence
            if test is not None
            else "not tested (no per-painting hits of the same test paintings in both records; re-run 02)"
        )
        lines.append(
            f"From scratch at equal optimizer steps ({extra.run.label}, `benchmarks/run_scratch_steps.py` of "
            f"{extra.provenance.date[:10]}, paired with this run's fine-tune): top-1 {_acc(extra.scores)}. "
            f"ImageNet pretraining at equal optimizer steps: {paired}."
        )
    elif all(run.budget != "steps" for run in r.scratch_runs) and r.provenance.config in ("", "default"):
        lines.append(NOT_MEASURED[0].upper() + NOT_MEASURED[1:] + ".")
    return lines


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


def _split_sentence(r: ClassificationRecord) -> str:
    """Both splits side by side (``classify.split_comparison``), or what would show them."""
    gap = r.split_comparison
    if gap is None:
        return (
            "Stratified vs artist-disjoint split: not compared in this run (`classify.split_comparison=false`; "
            "it needs an `artist` column, as `wikiart_full` has)."
        )
    each = "; ".join(
        f"{s.split} {ci(s.top1, s.top1_low, s.top1_high)} (n = {s.n_test}, "
        f"{s.test_artist_seen:.0%} of test paintings by an artist seen in train)"
        for s in gap.scores
    )
    return f"Test top-1 by split: {each}. {_upper_first(gap.verdict().sentence)}."


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def findings(record: ClassificationRecord) -> str:
    """02's Findings: the scores per model with intervals, the kept epoch and the paired baselines' verdicts."""
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
        *(f"- {line}" for line in _scratch_sentences(record)),
        f"- {_split_sentence(record)}",
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
    trunk = recipe.trunk_precision or recipe.cache_precision  # one setting for both before trunk_precision
    if trunk == recipe.cache_precision:
        return f"trunk pass and top in {trunk}"
    return f"trunk pass in {trunk}, top in {recipe.cache_precision}"


def _finetune_kind(recipe: Recipe) -> str:
    if recipe.unfreeze_stages < 0:
        return "whole-net fine-tune"
    cached = (
        f", on the frozen trunk's cached activations ({_cache_precision(recipe)})"
        if recipe.frozen_cache
        else ""
    )
    return f"last {recipe.unfreeze_stages} stages fine-tuned{cached}"


def _paired_cell(name: str, tests: dict[str, PairedTest]) -> str:
    """McNemar's p-value of the fine-tune against ``name`` on the same test paintings."""
    if name == "fine-tune":
        return "–"
    test = tests.get(f"fine-tune vs {name}")
    if test is None:
        return "not tested (re-run 02)"
    return f"{test.difference:+.3f}, p = {test.p_value:.2g}" + ("" if test.significant else " (n.s.)")


def _rows(r: ClassificationRecord, run: str) -> list[list[str]]:
    steps = r.optimizer_steps
    budgets = {
        "fine-tune": f"{r.recipe.epochs} ep. ({steps.get('fine-tune')} steps)",
        "linear probe": f"{r.recipe.head_epochs} head ep.",
        **{s.model: s.label for s in r.scratch_runs},
    }
    found = _equal_steps(r)
    tests = _tests(r, found)
    rows = [
        [run, name, budgets.get(name, ""), _acc(m), _acc(m, top3=True), f"{m.macro_f1:.3f}", _paired_cell(name, tests)]
        for name in MODEL_ORDER
        if name != "fine-tune, last epoch" and (m := r.models.get(name)) is not None
    ]
    if found is not None and not found[2]:
        extra, m = found[0], found[0].scores
        rows.append([run, "from scratch, same steps", extra.run.label, _acc(m), _acc(m, top3=True),
                     f"{m.macro_f1:.3f}", _paired_cell(extra.run.model, tests)])  # fmt: skip
    return rows


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


def _verdict_lines(r: ClassificationRecord) -> list[str]:
    """The README's comparison sentences: the probe and each baseline, from the verdicts."""
    lines = [_comparison_sentence(r)] if "linear probe" in r.models else []
    lines += [_split_sentence(r)] if r.split_comparison is not None else []
    return lines + [s for s in _scratch_sentences(r) if "not run" not in s]


def readme(record: ClassificationRecord) -> dict[str, str]:
    """The README's 02 table over the CPU default, the full and the Louvre runs that exist, and the seed spread."""
    runs = [("CPU default", record)]
    for name, label in (("full", "full"), ("louvre", "Louvre genres")):
        try:
            runs.append((label, load_record(ClassificationRecord, name)))
        except MissingArtifactError:
            pass
    rows = [row for name, rec in runs for row in _rows(rec, name)]
    table = md_table(
        rows,
        ["run", "model", "training", "test top-1 [95 % CI]", "test top-3 [95 % CI]", "macro-F1",
         "fine-tune − model (McNemar)"],
        "lllrrrl",
    )  # fmt: skip
    notes = "\n".join(_describe(rec, name) for name, rec in runs)
    notes += "\n- **CPU default, over seeds:** " + seeds_line()
    notes += "".join(f"\n- **CPU default:** {line}" for line in _verdict_lines(record))
    return {"classify": f"{table}\n\n{notes}"}
