"""Device choice and precision on simulated GPUs: a T4 (no native bf16), an A100 and no GPU at all.

No GPU is lent to these tests, so ``torch.cuda``'s answers are monkeypatched; what is checked is
the decision each function takes from them, which is all that differs between the cards.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from artdl.core import (
    DeviceError,
    autocast,
    get_device,
    resolve_precision,
    training_precision,
)
from artdl.models import native_precision


def _gpu(monkeypatch: pytest.MonkeyPatch, native_bf16: bool) -> None:
    """torch.cuda as on a machine with one GPU; ``native_bf16`` False is a T4, True an A100."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(
        torch.cuda, "is_bf16_supported", lambda including_emulation=True: native_bf16 or including_emulation
    )


def _no_gpu(monkeypatch: pytest.MonkeyPatch, warning: str | None = None) -> None:
    def is_available() -> bool:
        if warning:
            warnings.warn(warning, UserWarning, stacklevel=1)
        return False

    monkeypatch.setattr(torch.cuda, "is_available", is_available)


def test_t4_auto_is_fp16_with_an_enabled_grad_scaler(monkeypatch: pytest.MonkeyPatch):
    _gpu(monkeypatch, native_bf16=False)
    assert resolve_precision("auto", "cuda") == "fp16"
    assert autocast("cuda", "auto").fast_dtype == torch.float16
    amp = training_precision(torch.device("cuda"), "auto")
    assert amp.name == "fp16" and amp.scaler.is_enabled() and amp.autocast().fast_dtype == torch.float16
    # Inference-heavy work keeps fp32 there rather than emulated bf16.
    assert native_precision("auto", "cuda") == "fp32"


def test_a100_auto_is_bf16_without_a_scaler(monkeypatch: pytest.MonkeyPatch):
    _gpu(monkeypatch, native_bf16=True)
    assert resolve_precision("auto", "cuda:0") == "bf16"
    assert autocast("cuda", True).fast_dtype == torch.bfloat16
    amp = training_precision("cuda", "auto")
    assert amp.name == "bf16" and not amp.scaler.is_enabled()
    assert native_precision("auto", "cuda") == "bf16"


def test_explicit_precisions_are_kept_and_a_bad_one_is_refused(monkeypatch: pytest.MonkeyPatch):
    _gpu(monkeypatch, native_bf16=False)
    assert resolve_precision("bf16", "cuda") == "bf16"
    assert resolve_precision(False, "cuda") == "fp32"
    assert resolve_precision("auto", "cpu") == "fp32"
    with pytest.raises(ValueError, match="not one of"):
        resolve_precision("fp8", "cuda")
    with pytest.raises(ValueError, match="not one of"):  # fp16 only comes from auto, with its scaler
        resolve_precision("fp16", "cuda")


@pytest.mark.filterwarnings("ignore:CUDA initialization")
def test_no_gpu_auto_falls_back_but_cuda_fails_fast_naming_the_driver(monkeypatch: pytest.MonkeyPatch):
    _no_gpu(monkeypatch, "CUDA initialization: The NVIDIA driver on your system is too old (found version 11040).")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device("auto").type == "cpu"
    with pytest.raises(DeviceError) as err:
        get_device("cuda")
    message = str(err.value)
    assert "\n" not in message
    assert "nvidia-smi" in message and "driver" in message and "device=cpu" in message
    assert "too old (found version 11040)" in message  # torch's own reason is passed on


def test_cpu_training_precision_steps_like_plain_backward():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().clone()
    amp = training_precision("cpu", "auto")
    assert amp.name == "fp32" and not amp.scaler.is_enabled()
    with amp.autocast():
        loss = model(torch.randn(8, 4)).pow(2).mean()
    assert amp.step(loss, opt, clip_norm=1e-3)
    assert 0 < (model.weight - before).norm() <= 0.1 * 1e-3 + 1e-7  # clipped to norm 1e-3, lr 0.1


# --- DataLoader workers --------------------------------------------------------------------------


def _dataset(n: int = 6):
    import pandas as pd

    from artdl.data import ArtworkDataset

    table = pd.DataFrame({"path": [f"p{i}.jpg" for i in range(n)], "label": ["a", "b"] * (n // 2)})
    return ArtworkDataset(table)


def test_workers_are_capped_at_the_cpus_this_process_may_use(monkeypatch: pytest.MonkeyPatch):
    import os

    from artdl.data import make_loader, worker_count

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)  # a 2-vCPU Colab
    assert worker_count(8) == 2 and worker_count(1) == 1 and worker_count(0) == 0
    train = make_loader(_dataset(), 2, shuffle=True, num_workers=8)
    evaluation = make_loader(_dataset(), 2, num_workers=8)
    assert train.num_workers == evaluation.num_workers == 2
    # Persistent workers on the loader read every epoch only.
    assert train.persistent_workers and not evaluation.persistent_workers
    assert make_loader(_dataset(), 2, balanced=True, num_workers=8).persistent_workers
    assert not make_loader(_dataset(), 2, shuffle=True, num_workers=0).persistent_workers


def test_setup_turns_on_cudnn_autotuning_on_cuda_only(monkeypatch: pytest.MonkeyPatch):
    from omegaconf import OmegaConf

    from artdl.core import setup

    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    assert setup(OmegaConf.create({"seed": 0, "device": "cpu"})).type == "cpu"
    assert torch.backends.cudnn.benchmark is False
    _gpu(monkeypatch, native_bf16=True)
    assert setup(OmegaConf.create({"seed": 0, "device": "cuda"})).type == "cuda"
    assert torch.backends.cudnn.benchmark is True
