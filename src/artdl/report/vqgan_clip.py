"""07 · VQGAN+CLIP: Findings and the README table from ``results/07_vqgan_clip.json``
(a :class:`artdl.vqgan_clip.VqganClipRecord`).

The first line always says whether the weights were random: with a random CLIP or VQGAN the
images and CLIP scores are a wiring check, and a reader skimming the Findings must not take them
for results. The statement is computed from the record, so a ``--config full`` run with real
weights drops it by itself.
"""

from __future__ import annotations

from artdl.report.markdown import md_table
from artdl.vqgan_clip import VqganClipRecord, random_networks

RECORD = VqganClipRecord


def _weights_line(r: VqganClipRecord) -> str:
    random = random_networks(r.random_weights)
    if random:
        return (
            f"- **The {' and '.join(random)} weights are random on this machine** (checkpoint "
            f"`{r.checkpoint}`, CLIP `{r.clip_model}`): no trained weights can be downloaded here, so "
            f"the images above are noise-like patterns and the CLIP scores mean nothing. This run checks "
            f"the wiring (prompts, cutouts, quantisation, Adam, frames, scores), not the method."
        )
    return f"- Trained weights: VQGAN `{r.checkpoint}` and CLIP `{r.clip_model}`."


def _random(r: VqganClipRecord) -> bool:
    return any(r.random_weights.values())


def findings(record: VqganClipRecord) -> str:
    """The Findings of 07: weights (random or not), cost, loss movement and CLIP scores."""
    r, runs, s = record, record.runs, record.clip_scores
    falls = sum(x.last_loss < x.first_loss for x in runs)
    mean_change = sum(x.last_loss - x.first_loss for x in runs) / len(runs)
    lines = [
        _weights_line(r),
        f"- {len(runs)} images ({', '.join(r.epochs)}) at {r.size} px, {r.iterations} iterations "
        f"and {r.cutn} cutouts each: {r.seconds_total:.1f} s in all, {r.it_per_s:.1f} iterations/s "
        f"on {r.hardware}.",
        f"- The prompt loss fell in {falls} of {len(runs)} runs (mean change {mean_change:+.3f} from the "
        f"first to the last iteration).",
    ]
    score = (
        f"- CLIP score matrix: the diagonal is the best column in {s.top1:.0%} of rows (chance "
        f"{s.chance:.0%}); diagonal minus off-diagonal similarity {s.margin:+.4f}"
    )
    if _random(r):
        lines.append(score + ", which with random weights is chance by construction.")
    else:
        better = "above" if s.top1 > s.chance else "not above"
        lines.append(
            score + f": {better} chance, as judged by the same CLIP that steered the images "
            "(a measure of the optimisation, not of art-historical accuracy)."
        )
    return "\n".join(lines)


def readme(record: VqganClipRecord) -> dict[str, str]:
    """``{"vqgan_clip": table}``: weights, size, iterations, runtime, it/s and the score diagonal."""
    r = record
    row = [
        f"`{r.checkpoint}` + `{r.clip_model}`",
        "random (wiring demo)" if _random(r) else "trained",
        f"{r.size} px",
        f"{len(r.runs)} × {r.iterations}",
        r.cutn,
        f"{r.seconds_total:.1f} s",
        f"{r.it_per_s:.1f}",
        f"{r.clip_scores.top1:.2f} (chance {r.clip_scores.chance:.2f})",
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
    return {"vqgan_clip": f"{table}\n\n{r.hardware}; from `results/07_vqgan_clip.json`."}
