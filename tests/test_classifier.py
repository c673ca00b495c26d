import dataclasses
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torch import nn

from artdl import models
from artdl.classify import (
    CAM_METHODS,
    FitConfig,
    FitResult,
    comparison_table,
    evaluate,
    explain,
    fit,
    make_loaders,
    most_confused_pairs,
    predict,
    run_seconds,
    save_predictions,
    score_folder,
    scratch_epochs,
    train_head_on_features,
)
from artdl.classify.cam import _normalise_maps, _scorecam_twin
from artdl.models import efficientnet_lite0, efficientnet_lite0_weights_path, remap_state_dict_by_order

from .conftest import colour_split


def rings_image(size: int = 224) -> torch.Tensor:
    """Concentric black-and-white rings, normalised for EfficientNet-Lite0 (mean = std = 0.5)."""
    yy, xx = torch.meshgrid(torch.arange(size) / size, torch.arange(size) / size, indexing="ij")
    rings = torch.floor(torch.sqrt((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * 20) % 2
    return (rings.expand(3, size, size) * 2 - 1)[None].float()


MAZE = 646  # ImageNet class "maze": what a correct ImageNet model sees in concentric rings


@torch.no_grad()
def test_offline_weights_give_a_confident_imagenet_prediction():
    probs = efficientnet_lite0().eval()(rings_image()).softmax(-1)[0]
    assert int(probs.argmax()) == MAZE
    assert float(probs.max()) > 0.4
    random_probs = efficientnet_lite0(pretrained=False).eval()(rings_image()).softmax(-1)[0]
    assert float(random_probs.max()) < 0.15


@torch.no_grad()
def test_wrong_weight_pairing_would_be_caught():
    """Swapping two same-shaped tensors (a plausible pairing bug) breaks the prediction."""
    source = torch.load(efficientnet_lite0_weights_path(), map_location="cpu", weights_only=True)
    keys = [k for k in source if k.endswith("_depthwise_conv.weight") and source[k].shape == (672, 1, 5, 5)]
    assert len(keys) >= 2
    source[keys[0]], source[keys[1]] = source[keys[1]].clone(), source[keys[0]].clone()
    model = efficientnet_lite0(pretrained=False).eval()
    model.load_state_dict(remap_state_dict_by_order(source, model.state_dict()))
    probs = model(rings_image()).softmax(-1)[0]
    assert int(probs.argmax()) != MAZE or float(probs.max()) < 0.4


def test_remap_rejects_shape_mismatch():
    a = {"x": torch.zeros(2), "y": torch.zeros(3)}
    b = {"p": torch.zeros(3), "q": torch.zeros(2)}
    with pytest.raises(ValueError, match="Shape mismatch"):
        remap_state_dict_by_order(a, b)


@pytest.mark.parametrize("name", ["efficientnet_lite0", "scratch", "scratch_resnet18", "scratch_resnet50"])
def test_every_backbone_builds_with_the_right_head(name):
    model = models.build_classifier(name, num_classes=5)
    out = model(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 5)
    assert model.head.out_features == 5
    assert model.pooled(torch.randn(1, 3, 64, 64)).shape == (1, model.num_features)


def test_normalisation_follows_the_backbone():
    assert models.normalization_for("efficientnet_lite0") == ((0.5,) * 3, (0.5,) * 3)
    assert models.normalization_for("scratch_resnet50") == (models.IMAGENET_MEAN, models.IMAGENET_STD)
    with pytest.raises(ValueError, match="Unknown backbone"):
        models.normalization_for("vgg_imaginary")


def test_resnet_loads_a_local_torchvision_weights_file(tmp_path: Path):
    import torchvision

    reference = torchvision.models.resnet18(weights=None)
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    model = models.build_classifier(
        "resnet18", 3, pretrained=True, weights_path=str(tmp_path / "resnet18.pth")
    )
    assert torch.equal(model.features[1][0].conv1.weight, reference.layer1[0].conv1.weight)
    assert model.head.out_features == 3
    with pytest.raises(FileNotFoundError, match="weights_path"):
        models.build_classifier("resnet18", 3, weights_path=str(tmp_path / "missing.pth"))


def test_partial_unfreezing_counts_parameters():
    model = models.build_classifier("scratch", 4)
    head_only = models.set_trainable_stages(model, 0)
    assert head_only == sum(p.numel() for p in model.head.parameters())
    some = models.set_trainable_stages(model, 2)
    everything = models.set_trainable_stages(model, -1)
    assert head_only < some < everything == sum(p.numel() for p in model.parameters())


_colour_split = colour_split  # the toy set shared with test_frozen_trunk


def test_training_smoke_loss_falls_and_checkpoint_round_trips(tmp_path: Path):
    torch.manual_seed(0)
    table = _colour_split(tmp_path)
    classes = ["blue", "red"]
    loaders = make_loaders(table, classes, "scratch_resnet18", image_size=32, batch_size=8)
    model = models.build_classifier("scratch_resnet18", 2)
    ckpt = tmp_path / "best.pt"
    result = fit(
        model,
        loaders,
        FitConfig(epochs=4, lr=3e-3),
        torch.device("cpu"),
        name="smoke",
        checkpoint=ckpt,
        meta={"backbone": "scratch_resnet18", "classes": classes, "image_size": 32},
        progress=False,
    )
    losses = result.history["train_loss"].tolist()
    assert losses[-1] < losses[0]
    assert list(result.history.columns[:6]) == [
        "epoch",
        "phase",
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
    ]
    loaded, meta = models.load_classifier(ckpt)
    assert meta["classes"] == classes and meta["mean"] == models.IMAGENET_MEAN
    x = next(iter(loaders["val"]))[0]
    with torch.no_grad():
        assert torch.allclose(loaded(x), model.eval()(x), atol=1e-5)


def test_precision_names_map_to_autocast_contexts():
    import contextlib

    from artdl.core import autocast

    cpu = torch.device("cpu")
    assert isinstance(autocast(cpu, "auto"), contextlib.nullcontext)  # auto: bf16 on CUDA only
    assert isinstance(autocast(cpu, "fp32"), contextlib.nullcontext)
    with autocast(cpu, "bf16"):
        assert torch.nn.Linear(4, 4)(torch.randn(2, 4)).dtype == torch.bfloat16
    with pytest.raises(ValueError, match="fp16"):
        autocast(cpu, "fp16")


def test_speed_options_train_the_same_model(tmp_path: Path):
    """bf16 + channels_last is a faster way to run the same recipe, not a different result."""
    table = _colour_split(tmp_path)
    classes = ["blue", "red"]
    results = {}
    for precision, channels_last in [("fp32", False), ("bf16", True)]:
        torch.manual_seed(0)
        loaders = make_loaders(table, classes, "scratch_resnet18", image_size=32, batch_size=8)
        model = models.build_classifier("scratch_resnet18", 2)
        recipe = FitConfig(epochs=4, lr=3e-3, precision=precision, channels_last=channels_last)
        result = fit(model, loaders, recipe, torch.device("cpu"), name=precision, progress=False)
        assert result.config.precision == precision and result.config.channels_last == channels_last
        assert (result.history["images_per_s"] > 0).all()
        weight = next(p for p in model.parameters() if p.dim() == 4)
        assert weight.is_contiguous()  # back to the default layout for saving and CAMs
        logits, targets = predict(model, loaders["test"], torch.device("cpu"), "fp32")
        results[precision] = (result.history["train_loss"].tolist(), logits.argmax(1), targets)
    for losses, _, _ in results.values():
        assert losses[-1] < losses[0]
    assert (results["fp32"][1] == results["bf16"][1]).mean() >= 0.75
    with pytest.raises(ValueError, match="classify.precision='fp16': must be one of auto, fp32, bf16"):
        FitConfig(epochs=1, precision="fp16")


def test_compile_wraps_only_the_training_forward(tmp_path: Path, monkeypatch):
    calls = []

    def fake_compile(module):  # inductor would take minutes on a 2-core box; the wiring is the point
        calls.append(module)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    table = _colour_split(tmp_path)
    loaders = make_loaders(table, ["blue", "red"], "scratch_resnet18", image_size=32, batch_size=8)
    model = models.build_classifier("scratch_resnet18", 2)
    fit(model, loaders, FitConfig(epochs=1, compile=True), torch.device("cpu"), name="c", progress=False)
    assert calls == [model]
    calls.clear()
    fit(model, loaders, FitConfig(epochs=1), torch.device("cpu"), name="c", progress=False)
    assert calls == []


def test_load_classifier_missing_file_says_which_notebook(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="02_classify"):
        models.load_classifier(tmp_path / "nope.pt")


def test_head_on_features_learns_a_separable_problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 8, generator=g)
    y = (x[:, 0] > 0).long()
    head = nn.Linear(8, 2)
    losses = train_head_on_features(head, x, y, epochs=50, lr=0.1, label_smoothing=0.0)
    assert losses[-1] < 0.3 * losses[0]
    assert float((head(x).argmax(1) == y).float().mean()) > 0.95


def test_evaluate_and_confused_pairs_on_known_predictions():
    classes = ["a", "b", "c"]
    targets = np.array([0, 0, 1, 1, 2, 2])
    logits = np.eye(3)[[0, 1, 1, 1, 0, 2]] + 0.01 * np.arange(3)  # a->b once, c->a once
    metrics = evaluate(logits, targets, classes)
    assert metrics["top1"] == pytest.approx(4 / 6)
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert metrics["per_class_accuracy"] == {"a": 0.5, "b": 1.0, "c": 0.5}
    pairs = most_confused_pairs(metrics["confusion_matrix"], classes)
    assert set(zip(pairs["true"], pairs["predicted"])) == {("a", "b"), ("c", "a")}


# ---------------------------------------------------------------------------- explanations
def _toy_classifier() -> models.Classifier:
    features = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU()
    )
    return models.Classifier(
        features, 32, 2, stages=[features[0], features[2]], cam_layer=features[3], dropout=0.0
    )


