"""VQGAN+CLIP text-to-painting generation (Crowson 2021) for notebook 07.

- ``prompts``: the ``text:weight:stop | ...`` syntax and the spherical-distance prompt loss.
- ``models``: taming-transformers VQGAN (with a small Lightning-2 compat shim) and open_clip CLIP.
- ``weights``: checkpoint download with SHA-256 verification, or random-weight demo checkpoints.
- ``generate``: cutouts (kornia), the Adam loop, frames -> GIF/MP4, CLIP score matrix, VRAM guide.

``load_models(cfg, device)`` and ``render_presets(...)`` are what the notebook calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artdl.vqgan_clip.generate import (
    AUGMENTS,
    VRAM_GUIDE,
    GenerationResult,
    MakeCutouts,
    auto_size,
    clip_score_matrix,
    generate,
    round_to_factor,
    save_animation,
)
from artdl.vqgan_clip.models import CLIPBundle, load_clip, load_vqgan, save_random_clip, taming_compat
from artdl.vqgan_clip.prompts import ParsedPrompt, PromptLoss, parse_prompt, parse_prompts
from artdl.vqgan_clip.weights import ChecksumError, MissingCheckpointError, download, ensure_checkpoint

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
    "auto_size",
    "clip_score_matrix",
    "download",
    "ensure_checkpoint",
    "generate",
    "is_random_demo",
    "load_clip",
    "load_models",
    "load_vqgan",
    "parse_prompt",
    "parse_prompts",
    "render_presets",
    "resolve_size",
    "save_animation",
    "save_random_clip",
    "score_texts",
    "taming_compat",
]


def is_random_demo(cfg: Any) -> bool:
    """True when either network has random weights: the output is a wiring demo, not art."""
    vc = cfg.vqgan_clip
    entry = vc.checkpoints[vc.checkpoint]
    return bool(entry.get("random_init", False)) or bool(vc.clip.get("random_init", False))


def load_models(cfg: Any, device: Any) -> tuple[Any, CLIPBundle]:
    """The VQGAN and CLIP a config asks for, on ``device``.

    Random-weight demo files are created on first use; real checkpoints must be present (or
    ``vqgan_clip.download=true``), otherwise the error says how to get them.
    """
    vc = cfg.vqgan_clip
    if vc.checkpoint not in vc.checkpoints:
        raise MissingCheckpointError(
            f"vqgan_clip.checkpoint={vc.checkpoint!r} is not in vqgan_clip.checkpoints "
            f"({', '.join(vc.checkpoints)})."
        )
    config_path, ckpt_path = ensure_checkpoint(
        vc.checkpoint, vc.checkpoints[vc.checkpoint], download_missing=bool(vc.download), seed=int(cfg.seed)
    )
    vqgan = load_vqgan(config_path, ckpt_path, device)
    c = vc.clip
    if c.get("random_init") and c.weights and not Path(str(c.weights)).is_absolute():
        from artdl.paths import resolve

        if not resolve(c.weights).is_file():
            save_random_clip(c.model, c.weights, c.model_configs)
    clip = load_clip(c.model, c.pretrained, c.weights, device, c.model_configs)
    return vqgan, clip


def resolve_size(cfg: Any, device: Any, vqgan: Any) -> int:
    """``vqgan_clip.size`` as pixels: ``auto`` -> CPU size or the VRAM guide; multiple of f16."""
    from artdl.vqgan_clip.models import vqgan_scale_factor

    size = cfg.vqgan_clip.size
    px = auto_size(device, int(cfg.vqgan_clip.cpu_size)) if str(size) == "auto" else int(size)
    return round_to_factor(px, vqgan_scale_factor(vqgan))


def score_texts(preset: Any) -> str:
    """The text a preset is scored against: its positive text prompts, joined."""
    return ", ".join(p.text for p in parse_prompts(preset.prompts) if p.weight > 0)


def render_presets(
    cfg: Any,
    vqgan: Any,
    clip: CLIPBundle,
    epochs: Sequence[str],
    size: int,
    frames_dir: str | Path | None = None,
) -> dict[str, GenerationResult]:
    """One image per epoch preset, each from the same seed; frames saved as an animation."""
    vc = cfg.vqgan_clip
    results: dict[str, GenerationResult] = {}
    for name in epochs:
        if name not in vc.presets:
            raise KeyError(f"No preset {name!r} in vqgan_clip.presets ({', '.join(vc.presets)}).")
        preset = vc.presets[name]
        result = generate(
            vqgan,
            clip,
            preset.prompts,
            size=size,
            iterations=int(vc.iterations),
            lr=float(vc.lr),
            cutn=int(vc.cutn),
            cut_pow=float(vc.cut_pow),
            augments=list(vc.augments),
            noise=float(vc.noise),
            image_prompts=vc.image_prompts,
            init_image=vc.init_image,
            init_weight=float(vc.init_weight),
            seed=int(vc.seed),
            save_every=int(vc.save_every),
            amp=bool(vc.amp),
        )
        if frames_dir is not None and result.frames:
            save_animation(result.frames, Path(frames_dir) / f"{name}.{vc.animation}", fps=int(vc.fps))
        results[name] = result
    return results
