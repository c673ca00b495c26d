"""Prompt syntax and the CLIP prompt loss of VQGAN+CLIP (Crowson 2021).

A prompt string holds several prompts separated by ``|``; each one is ``text:weight:stop``, where
``weight`` (default 1) may be negative to push the image *away* from a text, and ``stop``
(default -inf) is a distance below which the prompt stops pulling (its gradient is zeroed), so
one satisfied prompt cannot swamp the others. ``https://`` and ``C:\\`` style colons inside the text are kept: only the last
one or two ``:``-separated fields that parse as numbers are taken as weight and stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ParsedPrompt", "PromptLoss", "ReplaceGrad", "parse_prompt", "parse_prompts", "replace_grad"]


@dataclass(frozen=True)
class ParsedPrompt:
    """One prompt: a text (or an image path for image prompts), its weight and its stop."""

    text: str
    weight: float = 1.0
    stop: float = -math.inf


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def parse_prompt(prompt: str) -> ParsedPrompt:
    """Parse ``text[:weight[:stop]]``; raises ``ValueError`` on an empty text."""
    parts = prompt.strip().split(":")
    numbers: list[float] = []
    # Peel at most two numeric fields off the end (stop last, weight before it).
    while len(parts) > 1 and len(numbers) < 2 and _is_number(parts[-1].strip()):
        numbers.insert(0, float(parts.pop().strip()))
    text = ":".join(parts).strip()
    if not text:
        raise ValueError(f"Prompt {prompt!r} has no text: write it as 'text:weight:stop', e.g. 'a cat:1'.")
    weight = numbers[0] if numbers else 1.0
    stop = numbers[1] if len(numbers) > 1 else -math.inf
    return ParsedPrompt(text, weight, stop)


def parse_prompts(prompts: str | list[str] | None) -> list[ParsedPrompt]:
    """Parse ``"a:1 | b:-0.5"`` (or a list of such strings) into prompts; blanks are skipped."""
    if prompts is None:
        return []
    items = [prompts] if isinstance(prompts, str) else list(prompts)
    out: list[ParsedPrompt] = []
    for item in items:
        out.extend(parse_prompt(p) for p in str(item).split("|") if p.strip())
    return out


class ReplaceGrad(torch.autograd.Function):
    """Forward one tensor, backpropagate into another (the straight-through trick)."""

    @staticmethod
    def forward(ctx, x_forward: torch.Tensor, x_backward: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.shape = x_backward.shape
        return x_forward

    @staticmethod
    def backward(ctx, grad_in: torch.Tensor):  # type: ignore[override]
        return None, grad_in.sum_to_size(ctx.shape)


replace_grad = ReplaceGrad.apply


class PromptLoss(nn.Module):
    """Squared great-circle distance between CLIP embeddings of the cutouts and one prompt.

    Why the spherical distance: CLIP embeddings are compared by angle, and this loss keeps a
    useful gradient even when the cosine similarity is already high. A negative weight flips
    the sign (push away). ``stop`` keeps the reported loss unchanged but zeroes the gradient of
    cutouts already closer than ``stop`` (Crowson's straight-through trick), so a satisfied prompt
    stops pulling and leaves room for the others.
    """

    def __init__(self, embed: torch.Tensor, weight: float = 1.0, stop: float = -math.inf) -> None:
        super().__init__()
        # One target (a text) or several (the cutouts of an image prompt): always (n, dim).
        self.register_buffer("embed", embed.detach().float().reshape(-1, embed.shape[-1]))
        self.register_buffer("weight", torch.as_tensor(float(weight)))
        self.register_buffer("stop", torch.as_tensor(float(stop)))

    def forward(self, image_embeds: torch.Tensor) -> torch.Tensor:
        x = F.normalize(image_embeds.float().unsqueeze(1), dim=2)
        e = F.normalize(self.embed.unsqueeze(0), dim=2)
        dists = x.sub(e).norm(dim=2).div(2).clamp(max=1.0).arcsin().pow(2).mul(2)
        dists = dists * self.weight.sign()
        return self.weight.abs() * replace_grad(dists, torch.maximum(dists, self.stop)).mean()
