"""Fine-tuning the top of a network on cached activations of its frozen trunk.

Why: on a CPU most of a fine-tuning step is spent in the early, high-resolution stages. When those
stages are frozen, their output for a painting never changes, so it can be computed once, in one
inference pass, and every epoch after that only runs (and back-propagates through) the trainable
top stages. On the 2-core CPU this turns several epochs at 224 px, which a full fine-tune cannot
afford, into a few minutes (``benchmarks/bench_finetune.py`` measures it).

The price is augmentation: a cached activation cannot be re-cropped or colour-jittered. A
horizontal flip of the activation map stands in for a flipped painting; it is close to, not the
same as, the activations of the flipped image, because learned filters are not mirror-symmetric.

:func:`split_model` cuts a :class:`~artdl.models.classifier.Classifier` into ``trunk`` and ``top``
so that ``top(trunk(x))`` equals ``model.features(x)``; :class:`ActivationCache` holds the trunk's
output for each split (float16, to halve the memory: 7,000 paintings at 224 px take 0.3 GB for
EfficientNet-Lite0 with three trainable stages).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from artdl.core import autocast
from artdl.models import Classifier, fold_batchnorm, map_batches, native_precision

__all__ = ["ActivationCache", "cache_precision", "split_model"]


def cache_precision(name: str, device: torch.device) -> str:
    """A precision of the cached fine-tune (``classify.trunk_precision`` for the trunk pass,
    ``classify.cache_precision`` for training and scoring the top): ``auto`` is bf16 where the
    device computes it natively (:func:`~artdl.models.inference.native_bf16`: CUDA, AMX or
    AVX512-BF16), else fp32.

    On the 2-core CPU (AMX) bf16 ran the folded trunk pass about 2x faster and trained the default
    top (the last 2 stages of EfficientNet-Lite0, on 7x7 maps) 1.7x faster. A deeper top is another
    matter: with 3 stages, on 14x14 maps, bf16 trained slower than fp32 (``bench_frozen_trunk.py
    --stages 3``, table in docs/performance.md), which is why the default top (3 stages) is fp32.
    """
    if name not in ("auto", "bf16", "fp32"):
        raise ValueError(f"classify.cache_precision={name!r}: use auto, bf16 or fp32.")
    return native_precision(name, device)


def _flat(stage: nn.Module) -> list[nn.Module]:
    """A stage as callable modules: a ``ModuleList`` (e.g. stem conv + norm) is its children in order."""
    return list(stage) if isinstance(stage, nn.ModuleList) else [stage]


def split_model(model: Classifier, trainable_stages: int) -> tuple[nn.Sequential, nn.Sequential]:
    """``(trunk, top)``: the frozen first stages and the last ``trainable_stages`` stages.

    Both share the model's modules (no copies), so training ``top`` trains ``model``.
    """
    stages = model.stages
    if not 0 < trainable_stages < len(stages):
        raise ValueError(
            f"classify.unfreeze_stages={trainable_stages}: a cached trunk needs between 1 and "
            f"{len(stages) - 1} trainable stages (this backbone has {len(stages)}); use -1 without "
            "classify.frozen_cache to train the whole network."
        )
    cut = len(stages) - trainable_stages
    trunk = nn.Sequential(*[m for s in stages[:cut] for m in _flat(s)])
    top = nn.Sequential(*[m for s in stages[cut:] for m in _flat(s)])
    return trunk, top


@dataclass
class ActivationCache:
    """The frozen trunk's output for every image of some loaders, computed once.

    ``batches`` yields shuffled training batches with random horizontal flips of the activation
    maps; ``logits`` scores a split through ``top`` and the head in eval mode.
    """

    model: Classifier
    top: nn.Sequential
    device: torch.device
    precision: str = "fp32"
    memory_format: torch.memory_format = torch.contiguous_format
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        model: Classifier,
        trainable_stages: int,
        loaders: dict[str, Any],
        device: torch.device,
        names: tuple[str, ...] = ("train_eval", "val", "test"),
        precision: str = "fp32",
        memory_format: torch.memory_format = torch.contiguous_format,
        progress: bool = True,
        trunk: str = "fp32",
    ) -> ActivationCache:
        """Run the trunk once over ``loaders[name]`` for each name present (eval transforms).

        ``precision`` is the top's (training and scoring), ``trunk`` the trunk pass's; both are
        resolved names (``fp32`` or ``bf16``, see :func:`cache_precision`)."""
        frozen, top = split_model(model, trainable_stages)
        # Inference only: folded batch norms, and on a CPU one batch per core (artdl.models.inference).
        fast = fold_batchnorm(frozen.eval()).to(device, memory_format=memory_format)
        cache = cls(model, top, device, precision, memory_format)

        def run(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
            with autocast(device, trunk):
                out = fast(batch[0].to(device, memory_format=memory_format))
            return out.to("cpu", torch.float16), batch[1].to(torch.long)

        for name in (n for n in names if n in loaders):
            bar = tqdm(total=len(loaders[name]), desc=f"frozen trunk: {name}", disable=not progress)
            acts, targets = [], []
            for out, y in map_batches(run, loaders[name], device):
                acts.append(out)
                targets.append(y)
                bar.update()
            bar.close()
            cache.splits[name] = (torch.cat(acts), torch.cat(targets))
        return cache

    def targets(self, name: str) -> torch.Tensor:
        return self.splits[name][1]

    def _pooled_logits(self, x: torch.Tensor, head: bool) -> torch.Tensor:
        x = x.to(self.device, torch.float32).contiguous(memory_format=self.memory_format)
        with autocast(self.device, self.precision):
            pooled = self.model.pool(self.top(x)).flatten(1)
            return (self.model.head(pooled) if head else pooled).float()

    @torch.no_grad()
    def pooled(self, name: str, batch_size: int = 256) -> torch.Tensor:
        """Globally pooled features of a split (= ``model.pooled`` of its images), for the probe."""
        self.top.eval()
        x = self.splits[name][0]
        return torch.cat(
            [self._pooled_logits(x[i : i + batch_size], False).cpu() for i in range(0, len(x), batch_size)]
        )

    @torch.no_grad()
    def logits(self, name: str, batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, targets) of a split through ``top`` and the head, in eval mode."""
        self.top.eval()
        self.model.head.eval()
        x, y = self.splits[name]
        out = [self._pooled_logits(x[i : i + batch_size], True).cpu() for i in range(0, len(x), batch_size)]
        return torch.cat(out), y

    def batches(
        self, batch_size: int, generator: torch.Generator, flip: float = 0.5
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One epoch of shuffled training batches; each map is mirrored with probability ``flip``.

        The last incomplete batch is dropped, as the image loader does (batch-norm statistics of a
        batch of two are noise).
        """
        x, y = self.splits["train_eval"]
        order = torch.randperm(len(x), generator=generator)
        stop = len(x) - len(x) % batch_size if len(x) > batch_size else len(x)
        for i in range(0, stop, batch_size):
            idx = order[i : i + batch_size]
            xb = x[idx].to(self.device, torch.float32)
            mirror = (torch.rand(len(idx), generator=generator) < flip).to(self.device)
            xb = torch.where(mirror[:, None, None, None], xb.flip(3), xb)
            yield xb.contiguous(memory_format=self.memory_format), y[idx].to(self.device)

    def train_forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a training batch (dropout on, as in ``Classifier.forward``)."""
        return self.model.head(self.model.dropout(self.model.pool(self.top(x)).flatten(1)))
