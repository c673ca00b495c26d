"""CLIP through open_clip, shared by retrieval (04) and VQGAN+CLIP (07).

Why open_clip instead of the PyPI package ``clip``: the PyPI name ``clip`` is an unrelated
command-line clipboard manager, not OpenAI's CLIP; OpenAI publishes CLIP only on GitHub.
open_clip is maintained, on PyPI, loads the OpenAI weights, and lets us build the same
architectures with random weights for offline tests.

Where the weights come from, in this order: a local ``weights`` file; else open_clip's
``pretrained`` tag (``openai``, ``laion2b_s34b_b79k``, ...), downloaded once into
``models/open_clip`` and required to load; else none, and the model is random. Every
:class:`CLIPBundle` says which (``random``, ``source``), so a random model is never reported as CLIP.

Weights files are read by open_clip with ``torch.load(weights_only=True)``: a CLIP file holds
tensors only, so loading it runs no code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import torch

from artdl.core import atomic_path, resolve
from artdl.models.pretrained import weights_line

__all__ = [
    "CLIPBundle",
    "clip_from_config",
    "load_clip",
    "register_model_configs",
    "quiet_random_init_warning",
    "save_random_clip",
]


class CLIPBundle:
    """An open_clip model with its tokenizer, input size, normalisation, and where its weights came
    from: ``source`` (a file, a tag) and ``random`` (no trained weights at all)."""

    def __init__(
        self, model: Any, tokenizer: Any, device: Any, source: str = "", random: bool = False, name: str = "CLIP"
    ) -> None:
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.device = torch.device(device)
        self.source = source
        self.random = random
        size = model.visual.image_size
        self.image_size = int(size[0] if isinstance(size, (tuple, list)) else size)
        pcfg = getattr(model.visual, "preprocess_cfg", {}) or {}
        from open_clip import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

        self.mean = torch.tensor(pcfg.get("mean", OPENAI_DATASET_MEAN), device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(pcfg.get("std", OPENAI_DATASET_STD), device=self.device).view(1, 3, 1, 1)

    @property
    def description(self) -> str:
        """What to call this model in a table or a notebook's output."""
        return weights_line(f"open_clip {self.name}", self.source, self.random)

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


def _tag_options(model_name: str, pretrained: str) -> dict[str, Any]:
    """open_clip options for a pretrained tag: known for this model, QuickGELU as it was trained."""
    import open_clip

    tags = open_clip.list_pretrained_tags_by_model(model_name)
    if pretrained not in tags:
        raise ValueError(
            f"open_clip has no pretrained tag {pretrained!r} for {model_name}; its tags: {', '.join(tags) or 'none'}."
        )
    cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
    # OpenAI's ViT-B-32 was trained with QuickGELU; the plain model name builds GELU, which open_clip
    # only warns about. Take the activation from the tag's own record instead.
    return {"force_quick_gelu": bool(cfg.get("quick_gelu", False)), "require_pretrained": True}


def load_clip(
    model_name: str = "ViT-B-32",
    pretrained: str | None = "openai",
    weights: str | Path | None = None,
    device: Any = "cpu",
    config_dir: str | Path | None = None,
    force_quick_gelu: bool = False,
    cache_dir: str | Path | None = None,
) -> CLIPBundle:
    """An open_clip model in eval mode with frozen weights.

    ``weights`` (a local file: an open_clip state dict or OpenAI's original ``ViT-B-32.pt``) wins
    over ``pretrained`` (an open_clip tag such as ``openai``, downloaded once into ``cache_dir``,
    by default ``models/open_clip``). OpenAI's weights were trained with QuickGELU: for a tag it is
    set from open_clip's record of that tag, but a local file cannot say, so pass
    ``force_quick_gelu=True`` with a local OpenAI file. With neither, the model is random and the
    bundle says so (``random=True``).
    """
    import open_clip

    from artdl.core import models_dir, relative

    register_model_configs(config_dir)
    if model_name not in open_clip.list_models():
        raise ValueError(f"Unknown open_clip model {model_name!r}; see open_clip.list_models().")
    options: dict[str, Any] = {"force_quick_gelu": force_quick_gelu}
    if weights:
        path = resolve(weights)
        if not path.is_file():
            raise FileNotFoundError(
                f"CLIP weights {path} are missing. Either set the clip section's weights=null to let "
                f"open_clip download '{pretrained}' weights for {model_name}, or put the file there "
                f"(see the README, section VQGAN+CLIP)."
            )
        source: str | None = str(path)
        described = f"file {relative(path)}"
    elif pretrained:
        source = pretrained
        options = _tag_options(model_name, pretrained)
        options["force_quick_gelu"] = options["force_quick_gelu"] or force_quick_gelu
        cache = resolve(cache_dir) if cache_dir else models_dir("open_clip")
        options["cache_dir"] = str(cache)
        described = f"open_clip tag {pretrained!r} (cached in {relative(cache)})"
    else:
        source, described = None, "no weights file and no pretrained tag"
    try:
        with quiet_random_init_warning() if source is None else nullcontext():
            model = open_clip.create_model(model_name, pretrained=source, device=device, weights_only=True, **options)
    except RuntimeError as err:
        raise RuntimeError(
            f"Could not load CLIP {model_name} weights from {source!r} ({err}). Offline? Download the "
            f"weights on a connected machine and set the clip section's weights to the file."
        ) from err
    model.eval().requires_grad_(False)
    tokenizer = open_clip.get_tokenizer(model_name)
    return CLIPBundle(model, tokenizer, device, described, random=source is None, name=model_name)


def clip_from_config(clip_cfg: Any, device: Any = "cpu") -> CLIPBundle:
    """The CLIP a config's clip section asks for (``retrieve.clip``, ``vqgan_clip.clip``).

    ``weights`` that are missing are created with random values only where ``random_init`` allows
    it (the offline demo), and such a file, or one whose name says ``random``, is labelled random;
    ``weights: null`` loads the ``pretrained`` tag.
    """
    weights = resolve(clip_cfg.weights) if clip_cfg.get("weights") else None
    random = False
    if weights is not None and not weights.is_file():
        if not clip_cfg.get("random_init"):
            raise FileNotFoundError(
                f"CLIP weights {weights} are missing. Put open_clip/OpenAI {clip_cfg.model} weights there, or set "
                f"weights=null and pretrained=openai to download them, or random_init=true for a wiring check."
            )
        save_random_clip(str(clip_cfg.model), weights, clip_cfg.get("model_configs"))
        random = True
    elif weights is not None and "random" in weights.name:
        random = True
    with quiet_random_init_warning() if weights is not None else nullcontext():
        bundle = load_clip(
            str(clip_cfg.model),
            pretrained=clip_cfg.get("pretrained"),
            weights=weights,
            device=device,
            config_dir=clip_cfg.get("model_configs"),
            force_quick_gelu=bool(clip_cfg.get("force_quick_gelu", False)),
        )
    bundle.random = bundle.random or random
    return bundle