def _square_batch(
    n: int, g: torch.Generator, size: int = 32, side: int = 8
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Noise images; class 1 has a bright square at a random place (its mask is returned)."""
    x = 0.3 * torch.randn(n, 3, size, size, generator=g)
    y = torch.randint(0, 2, (n,), generator=g)
    mask = torch.zeros(n, size, size, dtype=torch.bool)
    for i in range(n):
        if y[i]:
            r, c = torch.randint(0, size - side, (2,), generator=g).tolist()
            x[i, :, r : r + side, c : c + side] += 2.0
            mask[i, r : r + side, c : c + side] = True
    return x, y, mask


@pytest.fixture(scope="module")
def trained_toy() -> models.Classifier:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    model = _toy_classifier()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        x, y, _ = _square_batch(32, g)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.mark.parametrize("method", ["cam", "gradcam", "gradcam++"])
def test_explanation_mass_falls_in_the_decisive_region(trained_toy, method):
    g = torch.Generator().manual_seed(1)
    x, y, mask = _square_batch(64, g)
    keep = y == 1
    x, mask = x[keep][:16], mask[keep][:16]
    maps = explain(trained_toy, x, method, targets=[1] * len(x))
    inside = (maps * mask.numpy()).sum((1, 2)) / maps.sum((1, 2))
    area = mask[0].float().mean().item()  # 64 / 1024 of the image
    assert np.median(inside) > 4 * area, (
        f"{method}: median mass inside {np.median(inside):.2f} vs area {area:.2f}"
    )


@pytest.mark.parametrize("method", CAM_METHODS)
def test_explanations_have_shape_range_and_are_deterministic(method):
    model = models.build_classifier("scratch", 3).eval()
    x = torch.randn(2, 3, 64, 64)
    a = explain(model, x, method, batch_size=256)
    b = explain(model, x, method, batch_size=256)
    assert a.shape == (2, 64, 64)
    assert a.min() >= 0 and a.max() <= 1 + 1e-6
    np.testing.assert_allclose(a, b, atol=1e-5)


def _with_random_norm_statistics(model: torch.nn.Module) -> torch.nn.Module:
    """Non-trivial batch-norm statistics, so folding them into the convolutions changes weights."""
    g = torch.Generator().manual_seed(3)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
            m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g))
    return model.eval()


def test_scorecam_twin_gives_the_maps_of_the_model_itself():
    """The folded fp32 twin reproduces Score-CAM on the original model; bf16 stays close to it."""
    from pytorch_grad_cam import ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model = _with_random_norm_statistics(models.build_classifier("scratch", 3))
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    twin, layer = _scorecam_twin(model)
    assert layer is not model.cam_layer and twin is not model  # folded: the CAM layer was replaced
    with ScoreCAM(model, [model.cam_layer]) as cam:
        cam.batch_size = 256
        plain = cam(input_tensor=x, targets=[ClassifierOutputTarget(t) for t in (0, 2)])
    fp32 = explain(model, x, "scorecam", targets=[0, 2], batch_size=256, precision="fp32")
    np.testing.assert_allclose(fp32, _normalise_maps(torch.from_numpy(plain)).numpy(), atol=2e-3)
    bf16 = explain(model, x, "scorecam", targets=[0, 2], batch_size=256, precision="bf16")
    for a, b in zip(fp32, bf16, strict=True):
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.95


def test_explain_picks_the_layer_for_resnets_too():
    model = models.build_classifier("scratch_resnet18", 2).eval()
    maps = explain(model, torch.randn(1, 3, 64, 64), "gradcam")
    assert maps.shape == (1, 64, 64) and math.isfinite(float(maps.sum()))
    with pytest.raises(ValueError, match="Unknown explanation method"):
        explain(model, torch.randn(1, 3, 64, 64), "lime")


@pytest.mark.integration
def test_classify_notebook_runs_at_tiny_settings(isolated_root: Path, impressionists_root: Path):
    import json

    import nbformat

    from .conftest import execute_notebook

    out = execute_notebook(
        isolated_root,
        "02",
        [
            "classify.dataset=wikiart_impressionists",
            "classify.image_size=48",
            "classify.head_epochs=5",
            "classify.epochs=1",
            "classify.explain.n_images=1",
            "classify.explain.methods=[cam,gradcam]",
        ],
    )
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    metrics = json.loads((isolated_root / "results" / "02_classify.json").read_text())
    assert metrics["schema_version"] == 4
    scratch = "from scratch, same time"
    assert set(metrics["models"]) == {"fine-tune", "fine-tune, last epoch", "linear probe", scratch}
    # The default baseline gets the fine-tune's wall time (the fine-tune trains a cached top).
    assert metrics["recipe"]["frozen_cache"] and metrics["recipe"]["scratch_budget"] == "time"
    assert metrics["seconds"][scratch] >= 0.9 * metrics["seconds"]["fine-tune"]
    [run] = metrics["scratch_runs"]
    assert run["budget"] == "time" and run["label"].startswith("same ") and run["model"] == scratch
    assert metrics["models"]["fine-tune"]["n"] == metrics["task"]["n"]["test"]
    assert len(metrics["models"]["fine-tune"]["hits"]) == metrics["task"]["n"]["test"]
    assert set(metrics["paired"]) == {"fine-tune vs linear probe", f"fine-tune vs {scratch}"}
    assert {t["family"] for t in metrics["paired"].values()} == {2}  # one Bonferroni family
    predictions = pd.read_csv(isolated_root / "models" / "classifier" / "predictions.csv")
    assert len(predictions) == metrics["task"]["n"]["test"]
    for name in ("confusion_matrix", "comparison", "training_history", "cam_correct"):
        assert (isolated_root / "images" / "02_classify" / f"{name}.png").is_file()


# ---------------------------------------------------------------------------- issue 14 additions
def test_evaluate_has_wilson_intervals_and_top3_only_where_informative():
    rng = np.random.default_rng(0)
    targets = np.repeat(np.arange(7), 20)
    logits = rng.normal(size=(140, 7))
    logits[np.arange(140), targets] += 1.5
    m7 = evaluate(logits, targets, [f"s{i}" for i in range(7)])
    assert m7["top1_ci"][0] < m7["top1"] < m7["top1_ci"][1]
    assert m7["top1"] <= m7["top3"] and m7["top3_ci"][0] < m7["top3"] < m7["top3_ci"][1]
    assert m7["chance_top1"] == pytest.approx(1 / 7) and m7["chance_top3"] == pytest.approx(3 / 7)
    hits3 = (np.argsort(-logits, 1)[:, :3] == targets[:, None]).any(1).mean()
    assert m7["top3"] == pytest.approx(hits3)
    m4 = evaluate(logits[:80, :4], targets[:80] % 4, ["a", "b", "c", "d"])
    assert "top3" not in m4 and "top1_ci" in m4
    pc = m7["per_class"]["s0"]
    assert set(pc) == {"precision", "recall", "f1", "support"} and pc["support"] == 20
    assert pc["recall"] == pytest.approx(m7["per_class_accuracy"]["s0"])


def _trained_colour_model(tmp_path: Path) -> tuple[Path, pd.DataFrame, FitResult, dict]:
    torch.manual_seed(0)
    table = _colour_split(tmp_path)
    classes = ["blue", "red"]
    loaders = make_loaders(table, classes, "scratch_resnet18", image_size=32, batch_size=8)
    model = models.build_classifier("scratch_resnet18", 2)
    ckpt = tmp_path / "best.pt"
    result = fit(
        model, loaders, FitConfig(epochs=2, head_epochs=3, lr=3e-3), torch.device("cpu"), name="t",
        checkpoint=ckpt, meta={"backbone": "scratch_resnet18", "classes": classes, "image_size": 32},
        progress=False, probe_classes=classes,
    )  # fmt: skip
    return ckpt, table, result, loaders


def test_fit_reports_kept_epoch_and_optimizer_steps(tmp_path: Path):
    _, table, result, loaders = _trained_colour_model(tmp_path)
    assert result.optimizer_steps == 2 * len(loaders["train"]) and result.batch_size == 8
    kept = result.kept
    assert kept["val_acc"] == result.best_val_acc
    assert kept["epoch"] in result.history["epoch"].tolist()
    assert set(result.linear_probe or {}) >= {"top1", "top1_ci", "per_class"}
    assert result.last_epoch is not None and result.test_scores is not None


def test_score_folder_prints_top1_and_per_class_and_skips_unknown_labels(tmp_path: Path, capsys):
    (tmp_path / "train").mkdir()
    ckpt, table, _, _ = _trained_colour_model(tmp_path / "train")
    folder = tmp_path / "held_out"
    rng = np.random.default_rng(1)
    for label, base in (("red", (200, 40, 40)), ("blue", (40, 40, 200)), ("green", (40, 200, 40))):
        (folder / label).mkdir(parents=True)
        for i in range(3):
            arr = np.clip(np.array(base) + rng.normal(0, 25, (40, 40, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(arr).save(folder / label / f"{i}.png")
    result = score_folder(ckpt, folder)
    out = capsys.readouterr().out
    assert "top-1" in out and "blue:" in out and "red:" in out and "green" in out
    assert result["n"] == 6 and result["skipped_labels"] == ["green"]
    assert "top3" not in result  # two classes: top-3 says nothing
    with pytest.raises(Exception, match="model's classes"):
        empty = tmp_path / "other"
        (empty / "cubism").mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(empty / "cubism" / "a.png")
        score_folder(ckpt, empty, verbose=False)


def test_save_predictions_writes_probabilities(tmp_path: Path):
    table = pd.DataFrame({"path": [str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg")]})
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 3.0]])
    path = save_predictions(tmp_path / "p.csv", table, logits, np.array([0, 1]), ["x", "y", "z"])
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["path", "true", "predicted", "p_x", "p_y", "p_z"]
    assert frame["predicted"].tolist() == ["x", "z"] and frame["true"].tolist() == ["x", "y"]
    assert np.allclose(frame[["p_x", "p_y", "p_z"]].sum(axis=1), 1, atol=1e-4)


def test_scratch_epochs_default_to_the_fine_tune_s():
    from omegaconf import OmegaConf

    c = OmegaConf.create({"epochs": 3, "scratch": {"epochs": 0}})
    assert scratch_epochs(c) == 3
    c.scratch.epochs = 5
    assert scratch_epochs(c) == 5


# ---------------------------------------------------------------------------- report
@pytest.fixture
def report_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root with the real configs and no results: nothing committed leaks into a report test."""
    monkeypatch.setenv("ARTDL_ROOT", str(tmp_path))
    (tmp_path / "configs").symlink_to(Path(__file__).resolve().parents[1] / "configs")
    (tmp_path / "src").mkdir()
    return tmp_path


def test_report_findings_are_computed_from_the_record(report_root: Path):
    from artdl.report import classify

    from .record_samples import classification_sample as _record

    text = classify.findings(_record())
    assert "fine-tuning epoch 2 of 2" in text and "0.612" in text
    assert "(top-1 0.600 [0.570, 0.629] vs 0.500 [0.470, 0.530])" in text
    assert "fine-tune beats linear probe in test top-1 by +0.100 (McNemar exact p = 4.93e-32; 105 vs 0" in text
    assert "intervals" not in text  # the paired test decides, not whether two intervals overlap
    assert "at equal wall time (same 100 s, 30 steps" in text and "the fine-tune took 306 steps" in text
    assert "fine-tune beats from scratch, same time in test top-1 by +0.300 (McNemar exact p = " in text
    assert "Impressionism → c: 31 test paintings, 20.7% of all Impressionism" in text
    assert "9 groups of look-alikes (18 images" in text
    assert "341 s" in text
    # the cached fine-tune's two precisions, as resolved, in the README's run line
    assert "on the frozen trunk's cached activations (trunk pass in bf16, top in fp32)" in classify.readme(_record())["classify"]
    # a different number gives a different text: nothing is typed by hand
    assert "0.610 [" in classify.findings(_record(tuned=0.61))


def test_report_says_no_measurable_difference_when_mcnemar_says_so(report_root: Path):
    from artdl.report import classify

    from .record_samples import classification_sample as _record

    record = _record(kept_phase="head", tuned=0.5, probe=0.5, shift=20)  # 20 vs 20 discordant paintings
    test = record.paired["fine-tune vs linear probe"]
    assert (test.a_only, test.b_only, test.n, test.significant) == (20, 20, 1050, False)
    text = classify.findings(record)
    assert "head-only epoch 0" in text
    assert "no measurable difference in test top-1 (fine-tune − linear probe = +0.000; McNemar exact p = 1; " in text
    assert "beats linear probe" not in text and "linear probe beats" not in text
    readme = classify.readme(record)["classify"]
    assert "| linear probe | 10 head ep. | 0.500 [0.470, 0.530] | 0.900 [0.880, 0.917] | 0.490 | +0.000, p = 1 (n.s.) |" in readme
    assert "no measurable difference in test top-1" in readme


def test_the_fine_tune_s_comparisons_are_one_bonferroni_family():
    """p = 0.036 passes a lone test at 5%, but not as one of two comparisons stated together."""
    from artdl.classify import paired_tests
    from artdl.core import StatsConfig

    both_right, both_wrong = ["1"] * 500, ["0"] * 455
    tuned = "".join(["1"] * 30 + ["0"] * 15 + both_right + both_wrong)
    probe = "".join(["0"] * 30 + ["1"] * 15 + both_right + both_wrong)
    metrics = {"fine-tune": {"hits": tuned}, "linear probe": {"hits": probe}}
    alone = paired_tests(metrics, StatsConfig())["fine-tune vs linear probe"]
    assert alone.family == 1 and alone.significant and alone.p_value == pytest.approx(0.0357, abs=1e-4)
    tests = paired_tests({**metrics, "from scratch, same time": {"hits": "0" * 1000}}, StatsConfig())
    versus_probe = tests["fine-tune vs linear probe"]
    assert versus_probe.family == 2 and versus_probe.alpha == pytest.approx(0.025) and not versus_probe.significant
    sentence = versus_probe.verdict().sentence
    assert sentence.startswith("no measurable difference") and "Bonferroni alpha = 0.025 for 2 comparisons" in sentence
    assert tests["fine-tune vs from scratch, same time"].significant  # p ~ 1e-160 passes any family
    # a third baseline stated beside them shares the 5% three ways; the p-value does not change
    third = versus_probe.within(3)
    assert third.alpha == pytest.approx(0.05 / 3) and third.p_value == versus_probe.p_value and third.family == 3


def test_record_keeps_hits_and_mcnemar_fields_through_its_file(report_root: Path):
    from artdl.classify import ClassificationRecord
    from artdl.core import load_record, mcnemar_exact, write_results

    from .record_samples import classification_sample as _record

    record = _record(shift=7)
    write_results(record)
    loaded = load_record(ClassificationRecord)
    hits = {name: [h == "1" for h in m.hits or ""] for name, m in loaded.models.items()}
    assert len(hits["fine-tune"]) == loaded.models["fine-tune"].n == 1050
    again = mcnemar_exact(hits["fine-tune"], hits["linear probe"])  # recomputed from the stored hits
    test = loaded.paired["fine-tune vs linear probe"]
    assert (test.a_only, test.b_only) == (again.a_only, again.b_only) == (105, 0)
    assert test.p_value == pytest.approx(again.p_value) and test.significant and test.family == 2  # probe and scratch: one family, through the file


def test_evaluate_lists_each_painting_s_hit_in_loader_order():
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    assert evaluate(logits, np.array([0, 0, 0]), ["a", "b"])["hits"] == "101"


def test_scratch_budget_accepts_time_steps_or_both_only():
    from omegaconf import OmegaConf

    from artdl.classify import scratch_baseline, scratch_budgets

    c = OmegaConf.create({"epochs": 3, "scratch": {"budget": "time", "epochs": 0}})
    assert scratch_budgets(c) == ("time",)
    c.scratch.budget = "both"
    assert scratch_budgets(c) == ("time", "steps")
    c.scratch.budget = "steps"
    assert scratch_budgets(c) == ("steps",)
    c.scratch.budget = "equal"
    with pytest.raises(ValueError, match="classify.scratch.budget='equal': use time, steps or both"):
        scratch_budgets(c)
    cfg = OmegaConf.create({"classify": {"scratch": {"budget": "both"}}})
    with pytest.raises(ValueError, match="one run takes time or steps"):  # before anything is built
        scratch_baseline(cfg, {}, ["a"], torch.device("cpu"), ".", None, False)


def test_both_budgets_give_one_named_row_each(report_root: Path):
    from artdl.report import classify

    from .record_samples import classification_sample as _record

    record = _record(budget="both")
    assert [(r.budget, r.model, r.steps, r.label) for r in record.scratch_runs] == [
        ("time", "from scratch, same time", 30, "same 100 s, 30 steps"),
        ("steps", "from scratch, same steps", 306, "same 306 steps, 100 s"),
    ]
    section = classify.readme(record)["classify"]
    assert "| CPU default | from scratch, same time | same 100 s, 30 steps | 0.300 [" in section
    assert "| CPU default | from scratch, same steps | same 306 steps, 100 s | 0.450 [" in section
    text = classify.findings(record)
    assert "ImageNet pretraining, at equal optimizer steps: fine-tune beats from scratch, same steps" in text
    assert "ImageNet pretraining, at equal wall time: fine-tune beats" in text
    assert "not measured yet" not in text


def test_report_says_the_equal_steps_baseline_is_not_measured_yet_then_reads_it(report_root: Path):
    import sys

    from artdl.core import load_config, write_results
    from artdl.report import classify

    from .record_samples import _fit, _scores
    from .record_samples import classification_sample as _record

    record = _record()
    line = (
        "qual-steps baseline: not measured yet (run `python benchmarks/run_scratch_steps.py`, "
        "about 25 min on a 2-core CPU)"
    )
    assert line in classify.findings(record) and line in classify.readme(record)["classify"]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import run_scratch_steps

    steps = run_scratch_steps.steps_record(load_config(), record, _fit("from scratch, same steps", 306), _scores(0.55))
    write_results(steps, config_name="scratch_steps")
    text = classify.findings(record)
    assert "not measured yet" not in text
    assert "From scratch at equal optimizer steps (same 306 steps, 100 s, `benchmarks/run_scratch_steps.py`" in text
    assert "ImageNet pretraining at equal optimizer steps: fine-tune beats from scratch, same steps in test top-1 by +0.050" in text
    assert "| CPU default | from scratch, same steps | same 306 steps, 100 s | 0.550 [" in classify.readme(record)["classify"]
    # stated beside the record's own two tests, it makes a family of three: alpha 0.05 / 3 for each
    assert text.count("Bonferroni alpha = 0.0167 for 3 comparisons") == 3
    # A baseline that matched another fine-tune's steps, or another split, is not paired with this one.
    from dataclasses import replace

    write_results(replace(steps, finetune_steps=612), config_name="scratch_steps")
    text = classify.findings(record)
    assert "not comparable with this run: it matched a fine-tune of 612 steps, this one took 306" in text
    assert "at equal optimizer steps: fine-tune beats" not in text
    assert "same steps" not in classify.readme(record)["classify"]
    write_results(steps, load_config(), config_name="scratch_steps")  # stamped with data.split (seed 42)
    mine = replace(record, provenance=replace(record.provenance, settings={"data": {"split": {"seed": 43}}}))
    assert "its train/val/test split (data.split) is not this run's" in classify.findings(mine)


def test_seeds_line_is_rendered_from_the_benchmark_s_results_file(report_root: Path):
    import json

    from artdl.report import classify

    from .record_samples import classification_sample as _record

    assert "Spread over training seeds: not measured yet (run `python benchmarks/bench_seeds.py`)." in (
        classify.readme(_record())["classify"]
    )
    rows = [{"seed": s, "fine-tune top-1": t, "linear probe top-1": p}
            for s, t, p in ((0, 0.57, 0.49), (1, 0.58, 0.51), (2, 0.59, 0.53))]  # fmt: skip
    (report_root / "benchmarks" / "results").mkdir(parents=True)
    seeds_file = report_root / "benchmarks" / "results" / "02_seeds.json"
    seeds_file.write_text(json.dumps({"rows": rows[:1]}))  # stopped after one seed: no spread to show
    assert "not measured yet (seed 0: fine-tune 0.570, probe 0.490;" in classify.readme(_record())["classify"]
    seeds_file.write_text(json.dumps({"rows": rows}))
    section = classify.readme(_record())["classify"]
    assert "3 seeds (0, 1, 2; `benchmarks/bench_seeds.py`, mean ± sd of test top-1): fine-tune 0.580 ± 0.010, probe 0.510 ± 0.020." in section
    assert "draws" not in section
    split_rows = [{**row, "split seed": 42} for row in rows] + [
        {"split seed": 43, "seed": 0, "fine-tune top-1": 0.53, "linear probe top-1": 0.47},
        {"split seed": 44, "seed": 0, "fine-tune top-1": 0.55, "linear probe top-1": 0.51},
    ]
    seeds_file.write_text(json.dumps({"rows": split_rows}))
    section = classify.readme(_record())["classify"]
    assert "fine-tune 0.580 ± 0.010, probe 0.510 ± 0.020." in section  # training seeds: split 42 only
    assert ("Over 3 train/val/test draws (`data.split.seed` 42, 43, 44, training seed 0): fine-tune 0.550 ± 0.020, "
            "probe 0.490 ± 0.020 (range 0.530-0.570).") in section  # fmt: skip


def test_report_readme_table_has_intervals_and_the_full_run(report_root: Path):
    from artdl.core import write_results
    from artdl.report import classify

    from .record_samples import classification_sample as _record

    assert "full" not in classify.readme(_record())["classify"].split("\n")[2]
    write_results(_record(tuned=0.66), config_name="full")
    section = classify.readme(_record())["classify"]
    assert "| CPU default | fine-tune | 2 ep. (306 steps) | 0.600 [0.570, 0.629] | 0.900 [" in section
    assert "| full | fine-tune | 2 ep. (306 steps) | 0.660 [" in section
    assert "| CPU default | from scratch, same time | same 100 s, 30 steps | 0.300 [" in section
    assert "| 0.290 | +0.300, p = " in section  # McNemar's p beside the baseline
    stamped = dataclasses.replace(_record().provenance, hardware="CPU (2 cores, x86_64)", date="2026-12-01T08:00")
    assert "CPU (2 cores, x86_64), 2026-12-01, 341 s" in classify.readme(dataclasses.replace(_record(), provenance=stamped))["classify"]


def test_training_history_names_a_short_run_beside_a_visible_marker():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from artdl import viz

    from .test_figure_layout import HISTORY, _check

    short = pd.DataFrame({"epoch": [1], "train_loss": [1.9], "val_loss": [1.8], "val_acc": [0.28], "epoch_done": [0.7]})
    fig = viz.training_history({"fine-tune": HISTORY, "from scratch, same time": short},
                               {"from scratch, same time": "same 103 s, 43 steps"})  # fmt: skip
    try:
        ax_acc = fig.axes[1]
        [named] = [t for t in ax_acc.texts if "43 steps" in t.get_text()]
        assert "from scratch" in named.get_text()
        [marker] = [line for line in ax_acc.get_lines() if len(line.get_xdata()) == 1]
        assert marker.get_markersize() >= 8 and marker.get_marker() == "D"
        assert list(marker.get_xdata()) == [pytest.approx(0.7)]  # 0.7 of an epoch, where it stopped
        assert any("43 steps" in t.get_text() for t in fig.legends[0].get_texts())
        assert not _check(fig)  # readable, nothing overlapping
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("classify.epochs=-1", "classify.epochs=-1: must be an integer >= 1"),
        ("classify.warmup=1.5", "classify.warmup=1.5: must be"),
        ("classify.grad_accum=0", "classify.grad_accum=0: must be an integer >= 1"),
        ("classify.unfreeze_stages=0", "classify.frozen_cache=true needs classify.unfreeze_stages > 0"),
    ],
)
def test_fit_config_fails_when_built_naming_the_key_and_its_range(override: str, message: str):
    from artdl.core import load_config

    key, value = override.split("=")
    with pytest.raises(ValueError, match=re.escape(message)):
        # built by hand, as a test or a script would: the same table as load_config's check
        FitConfig.from_cfg(load_config("default").classify, **{key.split(".")[1]: float(value) if "." in value else int(value)})


