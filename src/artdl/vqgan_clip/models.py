"""Loading VQGAN (taming-transformers), plus random-weight checkpoints; CLIP is re-exported.

taming-transformers-rom1504 0.0.6 is the pip-installable taming. It was written for
pytorch-lightning 1.x: ``taming.main`` imports ``pytorch_lightning.utilities.distributed``,
which Lightning 2.x removed. ``taming_compat()`` registers that module (re-exporting
``rank_zero_only`` from its new home) before taming is imported. That is the only shim needed.

CLIP loading lives in :mod:`artdl.models.clip` (04 uses it too); its names are re-exported here
so that ``from artdl.vqgan_clip.models import load_clip`` keeps working.

Checkpoints are read with ``torch.load(weights_only=True)`` through
:func:`artdl.vqgan_clip.weights.load_checkpoint_state`, which allow-lists the few Lightning
classes a published checkpoint pickles and refuses anything else unless the config says
``vqgan_clip.trust_checkpoint=true``.
"""

from __future__ import annotations

import contextlib
import io
import sys
import types
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf

from artdl.core import atomic_path, resolve
from artdl.vqgan_clip.weights import load_checkpoint_state

__all__ = [
    "load_vqgan",
    "save_random_vqgan",
    "build_vqmodel",
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


def build_vqmodel(config_path: str | Path) -> Any:
    """The taming VQModel of a config, with fresh weights.

    taming's decoder prints "Working with z of shape ..." on construction; it says nothing the
    config does not, and it would be printed once per model into the notebook, so it is swallowed.
    """
    VQModel = _vqmodel_class()
    with contextlib.redirect_stdout(io.StringIO()):
        return VQModel(**_model_params(resolve(config_path)))


def save_random_vqgan(config_path: str | Path, ckpt_path: str | Path, seed: int = 0) -> Path:
    """Build the VQModel of ``config_path`` with random weights and save a Lightning-style ckpt.

    Used for the offline wiring demo and the tests: the file has the same layout as the published
    checkpoints (``{"state_dict": ..., "epoch": ..., "global_step": ...}``), so it goes through
    exactly the loading code that real weights go through.
    """
    torch.manual_seed(seed)
    model = build_vqmodel(resolve(config_path))
    # Random codebooks are uniform in +-1/n_embed: tiny vectors that decode to a flat grey.
    # Spread them so a random model shows visible structure in the demo.
    with torch.no_grad():
        model.quantize.embedding.weight.normal_(0.0, 1.0)
    target = resolve(ckpt_path)
    with atomic_path(target) as tmp:
        torch.save({"state_dict": model.state_dict(), "epoch": 0, "global_step": 0}, tmp)
    return target


def load_vqgan(
    config_path: str | Path, ckpt_path: str | Path, device: Any = "cpu", trust_checkpoint: bool = False
) -> Any:
    """The taming VQModel of a config, with the weights of a Lightning checkpoint, in eval mode.

    The checkpoint is read safely (see :func:`artdl.vqgan_clip.weights.load_checkpoint_state`);
    ``trust_checkpoint`` allows a file that pickles other objects. Keys of the training loss
    (``loss.*``) are dropped; every other key must match, so a config that does not fit the
    checkpoint fails loudly instead of decoding noise.
    """
    config_path, ckpt_path = resolve(config_path), resolve(ckpt_path)
    for p in (config_path, ckpt_path):
        if not p.is_file():
            raise FileNotFoundError(f"{p} is missing. Get it with `python -m artdl vqgan-weights <name>`.")
    model = build_vqmodel(config_path)
    ckpt = load_checkpoint_state(ckpt_path, trust_checkpoint=trust_checkpoint)
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
