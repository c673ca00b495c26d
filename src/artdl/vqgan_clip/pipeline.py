"""What notebook 07 calls: models from the config, presets rendered, results saved.

Kept apart from :mod:`artdl.vqgan_clip.generation` (the method) so that the loop itself takes a
:class:`GenerationConfig` and plain arguments, and this module alone knows the rest of the config's
layout (checkpoints, CLIP, presets, sizes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from artdl.core import resolve
from artdl.models import CLIPBundle, clip_from_config
from artdl.vqgan_clip.generation import (
    GenerationConfig,
    GenerationResult,
    auto_size,
    generate_image,
    round_to_factor,
    save_animation,
)
from artdl.vqgan_clip.models import load_vqgan, save_random_vqgan
from artdl.vqgan_clip.prompts import parse_prompts
from artdl.vqgan_clip.weights import MissingCheckpointError, ensure_checkpoint

__all__ = [
    "apply_cpu_threads",
    "is_random_demo",
    "random_networks",
    "random_weights",
    "load_models",
    "prepare_checkpoint",
    "render_presets",
    "resolve_size",
    "save_results",
    "score_texts",
    "weights_label",
]


def random_weights(cfg: Any, clip: CLIPBundle | None = None) -> dict[str, bool]:
    """Which networks have random weights: ``{"vqgan": ..., "clip": ...}``.

    Why it matters: with either one random, the output is a wiring demo, not art, and every
    report must say so. Pass the loaded ``clip``: it knows whether trained weights were found (a
    config with neither ``weights`` nor ``pretrained`` builds a random CLIP without asking for one).
    Without it, the config's word is taken, and no weights at all counts as random.
    """
    vc = cfg.vqgan_clip
    entry = vc.checkpoints[vc.checkpoint]
    if clip is not None:
        clip_random = bool(clip.random)
    else:
        c = vc.clip
        clip_random = bool(c.get("random_init", False)) or not (c.get("weights") or c.get("pretrained"))
    return {"vqgan": bool(entry.get("random_init", False)), "clip": clip_random}


def random_networks(random: Mapping[str, bool]) -> list[str]:
    """The display names ("VQGAN", "CLIP") of the networks that :func:`random_weights` marks random."""
    return [("CLIP" if name == "clip" else "VQGAN") for name, is_random in random.items() if is_random]


def weights_label(random: Mapping[str, bool]) -> str:
    """The caption every 07 figure carries: a wiring demo when any network is random."""
    names = random_networks(random)
    if not names:
        return "VQGAN+CLIP"
    return f"WIRING DEMO: random-weight {' + '.join(names)}, not real art"


def is_random_demo(cfg: Any) -> bool:
    """True when either network has random weights: the output is a wiring demo, not art."""
    return any(random_weights(cfg).values())


def apply_cpu_threads(cfg: Any, device: Any) -> int:
    """Set torch's CPU thread count from ``vqgan_clip.cpu_threads`` (CPU runs only).

    Why: the demo models are so small that threads mostly wait on each other; on a busy 2-core
    machine two threads measured 10-20x slower than one. Returns the thread count in effect.
    """
    import torch

    n = int(cfg.vqgan_clip.get("cpu_threads", 0) or 0)
    if n > 0 and torch.device(device).type == "cpu":
        torch.set_num_threads(n)
    return torch.get_num_threads()


def prepare_checkpoint(
    name: str, entry: Mapping[str, Any], download_missing: bool = False, seed: int = 0
) -> tuple[Path, Path]:
    """``(config_path, ckpt_path)`` of a checkpoint entry: random weights made on first use
    (``random_init: true``, the offline wiring demo), anything else downloaded and verified by
    :func:`artdl.vqgan_clip.weights.ensure_checkpoint`."""
    if not entry.get("random_init"):
        return ensure_checkpoint(name, entry, download_missing=download_missing)
    config_path, ckpt_path = resolve(entry["config"]), resolve(entry["ckpt"])
    if not ckpt_path.is_file():
        save_random_vqgan(config_path, ckpt_path, seed=seed)
    return config_path, ckpt_path


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
    config_path, ckpt_path = prepare_checkpoint(
        vc.checkpoint, vc.checkpoints[vc.checkpoint], download_missing=vc.download, seed=cfg.seed
    )
    vqgan = load_vqgan(
        config_path, ckpt_path, device, trust_checkpoint=bool(vc.get("trust_checkpoint", False))
    )
    # The same loader as 04: random-weight demo files made where random_init allows, the
    # pretrained tag downloaded by open_clip, and the bundle labelled random when it is.
    return vqgan, clip_from_config(vc.clip, device)


def resolve_size(cfg: Any, device: Any, vqgan: Any) -> int:
    """``vqgan_clip.size`` as pixels: ``auto`` -> CPU size or the VRAM guide; multiple of f16."""
    from artdl.vqgan_clip.models import vqgan_scale_factor

    size = cfg.vqgan_clip.size
    px = auto_size(device, cfg.vqgan_clip.cpu_size) if str(size) == "auto" else int(size)
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
    progress: bool = True,
) -> dict[str, GenerationResult]:
    """One image per epoch preset, each from the same seed; frames saved as an animation.

    A single progress bar counts iterations over all presets (small notebook output).
    """
    from tqdm.auto import tqdm

    vc = cfg.vqgan_clip
    config = GenerationConfig.from_cfg(vc)
    results: dict[str, GenerationResult] = {}
    bar = tqdm(total=len(epochs) * vc.iterations, desc="VQGAN+CLIP", leave=False, disable=not progress)
    for name in epochs:
        if name not in vc.presets:
            raise KeyError(f"No preset {name!r} in vqgan_clip.presets ({', '.join(vc.presets)}).")
        preset = vc.presets[name]
        result = generate_image(vqgan, clip, preset.prompts, config, size=size, progress=False, on_step=bar.update)
        if frames_dir is not None and result.frames:
            save_animation(result.frames, Path(frames_dir) / f"{name}.{vc.animation}", fps=vc.fps)
        results[name] = result
    bar.close()
    return results


def save_results(results: dict[str, GenerationResult], out_dir: str | Path) -> Path:
    """Write each final image as ``<epoch>.png`` and a ``runs.csv`` summary, atomically."""
    import pandas as pd
    from PIL import Image

    from artdl.core import atomic_path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, r in results.items():
        with atomic_path(out / f"{name}.png") as tmp:
            Image.fromarray(r.image).save(tmp, format="PNG")
        rows.append(
            {
                "epoch": name,
                "size": r.image.shape[0],
                "iterations": len(r.losses),
                "first_loss": r.losses[0],
                "last_loss": r.losses[-1],
                "seconds": round(r.seconds, 2),
                "it_per_s": round(r.iterations_per_second, 2),
            }
        )
    with atomic_path(out / "runs.csv") as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    return out / "runs.csv"
