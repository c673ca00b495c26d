"""The VQGAN+CLIP optimisation loop (Crowson 2021), cutouts, frames and CLIP scores.

The image is never optimised directly: a VQGAN latent ``z`` is. Each step snaps ``z`` to the
nearest codebook vectors (with a straight-through gradient), decodes it, cuts ``cutn`` random
square crops (sizes drawn with ``cut_pow``), augments them with kornia, embeds them with CLIP and
moves ``z`` with Adam so the embeddings approach the prompts. The cutouts are what make this
work: CLIP sees the image at many scales and positions, so the optimiser cannot satisfy it with
an adversarial pattern at a single scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from artdl.core import SectionConfig, atomic_path, autocast, seed_everything, unscaled_precision
from artdl.models import CLIPBundle
from artdl.vqgan_clip.cutouts import AUGMENTS, MakeCutouts
from artdl.vqgan_clip.models import vqgan_scale_factor
from artdl.vqgan_clip.prompts import ParsedPrompt, PromptLoss, parse_prompts, replace_grad

__all__ = [
    "VRAM_GUIDE",
    "GenerationConfig",
    "GenerationResult",
    "auto_size",
    "clip_score_matrix",
    "diagonal_dominance",
    "generate_image",
    "round_to_factor",
    "save_animation",
    "size_for_memory",
    "to_uint8_array",
]


@dataclass(frozen=True)
class GenerationConfig(SectionConfig):
    """How one image is optimised: the ``vqgan_clip`` section's loop keys, checked when built.

    The defaults are ``configs/default.yaml``'s (a test keeps them equal). ``amp`` may also be a
    precision name (``"bf16"`` asks for bf16 on any device, for measuring); ``compile`` runs the
    VQGAN decoder and CLIP's image tower through ``torch.compile``.
    """

    SECTION: ClassVar[str] = "vqgan_clip"

    iterations: int = 20
    lr: float = 0.1
    cutn: int = 8  # cutouts per step
    cut_pow: float = 1.0  # >1 favours small cutouts (detail), <1 large ones (composition)
    augments: tuple[str, ...] = AUGMENTS
    noise: float = 0.1  # max std of Gaussian noise on the cutouts
    image_prompts: str | None = None  # "path.jpg:weight:stop | ..."
    init_image: str | Path | None = None
    init_weight: float = 0.0  # >0 keeps the latent close to the init image
    seed: int = 42
    save_every: int = 2  # a frame every N iterations (0: none)
    amp: bool | str = True
    compile: bool = False


def _vector_quantize(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Nearest codebook vector per position (channels last), straight-through gradient.

    Always in float32, also under autocast: a bfloat16 distance picks the wrong code too often.
    """
    with torch.autocast(z.device.type, enabled=False):
        z, codebook = z.float(), codebook.float()
        d = z.pow(2).sum(-1, keepdim=True) + codebook.pow(2).sum(1) - 2 * z @ codebook.T
        z_q = F.one_hot(d.argmin(-1), codebook.shape[0]).to(z.dtype) @ codebook
    return replace_grad(z_q, z)


class ClampWithGrad(torch.autograd.Function):
    """Clamp to [lo, hi], but let through the gradient that pushes a clipped pixel back inside.

    A plain clamp has zero gradient outside the range, so a saturated pixel could never recover.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:  # type: ignore[override]
        ctx.lo, ctx.hi = lo, hi
        ctx.save_for_backward(x)
        return x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad_in: torch.Tensor):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        keep = (grad_in * (x - x.clamp(ctx.lo, ctx.hi)) >= 0).to(grad_in.dtype)
        return grad_in * keep, None, None


def _compiled(owner: Any, method: str) -> Any:
    """``torch.compile(owner.method)``, made once per model and kept on it, so that later calls
    (the next art epoch, the timed run after a warm-up) reuse the compiled graphs."""
    attr = f"_artdl_compiled_{method}"
    if getattr(owner, attr, None) is None:
        object.__setattr__(owner, attr, torch.compile(getattr(owner, method)))
    return getattr(owner, attr)


def _synth(vqgan: Any, z: torch.Tensor, decode: Any = None) -> torch.Tensor:
    codebook = vqgan.quantize.embedding.weight
    z_q = _vector_quantize(z.movedim(1, 3), codebook).movedim(3, 1)
    out = (decode or vqgan.decode)(z_q).float().add(1).div(2)
    return ClampWithGrad.apply(out, 0.0, 1.0)


def to_uint8_array(image: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) in [0, 1] -> (H, W, 3) uint8."""
    return (image[0].detach().clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)


