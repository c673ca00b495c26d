"""02 · classification: Findings and the README table from ``results/02_classify*.json``.

Every statement is computed from the record that :func:`artdl.classify.experiment.classification_record` built:
which epoch was kept, whether the fine-tune beats the linear probe of the same run, what the
from-scratch baseline got for the same wall time or optimizer steps, the most-confused pair. The README table
adds the ``full`` run (``results/02_classify.full.json``) and the Louvre genre run
(``results/02_classify.louvre.json``, ``benchmarks/run_classify_full.py --name louvre``) when they exist.
"""

from __future__ import annotations

from typing import Any

from artdl.core import MissingArtifactError
from artdl.report import ci, md_table

NOTEBOOK = "02_classify"

MODEL_ORDER = ("fine-tune", "fine-tune, last epoch", "linear probe", "from scratch")


def _acc(m: dict[str, Any], key: str = "top1") -> str:
    """``0.612 [0.58, 0.64]`` or ``–`` when the metric is not reported (top-3 with 4 classes)."""
    if key not in m:
        return "–"
    return ci(m[key], *m[f"{key}_ci"])


def _kept_sentence(m: dict[str, Any]) -> str:
    kept, epochs = m.get("kept", {}), m["recipe"]["epochs"]
    if kept.get("phase") == "head":
        return (
            "The kept checkpoint is the **head-only epoch 0**: no fine-tuning epoch beat the linear "
            f"probe on validation (val top-1 {kept['val_acc']:.3f}), so the kept model *is* the probe."
        )
    return (
        f"The kept checkpoint is fine-tuning epoch {kept.get('epoch')} of {epochs} "
        f"(best validation top-1, {kept.get('val_acc', float('nan')):.3f}); the head-only epoch 0 "
        "competed and lost."
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _precision(name: str) -> str:
    return {"bf16": "bf16 autocast", "auto": "fp32 on a CPU (bf16 autocast on a GPU)"}.get(name, name)


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["top1_ci"][0] <= b["top1_ci"][1] and b["top1_ci"][0] <= a["top1_ci"][1]


def _comparison_sentence(m: dict[str, Any]) -> str:
    models = m["models"]
    tuned, probe = models["fine-tune"], models.get("linear probe")
    if probe is None:
        return "No linear probe was run."
    diff = tuned["top1"] - probe["top1"]
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


def _scratch_sentence(m: dict[str, Any]) -> str:
    models = m["models"]
    if "from scratch" not in models:
        return "The from-scratch baseline was not run (`classify.scratch.enabled=false`)."
    steps = m.get("optimizer_steps", {})
    scratch, tuned = models["from scratch"], models["fine-tune"]
    worth = (
        f"ImageNet pretraining is worth {tuned['top1'] - scratch['top1']:+.3f} top-1 here "
        f"(chance {scratch['chance_top1']:.3f})."
    )
    if m["recipe"].get("scratch_budget") == "time":
        return (
            f"From scratch, the same architecture, given the fine-tune's wall time "
            f"({m['seconds']['fine-tune']:.0f} s: {steps.get('from scratch')} optimizer steps over all "
            f"layers), reaches {_acc(scratch)} top-1: {worth}"
        )
    same = "as many as" if steps.get("from scratch") == steps.get("fine-tune") else "against"
    return (
        f"From scratch, the same architecture reaches {_acc(scratch)} top-1 after "
        f"{steps.get('from scratch')} optimizer steps over all layers, {same} the fine-tune's "
        f"{steps.get('fine-tune')}: {worth}"
    )


def _confusion_sentence(m: dict[str, Any]) -> str:
    pairs = m.get("most_confused") or []
    tuned = m["models"]["fine-tune"]
    f1 = {c: v["f1"] for c, v in tuned["per_class"].items()}
    best, worst = max(f1, key=f1.get), min(f1, key=f1.get)
    text = f"Per class, F1 runs from {f1[worst]:.3f} ({worst}) to {f1[best]:.3f} ({best})."
    if pairs:
        p = pairs[0]
        text += (
            f" The most-confused pair is {p['true']} → {p['predicted']}: {p['count']} test paintings, "
            f"{p['share of true']:.1%} of all {p['true']}."
        )
    return text


def findings(record: dict[str, Any]) -> str:
    m = record["metrics"]
    task, recipe, models = m["task"], m["recipe"], m["models"]
    groups = task["split"].get("groups", {})
    n = task["n"]
    rows = [
        [name, _acc(models[name]), _acc(models[name], "top3"), f"{models[name]['macro_f1']:.3f}"]
        for name in MODEL_ORDER
        if name in models
    ]
    has_top3 = "top3" in models["fine-tune"]
    header = ["model", "test top-1 [95 % CI]", "test top-3 [95 % CI]", "macro-F1"]
    if not has_top3:
        rows = [[r[0], r[1], r[3]] for r in rows]
        header = [header[0], header[1], header[3]]
    lines = [
        f"- **Task:** {len(task['classes'])} classes of `{task['dataset']}`; train/val/test "
        f"{n['train']}/{n['val']}/{n['test']} paintings. "
        + (
            f"{groups.get('merged_groups', 0)} groups of look-alikes "
            f"({groups.get('images_in_merged_groups', 0)} images, difference hash within 4 bits) "
            "were kept inside one split."
            if groups
            else "The split was not checked for look-alikes."
        ),
        f"- **Recipe:** {recipe['backbone']} at {recipe['image_size']} px, {recipe['head_epochs']} head epochs "
        f"on cached features (= the linear probe), then {_plural(recipe['epochs'], 'epoch')} over "
        + (
            "the whole net"
            if recipe["unfreeze_stages"] < 0
            else f"the last {recipe['unfreeze_stages']} stages"
            + (
                " on the frozen trunk's activations, computed once "
                f"({_cache_precision(recipe)}; random flips of the activation maps)"
                if recipe.get("frozen_cache")
                else ""
            )
        )
        + f", AdamW one-cycle (peak {recipe['lr']:g}, warm-up {recipe['warmup']:.0%}), label smoothing "
        f"{recipe['label_smoothing']:g}, "
        + (
            "training from images (the baseline) "
            if "cache_precision" in recipe and recipe.get("frozen_cache")
            else ""
        )
        + f"{_precision(recipe['precision'])}.",
        f"- {_kept_sentence(m)}",
        f"- {_comparison_sentence(m)}",
        f"- {_scratch_sentence(m)}",
        f"- {_confusion_sentence(m)}",
    ]
    if not has_top3:
        lines.append(
            f"- Top-3 is not shown: with {len(task['classes'])} classes it is "
            f"{3 / len(task['classes']):.0%} by chance and says nothing."
        )
    seconds = m.get("seconds", {})
    if "notebook" in seconds:
        lines.append(f"- The whole notebook ran in {seconds['notebook']:.0f} s.")
    return "\n".join(lines) + "\n\n" + md_table(rows, header, "l" + "r" * (len(header) - 1))


def _cache_precision(recipe: dict[str, Any]) -> str:
    """The cached fine-tune's precision; records before ``cache_precision`` ran only the trunk
    pass in ``trunk_precision`` and trained the top in ``precision``."""
    if "cache_precision" in recipe:
        return f"trunk pass and top in {recipe['cache_precision']}"
    return f"trunk pass in {recipe.get('trunk_precision', 'fp32')}"


def _scratch_training(m: dict[str, Any]) -> str:
    """The baseline's budget: the fine-tune's wall time, or its number of steps (older records)."""
    steps = m.get("optimizer_steps", {}).get("from scratch")
    if m["recipe"].get("scratch_budget") == "time":
        return f"{m['seconds']['fine-tune']:.0f} s, same time ({steps} steps)"
    return f"{m['recipe'].get('scratch_epochs', m['recipe']['epochs'])} ep. ({steps} steps)"


def _finetune_kind(recipe: dict[str, Any]) -> str:
    if recipe.get("unfreeze_stages", -1) < 0:
        return "whole-net fine-tune"
    cached = (
        f", on the frozen trunk's cached activations ({_cache_precision(recipe)})"
        if recipe.get("frozen_cache")
        else ""
    )
    return f"last {recipe['unfreeze_stages']} stages fine-tuned{cached}"


def _rows(record: dict[str, Any], run: str) -> list[list[str]]:
    m = record["metrics"]
    steps = m.get("optimizer_steps", {})
    out = []
    for name in ("fine-tune", "linear probe", "from scratch"):
        if name not in m["models"]:
            continue
        model = m["models"][name]
        budget = {
            "fine-tune": f"{m['recipe']['epochs']} ep. ({steps.get('fine-tune')} steps)",
            "linear probe": f"{m['recipe']['head_epochs']} head ep.",
            "from scratch": _scratch_training(m),
        }[name]
        out.append([run, name, budget, _acc(model), _acc(model, "top3"), f"{model['macro_f1']:.3f}"])
    return out


def _describe(record: dict[str, Any], run: str) -> str:
    m, env = record["metrics"], record.get("environment", {})
    task, recipe, kept = m["task"], m["recipe"], m.get("kept", {})
    groups = task["split"].get("groups", {})
    n = task["n"]
    kept_text = (
        "the head-only epoch (= the probe)"
        if kept.get("phase") == "head"
        else f"fine-tuning epoch {kept.get('epoch')} of {recipe['epochs']}"
    )
    wall = m.get("seconds", {}).get("notebook", m.get("seconds", {}).get("wall"))
    return (
        f"- **{run}** (`{record.get('config')}`): `{task['dataset']}`, {len(task['classes'])} classes, "
        f"train/val/test {n['train']}/{n['val']}/{n['test']} (stratified, seed {task['split']['seed']}, "
        f"{_plural(groups.get('merged_groups', 0), 'look-alike group')} kept in one split); {recipe['backbone']} at "
        f"{recipe['image_size']} px, {_finetune_kind(recipe)}, training from images {_precision(recipe['precision'])}; kept: {kept_text}; "
        f"{env.get('hardware', '?')}, {env.get('date', '?')[:10]}"
        + (f", {wall:.0f} s" if wall else "")
        + (f"; overrides `{' '.join(m['overrides'])}`." if m.get("overrides") else ".")
    )


def readme(record: dict[str, Any]) -> dict[str, str]:
    from artdl.core import load_results

    runs = [("CPU default", record)]
    for name, label in (("full", "full"), ("louvre", "Louvre genres")):
        try:
            runs.append((label, load_results(NOTEBOOK, name)))
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
