"""Where does the classifier look? Class activation maps for any ``Classifier`` backbone.

``explain(model, images, method)`` returns one heat map per image, in [0, 1], at the input's
resolution:

- ``cam``: classic CAM (Zhou et al. 2016). With a GAP + linear head the class score is a weighted
  sum of the last feature maps, so the same weights applied *before* pooling show where the
  evidence sits. No gradients, exact for this architecture.
- ``gradcam``, ``gradcam++``, ``scorecam``: through the ``grad-cam`` package
  (``pytorch_grad_cam``), on the backbone's last feature layer (``model.cam_layer``).

Score-CAM needs no gradients but one forward pass per channel of that layer (1,280 for
EfficientNet-Lite0), so it runs on an inference twin of the model: batch norms folded into their
convolutions, and bf16 where the device computes it natively (``precision="auto"``). The twin
computes the same function; bf16 rounds the class scores to two or three significant digits, far
below the differences between masked images that Score-CAM weighs.

Maps explain the predicted class unless ``targets`` gives class ids.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from artdl.core import autocast
from artdl.models import Classifier, fold_batchnorm, native_precision

__all__ = ["CAM_METHODS", "class_activation_map", "denormalize", "explain", "explanation_grid", "overlay"]

CAM_METHODS = ("cam", "gradcam", "gradcam++", "scorecam")


def _normalise_maps(maps: torch.Tensor) -> torch.Tensor:
    flat = maps.flatten(1)
    lo, hi = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
    return ((flat - lo) / (hi - lo).clamp_min(1e-8)).view_as(maps)


@torch.no_grad()
def class_activation_map(
    model: Classifier, images: torch.Tensor, targets: Sequence[int] | None = None
) -> np.ndarray:
    """Classic CAM: head weights of the target class applied to the last feature maps."""
    model.eval()
    fmap = model.forward_features(images)  # B x C x h x w
    if targets is None:
        targets = model.head(model.pool(fmap).flatten(1)).argmax(1).tolist()
    weights = model.head.weight[torch.as_tensor(list(targets), device=fmap.device)]  # B x C
    cam = F.relu(torch.einsum("bc,bchw->bhw", weights, fmap.float()))
    cam = F.interpolate(cam[:, None], size=images.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    return _normalise_maps(cam).cpu().numpy()


@contextlib.contextmanager
def _quiet_scorecam() -> Iterator[None]:
    """Silence Score-CAM's own progress bar (one per image batch) at its source.

    ``pytorch_grad_cam.score_cam`` calls ``tqdm.tqdm`` over its channel batches; in an executed
    notebook that leaves dozens of stderr fragments per figure. The module's ``tqdm`` is swapped
    for a pass-through while a map is computed.
    """
    from types import SimpleNamespace

    from pytorch_grad_cam import score_cam

    original = score_cam.tqdm
    score_cam.tqdm = SimpleNamespace(tqdm=lambda iterable, *args, **kwargs: iterable)
    try:
        yield
    finally:
        score_cam.tqdm = original


def _scorecam_twin(model: Classifier) -> tuple[torch.nn.Module, torch.nn.Module]:
    """A batch-norm-folded copy of ``model`` and the copy's module at ``model.cam_layer``'s place.

    Folding can replace the CAM layer itself (Lite0's is the last ``BatchNormAct2d``, which becomes
    its activation), so the layer is looked up by name in the copy.
    """
    name = next(n for n, m in model.named_modules() if m is model.cam_layer)
    twin = fold_batchnorm(model)
    if twin is not model:  # a copy: its memory layout is ours to change
        twin = twin.to(memory_format=torch.channels_last)
    return twin, dict(twin.named_modules())[name]


def explain(
    model: Classifier,
    images: torch.Tensor,
    method: str = "gradcam",
    targets: Sequence[int] | None = None,
    batch_size: int = 32,
    precision: str = "auto",
) -> np.ndarray:
    """Heat maps (B x H x W, values in [0, 1]) explaining ``targets`` (default: the predictions).

    Works for every backbone of ``artdl.models.classifier`` because each ``Classifier`` names its
    last feature layer in ``cam_layer``. ``precision`` applies to Score-CAM's forward passes only:
    ``auto`` = bf16 where it is native (CUDA, AMX, AVX512-BF16), else ``fp32``; gradient methods
    always run in fp32.
    """
    if method not in CAM_METHODS:
        raise ValueError(f"Unknown explanation method '{method}'; choose one of {CAM_METHODS}.")
    model.eval()
    if method == "cam":
        return class_activation_map(model, images, targets)
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    if targets is None:
        with torch.no_grad():
            targets = model(images).argmax(1).tolist()
    wanted = [ClassifierOutputTarget(int(t)) for t in targets]
    if method == "scorecam":
        twin, layer = _scorecam_twin(model)
        precision = native_precision(precision, images.device)
        # Registered before Score-CAM's own hook, so that hook stores fp32 activations (numpy has no bf16).
        to_fp32 = layer.register_forward_hook(lambda module, inputs, output: output.float())
        try:
            with _quiet_scorecam(), autocast(images.device, precision), ScoreCAM(twin, [layer]) as cam:
                cam.batch_size = batch_size
                maps = cam(input_tensor=images, targets=wanted)
        finally:
            to_fp32.remove()
    else:
        cls = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus}[method]
        with cls(model=model, target_layers=[model.cam_layer]) as cam:
            maps = cam(input_tensor=images, targets=wanted)
    return _normalise_maps(torch.from_numpy(np.asarray(maps, dtype=np.float32))).numpy()


def denormalize(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """Normalised tensors (B x 3 x H x W) back to RGB floats in [0, 1] (B x H x W x 3)."""
    m = torch.as_tensor(mean, dtype=images.dtype).view(1, 3, 1, 1)
    s = torch.as_tensor(std, dtype=images.dtype).view(1, 3, 1, 1)
    return (images.cpu() * s + m).clamp(0, 1).permute(0, 2, 3, 1).numpy()


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The heat map in a jet colour map blended over an RGB image in [0, 1]; returns uint8."""
    from pytorch_grad_cam.utils.image import show_cam_on_image

    return show_cam_on_image(
        image.astype(np.float32), heatmap.astype(np.float32), use_rgb=True, image_weight=1 - alpha
    )