def _load_image_tensor(path: str | Path, size: tuple[int, int], device: Any) -> torch.Tensor:
    from artdl.core import resolve
    from artdl.data import load_image

    p = resolve(path)
    if not p.is_file():
        raise FileNotFoundError(f"Image {p} (an init or image prompt) does not exist.")
    image = load_image(p).resize((size[1], size[0]))
    arr = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)
    return arr.permute(2, 0, 1).unsqueeze(0).to(device)


@dataclass
class GenerationResult:
    """The final image, the loss per iteration and the saved frames."""

    image: np.ndarray
    losses: list[float]
    frames: list[np.ndarray] = field(default_factory=list)
    prompts: list[ParsedPrompt] = field(default_factory=list)
    seconds: float = 0.0
    frame_steps: list[int] = field(default_factory=list)  # the iteration of each frame

    @property
    def iterations_per_second(self) -> float:
        return len(self.losses) / self.seconds if self.seconds > 0 else float("nan")


def _token_grid(vqgan: Any, size: int | tuple[int, int]) -> tuple[int, int, int, int]:
    """(toks_y, toks_x, h, w): the latent grid for ``size`` and the pixel size it decodes to."""
    h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    f = vqgan_scale_factor(vqgan)
    toks_y, toks_x = max(1, h // f), max(1, w // f)
    return toks_y, toks_x, toks_y * f, toks_x * f


def _initial_latent(
    vqgan: Any, grid: tuple[int, int, int, int], init_image: str | Path | None, use_amp: bool | str
) -> torch.Tensor:
    """The starting latent: the encoded ``init_image``, or random codebook entries."""
    device = next(vqgan.parameters()).device
    toks_y, toks_x, h, w = grid
    codebook = vqgan.quantize.embedding.weight
    if init_image:
        with torch.no_grad(), autocast(device, use_amp):
            z, *_ = vqgan.encode(_load_image_tensor(init_image, (h, w), device) * 2 - 1)
        return z.float()
    n_toks, e_dim = codebook.shape
    one_hot = F.one_hot(torch.randint(n_toks, [toks_y * toks_x], device=device), n_toks).float()
    return (one_hot @ codebook.float()).view(1, toks_y, toks_x, e_dim).permute(0, 3, 1, 2)


def _prompt_losses(
    clip: CLIPBundle,
    prompts: str | Sequence[str],
    image_prompts: str | Sequence[str] | None,
    make_cutouts: MakeCutouts,
    hw: tuple[int, int],
    use_amp: bool | str,
) -> tuple[list[ParsedPrompt], list[PromptLoss]]:
    """One :class:`PromptLoss` per text prompt and per image prompt (embedded through cutouts)."""
    device = clip.device
    parsed = parse_prompts(list(prompts) if not isinstance(prompts, str) else prompts)
    fns = [PromptLoss(clip.encode_text([p.text])[0], p.weight, p.stop).to(device) for p in parsed]
    for p in parse_prompts(image_prompts):
        img = _load_image_tensor(p.text, hw, device)
        with torch.no_grad(), autocast(device, use_amp):
            embed = clip.encode_image(make_cutouts(img))
        fns.append(PromptLoss(embed.float(), p.weight, p.stop).to(device))
    if not fns:
        raise ValueError("Give at least one text or image prompt, e.g. prompts='a Baroque painting'.")
    return parsed, fns


@dataclass
class _Optimisation:
    """What one iteration needs: the latent, its bounds and start, the losses and the networks."""

    z: torch.Tensor
    z_orig: torch.Tensor
    z_min: torch.Tensor
    z_max: torch.Tensor
    loss_fns: list[PromptLoss]
    init_weight: float
    vqgan: Any
    decode: Any
    encode_image: Any
    make_cutouts: MakeCutouts
    use_amp: bool | str


def _iteration(o: _Optimisation, opt: torch.optim.Optimizer) -> tuple[float, torch.Tensor]:
    """One Adam step on the latent; returns the loss and the decoded image before the step."""
    opt.zero_grad(set_to_none=True)
    with autocast(o.z.device, o.use_amp):
        out = _synth(o.vqgan, o.z, o.decode)
        embeds = o.encode_image(o.make_cutouts(out))
    loss = sum(fn(embeds) for fn in o.loss_fns)
    if o.init_weight:
        loss = loss + F.mse_loss(o.z, o.z_orig) * o.init_weight / 2
    loss.backward()
    opt.step()
    with torch.no_grad():  # keep the latent inside the codebook's box
        o.z.copy_(o.z.maximum(o.z_min).minimum(o.z_max))
    return float(loss.detach()), out


def generate_image(
    vqgan: Any,
    clip: CLIPBundle,
    prompts: str | Sequence[str],
    config: GenerationConfig | None = None,
    *,
    size: int | tuple[int, int] = 256,
    progress: bool = True,
    on_step: Any = None,
) -> GenerationResult:
    """Optimise a VQGAN latent so CLIP's view of the decoded image matches the prompts.

    ``prompts`` use the ``text:weight:stop`` syntax separated by ``|``; ``config.image_prompts``
    the same syntax with image paths. ``config.init_image`` starts from an encoded painting instead
    of random codes; ``init_weight`` > 0 keeps ``z`` close to that start (MSE). The same ``seed`` on
    the same device and library versions gives the same image. ``size`` is the image side in px
    (or ``(h, w)``), resolved by the caller (:func:`auto_size` for ``size: auto``). ``on_step(1)``
    is called after each iteration (for an outer progress bar). Mixed precision (bfloat16) is used
    on CUDA only, when ``amp`` is true. With ``compile`` the first iterations include compiling.
    """
    import time

    from tqdm.auto import tqdm

    c = config or GenerationConfig()
    device = next(vqgan.parameters()).device
    grid = _token_grid(vqgan, size)
    seed_everything(c.seed)
    use_amp = unscaled_precision(c.amp if isinstance(c.amp, str) else bool(c.amp), device)  # bf16 where native
    autocast(device, use_amp)  # fail early on a bad precision name
    z = _initial_latent(vqgan, grid, c.init_image, use_amp)
    codebook = vqgan.quantize.embedding.weight.float()
    make_cutouts = MakeCutouts(clip.image_size, c.cutn, c.cut_pow, list(c.augments), c.noise).to(device)
    parsed, loss_fns = _prompt_losses(clip, prompts, c.image_prompts, make_cutouts, grid[2:], use_amp)
    o = _Optimisation(
        z=z.detach().clone().requires_grad_(True),
        z_orig=z.detach().clone(),
        z_min=codebook.min(0).values[None, :, None, None],
        z_max=codebook.max(0).values[None, :, None, None],
        loss_fns=loss_fns,
        init_weight=c.init_weight,
        vqgan=vqgan,
        decode=_compiled(vqgan, "decode") if c.compile else vqgan.decode,
        encode_image=_compiled(clip, "encode_image") if c.compile else clip.encode_image,
        make_cutouts=make_cutouts,
        use_amp=use_amp,
    )
    opt = torch.optim.Adam([o.z], lr=c.lr)
    result = GenerationResult(np.zeros((0, 0, 3), np.uint8), [], prompts=parsed)
    start = time.perf_counter()
    iterations, save_every = c.iterations, c.save_every
    for i in tqdm(range(iterations), desc="VQGAN+CLIP", leave=False, disable=not progress):
        loss, out = _iteration(o, opt)
        result.losses.append(loss)
        if save_every and (i % save_every == 0 or i == iterations - 1):
            result.frames.append(to_uint8_array(out))
            result.frame_steps.append(i)
        if on_step is not None:
            on_step(1)
    with torch.no_grad(), autocast(device, use_amp):
        result.image = to_uint8_array(_synth(vqgan, o.z, o.decode))
    result.seconds = time.perf_counter() - start
    return result


def save_animation(frames: Sequence[np.ndarray], path: str | Path, fps: int = 8) -> Path:
    """Write frames as a GIF, or an MP4 when the path ends in .mp4 (needs imageio-ffmpeg)."""
    import imageio.v2 as imageio

    path = Path(path)
    if not frames:
        raise ValueError("No frames to write: run generate_image() with save_every > 0.")
    if path.suffix.lower() == ".mp4":
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError as err:
            raise ImportError("MP4 output needs `pip install imageio-ffmpeg`; or use a .gif path.") from err
        with atomic_path(path) as tmp:
            imageio.mimsave(tmp, list(frames), fps=fps, format="FFMPEG")  # type: ignore[call-arg]
    else:
        with atomic_path(path) as tmp:
            imageio.mimsave(tmp, list(frames), duration=1000 / fps, loop=0, format="GIF")
    return path


@torch.no_grad()
def clip_score_matrix(clip: CLIPBundle, images: Sequence[np.ndarray], texts: Sequence[str]) -> np.ndarray:
    """Cosine similarity of each image (rows) with each text (columns), in CLIP space.

    A diagonal that dominates its row means each image is closer to its own prompt than to the
    other epochs' prompts: the style was captured (as far as CLIP can tell).
    """
    batch = torch.stack(
        [torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1) for im in images]
    )
    batch = F.interpolate(
        batch.to(clip.device), (clip.image_size, clip.image_size), mode="bicubic", align_corners=False
    )
    img = F.normalize(clip.encode_image(batch.clamp(0, 1)), dim=-1)
    txt = F.normalize(clip.encode_text(list(texts)), dim=-1)
    return (img @ txt.T).cpu().numpy()