def test_fit_config_reads_every_recipe_key_of_the_config():
    from artdl.core import load_config

    cfg = load_config("default", ["classify.epochs=7", "classify.lr=0.5", "classify.grad_accum=2"])
    recipe = FitConfig.from_cfg(cfg.classify, seed=cfg.seed)
    assert (recipe.epochs, recipe.lr, recipe.grad_accum, recipe.seed) == (7, 0.5, 2, cfg.seed)
    assert recipe.frozen_cache is cfg.classify.frozen_cache and recipe.head_epochs == cfg.classify.head_epochs
    assert recipe.replace(epochs=1).epochs == 1 and recipe.epochs == 7  # frozen: a copy
    with pytest.raises(ValueError, match="classify.lr"):
        recipe.replace(lr=0.0)


# --------------------------------------------------------------------------------------------
# Stratified vs artist-disjoint split (classify.split_comparison)
# --------------------------------------------------------------------------------------------
def test_split_score_counts_test_paintings_by_artists_seen_in_train():
    from artdl.classify import split_score

    table = pd.DataFrame({
        "artist": ["monet", "monet", "morisot", "Unknown Artist", "Unknown Artist", "", "degas"],
        "split": ["train", "test", "train", "train", "test", "test", "test"],
    })  # fmt: skip
    score = split_score(table, {"top1": 0.5, "top1_ci": [0.2, 0.8]}, "none")
    # monet is seen; the unknown artist is nobody in particular even though train has one; "" and degas are not
    assert score.split == "stratified" and (score.n_train, score.n_test) == (3, 4)
    assert score.test_artist_seen == pytest.approx(1 / 4) and (score.top1_low, score.top1_high) == (0.2, 0.8)


