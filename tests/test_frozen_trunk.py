"""The cached-trunk fine-tune: the split is exact, the cache trains the model it came from, and a
wall-time budget stops a baseline on time."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from artdl import classify, models
from artdl.classify import ActivationCache, split_model
from artdl.classify.finetune import one_cycle_factor

from .conftest import colour_split


def _colour_split(tmp_path: Path) -> pd.DataFrame:
    return colour_split(tmp_path, n_per_class=20, held_out=3)


@pytest.mark.parametrize("backbone", ["scratch", "scratch_resnet18"])
@pytest.mark.parametrize("trainable", [1, 3])
def test_trunk_then_top_is_the_feature_extractor(backbone: str, trainable: int):
    model = models.build_classifier(backbone, 3).eval()
    trunk, top = split_model(model, trainable)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(top(trunk(x)), model.features(x), atol=1e-5)
    top_params = {id(p) for p in top.parameters()}
    assert top_params and top_params.isdisjoint(id(p) for p in trunk.parameters())


def test_split_refuses_whole_net_or_nothing():
    model = models.build_classifier("scratch", 2)
    for bad in (-1, 0, len(model.stages)):
        with pytest.raises(ValueError, match="unfreeze_stages"):
            split_model(model, bad)


def test_cached_fine_tune_trains_only_the_top_and_scores_like_the_model(tmp_path: Path):
    torch.manual_seed(0)
    table = _colour_split(tmp_path)
    classes = ["blue", "red"]
    loaders = classify.make_loaders(table, classes, "scratch_resnet18", image_size=32, batch_size=8)
    model = models.build_classifier("scratch_resnet18", 2)
    frozen_before = [p.detach().clone() for p in model.stages[0].parameters()]
    top_before = [p.detach().clone() for p in model.stages[-1].parameters()]
    recipe = classify.FitConfig(epochs=3, head_epochs=2, unfreeze_stages=2, frozen_cache=True, lr=3e-3)
    result = classify.fit(model, loaders, recipe, torch.device("cpu"), name="cached", progress=False,
                          probe_classes=classes)  # fmt: skip
    assert result.config.frozen_cache and result.trunk_seconds is not None and result.trunk_seconds > 0
    assert result.optimizer_steps == 3 * (len(table[table.split == "train"]) // 8)
    assert all(torch.equal(a, b) for a, b in zip(frozen_before, model.stages[0].parameters()))
    if result.kept["phase"] == "finetune":
        assert any(not torch.equal(a, b) for a, b in zip(top_before, model.stages[-1].parameters()))
    # The kept weights' test scores from the cache equal a plain forward pass over the images.
    assert result.test_scores is not None
    logits, targets = result.test_scores
    direct, direct_targets = classify.predict(model, loaders["test"], torch.device("cpu"), "fp32")
    assert np.array_equal(targets, direct_targets)
    assert np.allclose(logits, direct, atol=2e-2)  # float16 storage of the activations
    assert result.history["phase"].tolist()[0] == "head" and result.linear_probe is not None


def test_cache_batches_drop_the_ragged_end_and_flip():
    model = models.build_classifier("scratch_resnet18", 2)
    _, top = split_model(model, 1)
    cache = ActivationCache(model, top, torch.device("cpu"))
    x = torch.arange(10 * 2 * 1 * 3, dtype=torch.float16).view(10, 2, 1, 3)
    cache.splits["train_eval"] = (x, torch.zeros(10, dtype=torch.long))
    batches = list(cache.batches(4, torch.Generator().manual_seed(0), flip=1.0))
    assert [len(b[0]) for b in batches] == [4, 4]
    first = batches[0][0]
    assert all(any(torch.equal(row, x[j].float().flip(2)) for j in range(10)) for row in first)


def test_time_budget_stops_on_time_and_ends_at_the_bottom_of_the_schedule(tmp_path: Path):
    table = _colour_split(tmp_path)
    loaders = classify.make_loaders(table, ["blue", "red"], "scratch_resnet18", image_size=32, batch_size=8)
    model = models.build_classifier("scratch_resnet18", 2)
    started = time.perf_counter()
    recipe = classify.FitConfig(epochs=0, max_seconds=1.5)
    result = classify.fit(model, loaders, recipe, torch.device("cpu"), name="t", progress=False)
    assert 1.5 <= time.perf_counter() - started < 120  # the first step alone can take seconds on a busy CPU
    assert result.optimizer_steps > 0 and len(result.history) >= 1
    assert result.history["lr"].iloc[-1] < 1e-3 * 0.05  # annealed, not cut off at the peak
    done = result.history["epoch_done"]  # the share of each epoch trained: the last one may be cut short
    assert (done.iloc[:-1] == 1.0).all() and 0 < done.iloc[-1] <= 1.0
    assert one_cycle_factor(0.0, 0.15) == pytest.approx(1 / 25)
    assert one_cycle_factor(0.15, 0.15) == pytest.approx(1.0)
    assert one_cycle_factor(1.0, 0.15) == pytest.approx(1 / 25e4)


def test_scratch_baseline_gets_the_fine_tune_s_wall_time(tmp_path: Path):
    from artdl.core import load_config

    cfg = load_config("default", ["classify.backbone=scratch_resnet18", "classify.image_size=32"])
    table = _colour_split(tmp_path)
    loaders = classify.make_loaders(table, ["blue", "red"], "scratch_resnet18", image_size=32, batch_size=8)
    fake = classify.FitResult("ft", pd.DataFrame(), 0.5, None, seconds=1.0, config=classify.FitConfig())
    _, result = classify.scratch_baseline(
        cfg, loaders, ["blue", "red"], torch.device("cpu"), tmp_path, fake, False
    )
    assert "same wall time" in (result.budget or "") and 1.0 <= result.seconds < 120
    cfg.classify.scratch.budget = "never"
    with pytest.raises(ValueError, match="budget"):
        classify.scratch_baseline(cfg, loaders, ["blue", "red"], torch.device("cpu"), tmp_path, fake, False)


def test_cache_precision_is_bf16_only_where_the_hardware_has_it(monkeypatch):
    from artdl.classify import cache_precision

    cpu = torch.device("cpu")
    assert cache_precision("fp32", cpu) == "fp32" and cache_precision("bf16", cpu) == "bf16"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU with native bf16 (A100) ...
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert cache_precision("auto", torch.device("cuda")) == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation)
    assert cache_precision("auto", torch.device("cuda")) == "fp32"  # ... and one that only emulates it (T4)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    assert cache_precision("auto", cpu) == "fp32"
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert cache_precision("auto", cpu) == "bf16"
    with pytest.raises(ValueError, match="cache_precision"):
        cache_precision("fp16", cpu)


def test_trunk_pass_and_top_take_their_own_precision(tmp_path: Path, monkeypatch):
    """A 3-stage top trains faster in fp32 on a bf16 CPU while its trunk pass is faster in bf16:
    ``trunk_precision`` reaches the trunk pass, ``cache_precision`` the top, and both are reported."""
    table = _colour_split(tmp_path)
    classes = ["blue", "red"]
    loaders = classify.make_loaders(table, classes, "scratch_resnet18", image_size=32, batch_size=8)
    seen: dict[str, str] = {}
    build = ActivationCache.build.__func__

    def spy(cls, *args, **kwargs):
        seen.update(trunk=kwargs["trunk"], top=kwargs["precision"])
        return build(cls, *args, **kwargs)

    monkeypatch.setattr(ActivationCache, "build", classmethod(spy))
    recipe = classify.FitConfig(epochs=1, head_epochs=1, unfreeze_stages=2, frozen_cache=True,
                                trunk_precision="bf16", cache_precision="fp32")  # fmt: skip
    result = classify.fit(models.build_classifier("scratch_resnet18", 2), loaders, recipe, torch.device("cpu"),
                          progress=False)  # fmt: skip
    assert seen == {"trunk": "bf16", "top": "fp32"}
    assert (result.trunk_precision, result.cache_precision) == ("bf16", "fp32")
    with pytest.raises(ValueError, match="classify.trunk_precision='fp16'"):
        classify.FitConfig(trunk_precision="fp16")


def test_a_time_budget_shows_its_seconds_not_a_count_of_epochs(tmp_path: Path, capsys):
    """The bar of a budgeted run counts the budget's seconds to the end; counting epochs, a run
    stopped inside its first epoch read "0epoch"."""
    table = _colour_split(tmp_path)
    loaders = classify.make_loaders(table, ["blue", "red"], "scratch_resnet18", image_size=32, batch_size=8)
    model = models.build_classifier("scratch_resnet18", 2)
    classify.fit(model, loaders, classify.FitConfig(epochs=0, max_seconds=1.0), torch.device("cpu"), name="t",
                 progress=True)  # fmt: skip
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "1/1" in bar and "s/s" not in bar and "epoch" not in bar, bar
