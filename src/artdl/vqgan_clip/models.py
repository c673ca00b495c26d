"""Loading VQGAN (taming-transformers) and CLIP (open_clip), plus random-weight checkpoints.

taming-transformers-rom1504 0.0.6 is the pip-installable taming. It was written for
pytorch-lightning 1.x: ``taming.main`` imports ``pytorch_lightning.utilities.distributed``,
which Lightning 2.x removed. ``taming_compat()`` registers that module (re-exporting
``rank_zero_only`` from its new home) before taming is imported. That is the only shim needed.

Why open_clip instead of the PyPI package ``clip``: the PyPI name ``clip`` is an unrelated
command-line clipboard manager, not OpenAI's CLIP; OpenAI publishes CLIP only on GitHub.
open_clip is maintained, on PyPI, loads the OpenAI weights, and lets us build the same
architectures with random weights for offline tests.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf

from artdl.paths import resolve
from artdl.utils import atomic_path

__all__ = [
    "CLIPBundle",
    "load_clip",
    "load_vqgan",
    "save_random_clip",
    "save_random_vqgan",
    "taming_compat",
    "vqgan_scale_factor",
]


def taming_compat() -> None:
    """Make ``taming`` importable on pytorch-lightning 2.x (idempotent)."""
    name = "pytorch_lightning.utilities.distributed"
    if name in sys.modules:
        return
    try:
        import pytorch_lightning.utilities.distributed  # noqa: F401  (Lightning 1.x: nothing to do)

        return
    except ImportError:
        pass
    try:
        from pytorch_lightning.utilities.rank_zero import rank_zero_only
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "VQGAN needs taming-transformers and pytorch-lightning: "
            "pip install taming-transformers-rom1504==0.0.6 pytorch-lightning==2.6.6 einops"
        ) from err
    shim = types.ModuleType(name)
    shim.rank_zero_only = rank_zero_only  # type: ignore[attr-defined]
    sys.modules[name] = shim


def _vqmodel_class() -> Any:
    taming_compat()
    try:
        from taming.models.vqgan import VQModel
    except ImportError as err:
        raise ImportError(
            f"Could not import taming ({err}). Install the pinned set: "
            "pip install taming-transformers-rom1504==0.0.6 pytorch-lightning==2.6.6 einops"
        ) from err
    return VQModel


def _model_params(config_path: Path) -> dict[str, Any]:
    cfg = OmegaConf.load(config_path)
    if "model" not in cfg or "params" not in cfg.model:
        raise ValueError(f"{config_path} is not a taming-transformers model config (no model.params).")
    target = str(cfg.model.get("target", "taming.models.vqgan.VQModel"))
    if not target.endswith("vqgan.VQModel"):
        raise ValueError(f"{config_path}: only taming.models.vqgan.VQModel is supported, not {target}.")
    params = OmegaConf.to_container(cfg.model.params, resolve=True)
    assert isinstance(params, dict)
    # The training loss (LPIPS + discriminator) is not needed to decode and would download VGG.
    params["lossconfig"] = {"target": "taming.modules.losses.vqperceptual.DummyLoss"}
    params.pop("ckpt_path", None)
    return params


def save_random_vqgan(config_path: str | Path, ckpt_path: str | Path, seed: int = 0) -> Path:
    """Build the VQModel of ``config_path`` with random weights and save a Lightning-style ckpt.

    Used for the offline wiring demo and the tests: the file has the same layout as the published
    checkpoints (``{"state_dict": ..., "epoch": ..., "global_step": ...}``), so it goes through
    exactly the loading code that real weights go through.
    """
    VQModel = _vqmodel_class()
    torch.manual_seed(seed)
    model = VQModel(**_model_params(resolve(config_path)))
    # Random codebooks are uniform in +-1/n_embed: tiny vectors that decode to a flat grey.
    # Spread them so a random model shows visible structure in the demo.
    with torch.no_grad():
        model.quantize.embedding.weight.normal_(0.0, 1.0)
    target = resolve(ckpt_path)
    with atomic_path(target) as tmp:
        torch.save({"state_dict": model.state_dict(), "epoch": 0, "global_step": 0}, tmp)
    return target


def load_vqgan(config_path: str | Path, ckpt_path: str | Path, device: Any = "cpu") -> Any:
    """The taming VQModel of a config, with the weights of a Lightning checkpoint, in eval mode.

    Keys of the training loss (``loss.*``) are dropped; every other key must match, so a config
    that does not fit the checkpoint fails loudly instead of decoding noise.
    """
    config_path, ckpt_path = resolve(config_path), resolve(ckpt_path)
    for p in (config_path, ckpt_path):
        if not p.is_file():
            raise FileNotFoundError(f"{p} is missing. Get it with `python -m artdl vqgan-weights <name>`.")
    VQModel = _vqmodel_class()
    model = VQModel(**_model_params(config_path))
    try:
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - published Lightning ckpts pickle callback state
        # The original 2020/21 checkpoints store Lightning callback objects next to the weights,
        # which the safe loader refuses. They come from the URLs in the config, checksum-verified.
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else ckpt
    state = {k: v for k, v in state.items() if not k.startswith("loss.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{ckpt_path} does not fit {config_path}: {len(missing)} missing keys "
            f"(e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})."
        )
    model.eval().requires_grad_(False)
    return model.to(device)


def vqgan_scale_factor(model: Any) -> int:
    """How many pixels one latent token covers per side (16 for the f16 models)."""
    return 2 ** (model.decoder.num_resolutions - 1)


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
        tokens = self.tokenizer(texts).to(self.device)
        return self.model.encode_text(tokens).float()


def _register_model_configs(config_dir: str | Path | None) -> None:
    if config_dir:
        import open_clip

        path = resolve(config_dir)
        if path.is_dir() and path not in getattr(open_clip.factory, "_MODEL_CONFIG_PATHS", []):
            open_clip.add_model_config(path)


def save_random_clip(model_name: str, weights_path: str | Path, config_dir: str | Path | None = None) -> Path:
    """Save an open_clip state dict of ``model_name`` with random weights (offline demo/tests)."""
    import open_clip

    _register_model_configs(config_dir)
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

    _register_model_configs(config_dir)
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
            model_name, pretrained=source, device=device, force_quick_gelu=force_quick_gelu
        )
    except RuntimeError as err:
        raise RuntimeError(
            f"Could not load CLIP {model_name} weights from {source!r} ({err}). Offline? Download the "
            f"weights on a connected machine and set vqgan_clip.clip.weights to the file."
        ) from err
    model.eval().requires_grad_(False)
    return CLIPBundle(model, open_clip.get_tokenizer(model_name), device)