def test_split_comparison_findings_use_newcombes_unpaired_interval(report_root: Path):
    import dataclasses

    from artdl.classify import SplitComparison, SplitScore
    from artdl.core import difference_of_proportions
    from artdl.report import classify

    from .record_samples import classification_sample as _record

    def score(split, group_by, seen, hits, n):
        return SplitScore(split=split, group_by=group_by, n_train=4 * n, n_test=n, test_artist_seen=seen,
                          top1=hits / n, top1_low=0.0, top1_high=1.0)  # fmt: skip

    def compare(hits_a, hits_b, n=500):
        d = difference_of_proportions(hits_a, n, hits_b, n)
        scores = [score("stratified", "none", 0.97, hits_a, n), score("artist-disjoint", "artist", 0.0, hits_b, n)]
        return SplitComparison(scores=scores, difference=d.value, low=d.low, high=d.high, confidence=0.95)

    assert "not compared in this run" in classify.findings(_record())
    text = classify.findings(dataclasses.replace(_record(), split_comparison=compare(330, 260)))
    assert "stratified 0.660 [" in text and "(n = 500, 97% of test paintings by an artist seen in train)" in text
    assert "The stratified split beats the artist-disjoint split in test top-1 by +0.140 [" in text
    assert "Newcombe interval, two test splits, n = 1000" in text
    close = classify.findings(dataclasses.replace(_record(), split_comparison=compare(300, 295)))
    assert "No measurable difference in test top-1 (the stratified split − the artist-disjoint split = +0.010" in close


