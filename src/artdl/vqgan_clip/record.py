"""07's results record: which weights ran (random or trained), the cost, the loss of every image
and the CLIP score matrix's diagonal.

Built by :func:`vqgan_clip_record` from :func:`artdl.vqgan_clip.render_presets`' results and
:func:`artdl.vqgan_clip.diagonal_dominance`, and read by :mod:`artdl.report.vqgan_clip`, whose
first line says when the weights were random.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from artdl.core import Provenance, Record
from artdl.vqgan_clip.pipeline import random_weights

__all__ = ["ClipScores", "VqganClipRecord", "VqganClipRun", "vqgan_clip_record"]


@dataclass(kw_only=True)
class VqganClipRun:
    """One preset (an epoch of art history) rendered: its prompt loss at the first and last iteration."""

    epoch: str
    size: int
    iterations: int
    first_loss: float
    last_loss: float
    seconds: float
    it_per_s: float


@dataclass(kw_only=True)
class ClipScores:
    """How often an image's own prompt is the best-scoring one (``top1``), against 1/n by chance."""

    top1: float
    chance: float
    margin: float  # diagonal minus off-diagonal similarity


@dataclass(kw_only=True)
class VqganClipRecord(Record):
    NOTEBOOK = "07_vqgan_clip"
    SCHEMA_VERSION = 1
    SECTIONS = ("vqgan_clip",)

    random_weights: dict[str, bool]  # vqgan, clip
    checkpoint: str
    clip_model: str
    device: str
    hardware: str
    threads: int
    vqgan_params_m: float
    clip_params_m: float
    size: int
    iterations: int
    cutn: int
    epochs: list[str]  # the presets' titles
    seconds_total: float
    it_per_s: float
    runs: list[VqganClipRun]
    clip_scores: ClipScores


def vqgan_clip_record(
    cfg: Any,
    vqgan: Any,
    clip: Any,
    results: Mapping[str, Any],
    clip_scores: Mapping[str, float],
    seconds: float,
    hardware: str,
    threads: int,
) -> VqganClipRecord:
    """07's record; ``results`` maps a preset name to its :class:`artdl.vqgan_clip.GenerationResult`."""
    vc = cfg.vqgan_clip
    runs = [
        VqganClipRun(
            epoch=name,
            size=int(r.image.shape[0]),
            iterations=len(r.losses),
            first_loss=float(r.losses[0]),
            last_loss=float(r.losses[-1]),
            seconds=round(r.seconds, 2),
            it_per_s=round(r.iterations_per_second, 2),
        )
        for name, r in results.items()
    ]
    return VqganClipRecord(
        provenance=Provenance(dataset="prompts (configs: vqgan_clip.presets)", split="-"),
        random_weights=random_weights(cfg, clip),
        checkpoint=str(vc.checkpoint),
        clip_model=str(vc.clip.model),
        device=str(next(vqgan.parameters()).device),
        hardware=hardware,
        threads=int(threads),
        vqgan_params_m=round(_millions(vqgan), 2),
        clip_params_m=round(_millions(clip.model), 2),
        size=runs[0].size if runs else 0,
        iterations=int(vc.iterations),
        cutn=int(vc.cutn),
        epochs=[str(vc.presets[name].title) for name in results],
        seconds_total=round(float(seconds), 2),
        it_per_s=round(sum(r.iterations_per_second for r in results.values()) / max(1, len(results)), 2),
        runs=runs,
        clip_scores=ClipScores(**{k: float(v) for k, v in clip_scores.items()}),
    )


def _millions(module: Any) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e6
