"""The README's "Results at a glance": one headline row per step, each from its results file.

Only rows whose results file exists are shown, so a fresh clone before its first run shows an
empty table rather than another run's numbers. Every row names its data set and split.
"""

from __future__ import annotations

from typing import Any

from artdl.core import MissingArtifactError, load_results
from artdl.report import ci, md_table


def _try(notebook: str, config_name: str = "default") -> dict[str, Any] | None:
    try:
        return load_results(notebook, config_name)["metrics"]
    except MissingArtifactError:
        return None


def _classify(m: dict[str, Any], run: str = "CPU default") -> list[str]:
    models, task = m["models"], m["task"]
    tuned, probe, scratch = models["fine-tune"], models.get("linear probe"), models.get("from scratch")
    base = [f"linear probe {ci(probe['top1'], *probe['top1_ci'])}"] if probe else []
    if scratch:
        base.append(f"from scratch {scratch['top1']:.3f}")
    base.append(f"chance {1 / len(task['classes']):.3f}")
    return [
        "02",
        f"style top-1, `{task['dataset']}` test (n={task['n']['test']}, {len(task['classes'])} classes), "
        f"{run}, {m['recipe']['image_size']} px",
        f"fine-tune **{ci(tuned['top1'], *tuned['top1_ci'])}**",
        "; ".join(base),
    ]


def _full_run(m: dict[str, Any]) -> str:
    """Which ``full`` run this was: its recipe and hardware (a GPU config may have run on a CPU)."""
    from artdl.core import load_results

    recipe = m["recipe"]
    hardware = load_results("02_classify", "full").get("environment", {}).get("hardware", "?")
    net = "whole net" if recipe.get("unfreeze_stages", -1) < 0 else f"last {recipe['unfreeze_stages']} stages"
    return f"`full` config ({net}, {recipe['epochs']} epochs, {hardware.split(' (')[0]})"


def _autoencode(m: dict[str, Any]) -> list[str]:
    knn = m["knn"]
    best = max((k for k in knn if k != "pixels"), key=lambda k: knn[k]["accuracy"])
    return [
        "03",
        f"5-NN label accuracy of AE codes, {' + '.join(m['collection']['datasets'])} test (n={knn[best]['n_test']})",
        f"{best.upper()} {knn[best]['accuracy']:.3f}",
        f"raw pixels {knn['pixels']['accuracy']:.3f}; chance {knn['pixels']['chance']:.3f}",
    ]


def _retrieve(m: dict[str, Any]) -> list[list[str]]:
    rows = []
    ev, chance = m["evaluation"], m["chance"]
    best = max(
        ev, key=lambda k: ev[k]["label P@10"] if isinstance(ev[k], dict) and "label P@10" in ev[k] else -1
    )
    rows.append(
        [
            "04",
            f"label P@10, cosine top-10 ({m['collection']['paintings']} paintings, all splits)",
            f"`{best}` {ev[best]['label P@10']:.3f}",
            f"chance {chance['label']:.3f}",
        ]
    )
    sweep = m["sweep"]
    by_weight = {r["weight"]: r for r in sweep["rows"]}
    chosen = sweep.get("chosen", sweep.get("chosen_weight"))
    if chosen in by_weight:
        key = "connected share@10 (d<=1)"
        rows.append(
            [
                "04",
                f"influence-connected share@10, re-rank α = {chosen} ({sweep['queries']} queries)",
                f"{by_weight[chosen][key]:.3f}",
                f"no re-rank {by_weight[0.0][key]:.3f}",
            ]
        )
    styles = m.get("styles") or {}
    if styles.get("imagenet"):
        tuned = styles.get("fine-tuned") or styles.get("finetuned")
        rows.append(
            [
                "04",
                f"style P@10, `{styles['dataset']}` {styles['split']} (n={styles['paintings']})",
                f"fine-tuned backbone {tuned['P@10']:.3f}" if tuned else "fine-tuned backbone: not run",
                f"ImageNet {styles['imagenet']['P@10']:.3f}; chance {styles['chance']:.3f}",
            ]
        )
    return rows


def _archive(m: dict[str, Any]) -> list[str]:
    held = m["graph"]["heldout"]
    split = m["graph"]["split"]
    return [
        "05",
        f"mean rank of the graph positive, held-out artists ({split['heldout_artists']} artists, "
        f"{held['triplets']} triplets; 1 = best)",
        f"after head {held['after']:.2f} ± {2 * held['after_se']:.2f}",
        f"before {held['before']:.2f}; chance {held['chance']:.2f}",
    ]


def _gan(m: dict[str, Any]) -> list[str]:
    space = m["feature_space"]
    key = space["fd"]
    rows = {r["set"]: r for r in m["distances"]}
    gans = [r for r in m["distances"] if r.get("model")]
    best = min(gans, key=lambda r: r[key])
    real = rows.get("real held-out")
    return [
        "06",
        f"{space['description']}, `{m['dataset']}` at {m['resolution']} px (n={best['n']})",
        f"{best['set']} {best[key]:,.0f}",
        f"real held-out paintings {real[key]:,.0f} (the floor at this n)" if real else "",
    ]


def readme_sections() -> dict[str, str]:
    rows: list[list[str]] = []
    for notebook, build in (
        ("02_classify", _classify),
        ("03_autoencode", _autoencode),
        ("04_retrieve", _retrieve),
        ("05_archive", _archive),
        ("06_gan", _gan),
    ):
        metrics = _try(notebook)
        if metrics is None:
            continue
        built = build(metrics)
        rows.extend(built if built and isinstance(built[0], list) else [built])
        full = _try(notebook, "full") if notebook == "02_classify" else None
        if full is not None:
            rows.append(_classify(full, _full_run(full)))
    header = ["step", "what is measured (data, split)", "result", "baseline"]
    table = md_table(rows, header) if rows else "_No results yet: run `make run`._"
    return {"summary": table}