def test_newcombe_interval_matches_the_published_example():
    from artdl.core import difference_of_proportions

    d = difference_of_proportions(56, 70, 48, 80)  # Newcombe (1998), Table II, example (a), method 10
    assert (round(d.value, 4), round(d.low, 4), round(d.high, 4)) == (0.2, 0.0524, 0.3339)
    assert d.excludes_reference and not difference_of_proportions(5, 10, 4, 10).excludes_reference
    with pytest.raises(ValueError, match="at least one item"):
        difference_of_proportions(0, 0, 1, 2)


def test_a_separately_run_baseline_is_paired_with_the_fine_tune_shown():
    """The equal-steps baseline is paired with whichever fine-tune record the README renders, on the
    same test paintings, and not at all when the two runs scored different test sets."""
    from artdl.classify import pair_with_finetune

    from .record_samples import classification_sample

    tuned = classification_sample().models["fine-tune"]
    n = len(tuned.hits)
    flipped = "".join("0" if h == "1" else "1" for h in tuned.hits)  # right exactly where the fine-tune is wrong
    baseline = dataclasses.replace(tuned, hits=flipped)
    test = pair_with_finetune(tuned, baseline, "from scratch, same steps")
    assert (test.a_only, test.b_only, test.n) == (tuned.hits.count("1"), tuned.hits.count("0"), n)
    assert test.b == "from scratch, same steps"
    assert pair_with_finetune(tuned, dataclasses.replace(tuned, hits=flipped[:-1]), "x") is None
    assert pair_with_finetune(tuned, dataclasses.replace(tuned, hits=None), "x") is None


