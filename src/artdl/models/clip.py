"""CLIP through open_clip, shared by retrieval (04) and VQGAN+CLIP (07).

Why open_clip instead of the PyPI package ``clip``: the PyPI name ``clip`` is an unrelated
command-line clipboard manager, not OpenAI's CLIP; OpenAI publishes CLIP only on GitHub.
open_clip is maintained, on PyPI, loads the OpenAI weights, and lets us build the same
architectures with random weights for offline tests.

Weights files are read by open_clip with ``torch.load(weights_only=True)``: a CLIP file holds
tensors only, so loading it runs no code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from artdl.core import atomic_path, resolve

__all__ = [
    "CLIPBundle",
    "load_clip",
    "register_model_configs",
    "quiet_random_init_warning",
    "save_random_clip",
]


class CLIPBundle:
    """An open_clip model with its tokenizer, input size and normalisation."""

    def __init__(self, model: Any, tokenizer: Any, device: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = torch.device(device)
        size = model.visual.image_size
        self.image_size = int(size[0] if isinstance(size, (tuple, list)) else size)
        pcfg = getattr(model.visual, "preprocess_cfg", {}) or {}
        from open_clip import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

        self.mean = torch.tensor(pcfg.get("mean", OPENAI_DATASET_MEAN), device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(pcfg.get("std", OPENAI_DATASET_STD), device=self.device).view(1, 3, 1, 1)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """[0, 1] RGB -> CLIP's input normalisation."""
        return (images - self.mean.to(images.dtype)) / self.std.to(images.dtype)

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """Embeddings of [0, 1] RGB images already at ``image_size``."""
        return self.model.encode_image(self.normalize(images)).float()

    @torch.no_grad()
    def encode_text(self, texts: list[str]) -> torch.Tensor:
        """Embeddings of a list of texts (tokenised with the model's own tokenizer)."""
        tokens = self.tokenizer(texts).to(self.device)
        return self.model.encode_text(tokens).float()


def register_model_configs(config_dir: str | Path | None) -> None:
    """Make open_clip see the model configs in ``config_dir`` (e.g. the tiny demo ViT); idempotent."""
    if config_dir:
        import open_clip

        path = resolve(config_dir)
        if path.is_dir() and path not in getattr(open_clip.factory, "_MODEL_CONFIG_PATHS", []):
            open_clip.add_model_config(path)


class _DropRandomInitNote(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "No pretrained weights loaded" not in record.getMessage()


@contextmanager
def quiet_random_init_warning() -> Iterator[None]:
    """Drop open_clip's "No pretrained weights loaded" warning while a model is built whose weights
    come later (from a file) or are random on purpose: there it is no failure, and in a notebook it
    would read as one."""
    note = _DropRandomInitNote()
    root = logging.getLogger()
    root.addFilter(note)
    try:
        yield
    finally:
        root.removeFilter(note)


def save_random_clip(model_name: str, weights_path: str | Path, config_dir: str | Path | None = None) -> Path:
    """Save an open_clip state dict of ``model_name`` with random weights (offline demo/tests)."""
    import open_clip

    register_model_configs(config_dir)
    with quiet_random_init_warning():
        model = open_clip.create_model(model_name, pretrained=None)
    target = resolve(weights_path)
    with atomic_path(target) as tmp:
        torch.save(model.state_dict(), tmp)
    return target


def load_clip(
    model_name: str = "ViT-B-32",
    pretrained: str | None = "openai",
    weights: str | Path | None = None,
    device: Any = "cpu",
    config_dir: str | Path | None = None,
    force_quick_gelu: bool = False,
) -> CLIPBundle:
    """An open_clip model in eval mode with frozen weights.

    ``weights`` (a local file: an open_clip state dict or OpenAI's original ``ViT-B-32.pt``) wins
    over ``pretrained`` (an open_clip tag such as ``openai``, fetched from the hub into its cache).
    OpenAI's weights were trained with QuickGELU: open_clip switches it on for ``pretrained="openai"``
    but cannot know it for a local file, so pass ``force_quick_gelu=True`` with a local OpenAI file.
    """
    import open_clip

    register_model_configs(config_dir)
    if model_name not in open_clip.list_models():
        raise ValueError(f"Unknown open_clip model {model_name!r}; see open_clip.list_models().")
    if weights:
        path = resolve(weights)
        if not path.is_file():
            raise FileNotFoundError(
                f"CLIP weights {path} are missing. Either set vqgan_clip.clip.weights=null to let "
                f"open_clip download '{pretrained}' weights for {model_name}, or put the file there "
                f"(see the README, section VQGAN+CLIP)."
            )
        source: str | None = str(path)
    else:
        source = pretrained
    try:
        model = open_clip.create_model(
            model_name, pretrained=source, device=device, force_quick_gelu=force_quick_gelu, weights_only=True
        )
    except RuntimeError as err:
        raise RuntimeError(
            f"Could not load CLIP {model_name} weights from {source!r} ({err}). Offline? Download the "
            f"weights on a connected machine and set vqgan_clip.clip.weights to the file."
        ) from err
    model.eval().requires_grad_(False)
    return CLIPBundle(model, open_clip.get_tokenizer(model_name), device)