# Rough starting points for the side length (px) of a square image by the GPU's memory as it is
# SOLD, in GB (10^9 bytes), for the f16 VQGAN + ViT-B/32 with 32 cutouts. These are NOT measured in
# this repository (no GPU was available); measure yours with `python benchmarks/bench_vqgan_clip.py`.
VRAM_GUIDE: dict[int, int] = {6: 256, 8: 320, 12: 448, 16: 512, 24: 640, 40: 896, 80: 1024}
# CUDA reports less than the label: a "16 GB" T4 shows 15 GiB (16.1 GB) or, with ECC on, 14.7 GiB
# (15.8 GB). A card counts as an N GB card when it reports at least this share of N GB.
_REPORTED_SHARE = 0.92


def size_for_memory(total_bytes: int, guide: dict[int, int] | None = None) -> int:
    """The guide's image side for a GPU that reports ``total_bytes`` (torch's ``total_memory``).

    The guide is in marketed GB; comparing it with GiB (2^30 bytes, 7% larger) picked one size too
    small (a T4 got the 12 GB row's 448 px).
    """
    guide = guide or VRAM_GUIDE
    total_gb = total_bytes / 1e9
    fitting = [px for gb, px in sorted(guide.items()) if total_gb >= gb * _REPORTED_SHARE]
    return fitting[-1] if fitting else min(guide.values())


