"""VQGAN+CLIP text-to-painting generation (Crowson 2021) for notebook 07.

- ``prompts``: the ``text:weight:stop | ...`` syntax and the spherical-distance prompt loss.
- ``models``: taming-transformers VQGAN (with a small Lightning-2 compat shim); CLIP comes from
  :mod:`artdl.models.clip` and is re-exported here.
- ``weights``: checkpoint download, SHA-256 pinning and safe (``weights_only``) loading, or
  random-weight demo checkpoints.
- ``generate``: cutouts (kornia), the Adam loop, frames -> GIF/MP4, CLIP score matrix, VRAM guide.
- ``pipeline``: ``load_models(cfg, device)`` and ``render_presets(...)``, what the notebook calls.

This module only re-exports.
"""

from __future__ import annotations

from artdl.models.clip import CLIPBundle, load_clip, save_random_clip
from artdl.vqgan_clip.generate import (
    AUGMENTS,
    VRAM_GUIDE,
    GenerationResult,
    MakeCutouts,
    auto_size,
    clip_score_matrix,
    diagonal_dominance,
    generate,
    round_to_factor,
    save_animation,
)
from artdl.vqgan_clip.models import load_vqgan, taming_compat
from artdl.vqgan_clip.pipeline import (
    apply_cpu_threads,
    is_random_demo,
    load_models,
    random_weights,
    render_presets,
    resolve_size,
    save_results,
    score_texts,
)
from artdl.vqgan_clip.prompts import ParsedPrompt, PromptLoss, parse_prompt, parse_prompts
from artdl.vqgan_clip.weights import (
    ChecksumError,
    MissingCheckpointError,
    UntrustedCheckpointError,
    download,
    ensure_checkpoint,
    load_checkpoint_state,
    verify_or_record,
)

__all__ = [
    "AUGMENTS",
    "VRAM_GUIDE",
    "CLIPBundle",
    "ChecksumError",
    "GenerationResult",
    "MakeCutouts",
    "MissingCheckpointError",
    "ParsedPrompt",
    "PromptLoss",
    "UntrustedCheckpointError",
    "apply_cpu_threads",
    "auto_size",
    "clip_score_matrix",
    "diagonal_dominance",
    "download",
    "ensure_checkpoint",
    "generate",
    "is_random_demo",
    "load_checkpoint_state",
    "load_clip",
    "load_models",
    "load_vqgan",
    "parse_prompt",
    "parse_prompts",
    "random_weights",
    "render_presets",
    "resolve_size",
    "round_to_factor",
    "save_animation",
    "save_random_clip",
    "save_results",
    "score_texts",
    "taming_compat",
    "verify_or_record",
]