def explanation_grid(
    images: np.ndarray,
    maps: dict[str, np.ndarray],
    titles: Sequence[str] | None = None,
    title: str | None = None,
) -> Any:
    """Rows = images, columns = the painting then one overlay per method.

    ``titles`` label the rows (one line each, or several separated by newlines); ``title`` heads the
    figure, above the column names rather than on top of them. A method with maps for fewer images
    (Score-CAM on the first ``classify.explain.scorecam_images`` only) leaves the rest of its column
    blank, without frames, and says so in its first blank cell.
    """
    import matplotlib.pyplot as plt

    methods = list(maps)
    n = len(images)
    fig, axes = plt.subplots(n, len(methods) + 1, figsize=(2.1 * (len(methods) + 1), 2.2 * n), squeeze=False)
    for i in range(n):
        axes[i, 0].imshow(images[i])
        label = (titles[i] if titles else "").split("\n")
        axes[i, 0].set_ylabel(
            "\n".join(line if len(line) <= 32 else line[:31] + "…" for line in label), fontsize=8
        )
        for j, method in enumerate(methods, 1):
            done = len(maps[method])
            if i < done:
                axes[i, j].imshow(overlay(images[i], maps[method][i]))
            else:  # no empty frames: say once why the rest of the column is blank
                axes[i, j].axis("off")
                if i == done:
                    axes[i, j].text(0.5, 0.5, f"{method}:\nfirst {done} only", ha="center", va="center",
                                    fontsize=8, color="0.4", transform=axes[i, j].transAxes)  # fmt: skip
            if i == 0:
                axes[i, j].set_title(method, fontsize=9)
        if i == 0:
            axes[i, 0].set_title("painting", fontsize=9)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    if title:
        fig.suptitle(title)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))  # 0.35 in for the title
    else:
        fig.tight_layout()
    return fig
