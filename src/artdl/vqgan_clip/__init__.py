"""VQGAN+CLIP text-to-painting generation (Crowson 2021) for notebook 07.

- ``prompts``: the ``text:weight:stop | ...`` syntax and the spherical-distance prompt loss.
- ``models``: taming-transformers VQGAN (with a small Lightning-2 compat shim); CLIP comes from
  :mod:`artdl.models.clip` (imported from ``artdl.models``, not from here).
- ``weights``: checkpoint download, SHA-256 pinning and safe (``weights_only``) loading, or
  random-weight demo checkpoints.
- ``generation``: ``generate_image`` (kornia cutouts, the Adam loop), frames -> GIF/MP4, CLIP
  scores, VRAM guide.
- ``pipeline``: ``load_models(cfg, device)`` and ``render_presets(...)``, what the notebook calls.

This module only re-exports.
"""

from __future__ import annotations

from artdl.vqgan_clip.cutouts import AUGMENTS, MakeCutouts
from artdl.vqgan_clip.generation import (
    VRAM_GUIDE,
    GenerationConfig,
    GenerationResult,
    auto_size,
    clip_score_matrix,
    diagonal_dominance,
    generate_image,
    round_to_factor,
    save_animation,
    size_for_memory,
    to_uint8_array,
)
from artdl.vqgan_clip.models import (
    build_vqmodel,
    load_vqgan,
    save_random_vqgan,
    taming_compat,
    vqgan_scale_factor,
)
from artdl.vqgan_clip.pipeline import (
    apply_cpu_threads,
    is_random_demo,
    load_models,
    prepare_checkpoint,
    random_networks,
    random_weights,
    render_presets,
    resolve_size,
    save_results,
    score_texts,
    weights_label,
)
from artdl.vqgan_clip.prompts import (
    ParsedPrompt,
    PromptLoss,
    ReplaceGrad,
    parse_prompt,
    parse_prompts,
    replace_grad,
)
from artdl.vqgan_clip.record import ClipScores, VqganClipRecord, VqganClipRun, vqgan_clip_record
from artdl.vqgan_clip.weights import (
    ChecksumError,
    MissingCheckpointError,
    UntrustedCheckpointError,
    download,
    ensure_checkpoint,
    load_checkpoint_state,
    recorded_sha256,
    safe_globals,
    verify_or_record,
)

__all__ = [
    "AUGMENTS",
    "ChecksumError",
    "ClipScores",
    "GenerationConfig",
    "GenerationResult",
    "MakeCutouts",
    "MissingCheckpointError",
    "ParsedPrompt",
    "PromptLoss",
    "ReplaceGrad",
    "UntrustedCheckpointError",
    "VRAM_GUIDE",
    "VqganClipRecord",
    "VqganClipRun",
    "apply_cpu_threads",
    "auto_size",
    "build_vqmodel",
    "clip_score_matrix",
    "diagonal_dominance",
    "download",
    "ensure_checkpoint",
    "generate_image",
    "is_random_demo",
    "load_checkpoint_state",
    "load_models",
    "load_vqgan",
    "parse_prompt",
    "parse_prompts",
    "prepare_checkpoint",
    "random_networks",
    "random_weights",
    "weights_label",
    "recorded_sha256",
    "render_presets",
    "replace_grad",
    "resolve_size",
    "round_to_factor",
    "safe_globals",
    "save_animation",
    "save_random_vqgan",
    "save_results",
    "score_texts",
    "size_for_memory",
    "taming_compat",
    "to_uint8_array",
    "verify_or_record",
    "vqgan_clip_record",
    "vqgan_scale_factor",
]