def test_readme_summary_gives_every_accuracy_of_02_with_its_interval():
    """The summary row said "from scratch (...) 0.300" beside intervals for the fine-tune and probe."""
    from artdl.report.summary import _classify

    from .record_samples import classification_sample

    row = _classify(classification_sample())
    assert "0.300 [0.273, 0.328]" in row[3]


def test_comparison_table_shows_intervals_and_drops_an_unrecorded_top3():
    with_top3 = {"fine-tune": {"top1": 0.6, "top1_ci": (0.55, 0.65), "top3": 0.9, "top3_ci": (0.88, 0.92),
                               "macro_f1": 0.5912}}  # fmt: skip
    table = comparison_table(with_top3)
    assert table.loc["fine-tune", "test top-1 [95% CI]"] == "0.600 [0.550, 0.650]"
    assert table.loc["fine-tune", "macro-F1"] == 0.591
    without = {"probe": {"top1": 0.5, "top1_ci": (0.4, 0.6), "macro_f1": 0.4}}
    assert "test top-3 [95% CI]" not in comparison_table(without).columns
    fits = {"time": SimpleNamespace(name="from scratch, same time", seconds=12.0)}
    assert run_seconds(SimpleNamespace(seconds=30.0), fits) == {"fine-tune": 30.0, "from scratch, same time": 12.0}
