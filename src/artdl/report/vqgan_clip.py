"""07 · VQGAN+CLIP: Findings and the README table from ``results/07_vqgan_clip.json``.

The first line always says whether the weights were random: with a random CLIP or VQGAN the
images and CLIP scores are a wiring check, and a reader skimming the Findings must not take them
for results. The statement is computed from the record, so a ``--config full`` run with real
weights drops it by itself.
"""

from __future__ import annotations

from typing import Any

from artdl.report import md_table

NOTEBOOK = "07_vqgan_clip"


def _weights_line(m: dict[str, Any]) -> str:
    random = [name.upper() if name == "clip" else "VQGAN" for name, r in m["random_weights"].items() if r]
    if random:
        return (
            f"- **The {' and '.join(random)} weights are random on this machine** (checkpoint "
            f"`{m['checkpoint']}`, CLIP `{m['clip_model']}`): no trained weights can be downloaded here, so "
            f"the images below are noise-like patterns and the CLIP scores mean nothing. This run checks "
            f"the wiring (prompts, cutouts, quantisation, Adam, frames, scores), not the method."
        )
    return f"- Trained weights: VQGAN `{m['checkpoint']}` and CLIP `{m['clip_model']}`."


def findings(record: dict[str, Any]) -> str:
    """The Findings of 07: weights (random or not), cost, loss movement and CLIP scores."""
    m = record["metrics"]
    runs = m["runs"]
    falls = sum(r["last_loss"] < r["first_loss"] for r in runs)
    mean_change = sum(r["last_loss"] - r["first_loss"] for r in runs) / len(runs)
    s = m["clip_scores"]
    lines = [
        _weights_line(m),
        f"- {len(runs)} images ({', '.join(m['epochs'])}) at {m['size']} px, {m['iterations']} iterations "
        f"and {m['cutn']} cutouts each: {m['seconds_total']:.1f} s in all, {m['it_per_s']:.1f} iterations/s "
        f"on {m['hardware']}.",
        f"- The prompt loss fell in {falls} of {len(runs)} runs (mean change {mean_change:+.3f} from the "
        f"first to the last iteration).",
    ]
    score = (
        f"- CLIP score matrix: the diagonal is the best column in {s['top1']:.0%} of rows (chance "
        f"{s['chance']:.0%}); diagonal minus off-diagonal similarity {s['margin']:+.4f}"
    )
    if any(m["random_weights"].values()):
        lines.append(score + ", which with random weights is chance by construction.")
    else:
        better = "above" if s["top1"] > s["chance"] else "not above"
        lines.append(
            score + f": {better} chance, as judged by the same CLIP that steered the images "
            "(a measure of the optimisation, not of art-historical accuracy)."
        )
    return "\n".join(lines)


def readme(record: dict[str, Any]) -> dict[str, str]:
    """``{"vqgan_clip": table}``: weights, size, iterations, runtime, it/s and the score diagonal."""
    m = record["metrics"]
    weights = "random (wiring demo)" if any(m["random_weights"].values()) else "trained"
    row = [
        f"`{m['checkpoint']}` + `{m['clip_model']}`",
        weights,
        f"{m['size']} px",
        f"{len(m['runs'])} × {m['iterations']}",
        m["cutn"],
        f"{m['seconds_total']:.1f} s",
        f"{m['it_per_s']:.1f}",
        f"{m['clip_scores']['top1']:.2f} (chance {m['clip_scores']['chance']:.2f})",
    ]
    header = [
        "models",
        "weights",
        "size",
        "images × iterations",
        "cutouts",
        "runtime",
        "it/s",
        "diagonal top-1",
    ]
    table = md_table([row], header, "llrrrrrr")
    return {"vqgan_clip": f"{table}\n\n{m['hardware']}; from `results/07_vqgan_clip.json`."}