def auto_size(device: Any, cpu_size: int = 64, guide: dict[int, int] | None = None) -> int:
    """The image side to use when ``size: auto``: ``cpu_size`` off-GPU, else from the VRAM guide."""
    device = torch.device(device)
    if device.type != "cuda":
        return int(cpu_size)
    return size_for_memory(torch.cuda.get_device_properties(device).total_memory, guide)


def round_to_factor(size: int, factor: int) -> int:
    """The VQGAN decodes multiples of its scale factor; round down (at least one token)."""
    return max(factor, (int(size) // factor) * factor)


def diagonal_dominance(scores: np.ndarray) -> dict[str, float]:
    """How well each image matches its own prompt rather than the others (square matrix).

    ``top1``: share of rows whose best column is the diagonal (chance is 1/n); ``margin``: mean
    diagonal minus mean off-diagonal similarity.
    """
    scores = np.asarray(scores, dtype=float)
    n = scores.shape[0]
    if scores.shape != (n, n):
        raise ValueError(f"Need a square images x prompts matrix, got {scores.shape}.")
    diag = np.diag(scores)
    off = scores[~np.eye(n, dtype=bool)]
    return {
        "top1": float(np.mean(scores.argmax(1) == np.arange(n))),
        "chance": 1.0 / n,
        "margin": float(diag.mean() - (off.mean() if off.size else 0.0)),
    }
