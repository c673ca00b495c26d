import numpy as np
import pytest
import torch

from artdl import autoencode, models
from artdl.autoencode import knn_label_accuracy, tsne_2d


def test_knn_accuracy_separates_informative_from_random_codes():
    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], 40)
    informative = np.eye(3)[np.repeat([0, 1, 2], 40)] + rng.normal(0, 0.1, (120, 3))
    noise = rng.normal(size=(120, 3))
    train = np.arange(120) % 4 != 0
    good = knn_label_accuracy(informative, labels, train, ~train)
    bad = knn_label_accuracy(noise, labels, train, ~train)
    assert good["accuracy"] > 0.95 and bad["accuracy"] < 0.6
    assert good["chance"] == pytest.approx(1 / 3) and good["n_test"] == 30
    with pytest.raises(ValueError, match="at least k"):
        knn_label_accuracy(noise, labels, np.zeros(120, bool), ~train)


def test_tsne_caps_perplexity_for_small_sets():
    xy = tsne_2d(np.random.default_rng(0).normal(size=(10, 5)), perplexity=30, iterations=250)
    assert xy.shape == (10, 2) and np.isfinite(xy).all()


def test_interpolation_starts_and_ends_at_the_two_codes():
    torch.manual_seed(0)
    model = models.ConvAutoencoder(32, 8, [8, 16], kind="swae").eval()
    a, b = torch.randint(0, 255, (2, 3, 32, 32), dtype=torch.uint8)
    walk = autoencode.interpolate(model, a, b, steps=5)
    assert walk.shape == (5, 3, 32, 32)
    with torch.no_grad():
        ends = model.decode(model.encode(torch.stack([a, b]).float() / 255)).float()
    assert torch.allclose(walk[0], ends[0], atol=1e-5) and torch.allclose(walk[-1], ends[1], atol=1e-5)
    hwc = autoencode.to_hwc(walk)
    assert len(hwc) == 5 and hwc[0].shape == (32, 32, 3) and 0 <= hwc[0].min() <= hwc[0].max() <= 1


# --- the autoencoders' config object and the SWAE loss under autocast ---------------------------
def test_autoencoder_config_defaults_are_the_default_config():
    from artdl.core import load_config

    assert autoencode.AutoencoderConfig.from_cfg(load_config().autoencode) == autoencode.AutoencoderConfig()
    a = load_config("default", ["autoencode.swae_projections=16", "autoencode.swae_prior=uniform"]).autoencode
    config = autoencode.AutoencoderConfig.from_cfg(a, epochs=2)
    assert (config.projections, config.prior, config.epochs) == (16, "uniform", 2)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", -1, "autoencode.epochs=-1: must be an integer >= 1"),
        ("batch_size", 0, "autoencode.batch_size=0: must be an integer >= 1"),
        ("lr", 0.0, "autoencode.lr=0.0: must be a number > 0"),
        ("mask_prob", 1.5, "autoencode.mask_prob=1.5: must be a number in [0, 1]"),
        ("projections", 0, "autoencode.swae_projections=0: must be an integer >= 1"),
        ("swae_weight", -0.1, "autoencode.swae_weight=-0.1: must be a number >= 0"),
    ],
)
def test_autoencoder_config_names_the_key_and_the_range(field: str, value, message: str):
    from artdl.core import ConfigRangeError

    with pytest.raises(ConfigRangeError) as err:
        autoencode.AutoencoderConfig(**{field: value})
    assert str(err.value) == message


def test_fit_from_config_trains_with_the_section_it_is_given():
    from artdl.core import load_config

    cfg = load_config("default", ["autoencode.image_size=32", "autoencode.channels=[8,16]", "autoencode.latent_dim=8",
                                  "autoencode.bottleneck=flat", "autoencode.epochs=2", "autoencode.batch_size=8"])  # fmt: skip
    images = (torch.rand(20, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
    train, val = torch.arange(20) >= 4, torch.arange(20) < 4
    torch.manual_seed(0)
    model, history = autoencode.fit_from_config("swae", images, train, val, cfg, "cpu")
    assert model.kind == "swae" and model.latent_dim == 8
    assert len(history["train_loss"]) == 2 and len(history["train_swd"]) == 2
    torch.manual_seed(0)
    again = models.ConvAutoencoder(32, 8, [8, 16], kind="swae")
    config = autoencode.AutoencoderConfig.from_cfg(cfg.autoencode)
    direct = autoencode.train_autoencoder(
        again, images[train], images[val], config, seed=cfg.seed, progress=False
    )
    timing = ("epoch_seconds",)  # wall time differs between any two runs
    assert {k: v for k, v in direct.items() if k not in timing} == {
        k: v for k, v in history.items() if k not in timing
    }  # the one-call entry is exactly the config object's training


def test_sliced_wasserstein_is_fp32_under_bf16_autocast():
    """On CUDA the SWAE loss runs inside bf16 autocast; its projections must not (issue #23)."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(256, 16, generator=g).bfloat16()  # what the encoder hands over under autocast
    prior = torch.randn(256, 16, generator=g)
    fp32 = autoencode.sliced_wasserstein(z.float(), prior, 64, generator=torch.Generator().manual_seed(3))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = autoencode.sliced_wasserstein(z, prior, 64, generator=torch.Generator().manual_seed(3))
    assert mixed.dtype == torch.float32
    assert mixed.item() == pytest.approx(fp32.item(), rel=1e-6, abs=0)


# --- the probe's per-painting output, the paired comparison, the record and its sentence -------
def _probe_pair(n: int = 120, flip: int = 0) -> tuple[dict, dict]:
    """Two kNN results on the same ``n`` test paintings; the second is wrong on ``flip`` more of them."""
    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], n // 3 * 2)
    codes = np.eye(3)[np.repeat([0, 1, 2], n // 3 * 2)] + rng.normal(0, 0.05, (2 * n, 3))
    train = np.arange(2 * n) % 2 == 0
    good = knn_label_accuracy(codes, labels, train, ~train)
    worse = dict(good, correct=good["correct"].copy())
    worse["correct"][:flip] = False
    worse["accuracy"] = float(worse["correct"].mean())
    return good, worse


def test_knn_probe_returns_which_test_paintings_it_got_right_with_a_wilson_interval():
    rng = np.random.default_rng(1)
    labels = np.repeat(["a", "b"], 30)
    codes = np.where(labels[:, None] == "a", 1.0, -1.0) * np.ones((60, 2)) + rng.normal(0, 0.1, (60, 2))
    codes[[1, 3]] *= -1  # two test paintings (odd rows) that sit among the other label
    test = np.arange(60) % 2 == 1
    r = knn_label_accuracy(codes, labels, ~test, test)
    assert r["correct"].dtype == bool and r["correct"].shape == (30,)
    assert list(np.flatnonzero(~r["correct"])) == [0, 1]  # rows 1 and 3, in table order
    assert r["accuracy"] == pytest.approx(28 / 30)
    assert r["low"] < r["accuracy"] < r["high"] <= 1


def test_compare_knn_says_no_measurable_difference_unless_mcnemar_says_otherwise():
    good, slightly = _probe_pair(flip=2)
    same = autoencode.compare_knn(slightly, good, ("DAE", "raw pixels"))
    assert not same["significant"] and same["sentence"].startswith("no measurable difference")
    assert same["a_only"] == 0 and same["b_only"] == 2 and same["low"] < 0 <= same["high"]
    _, much = _probe_pair(flip=30)
    worse = autoencode.compare_knn(much, good, ("DAE", "raw pixels"))
    assert worse["significant"] and worse["p_value"] < 0.001
    assert worse["sentence"].startswith("raw pixels beats DAE") and worse["high"] < 0


def _record(flip: int):
    import pandas as pd
    from omegaconf import OmegaConf

    good, other = _probe_pair(flip=flip)
    cfg = OmegaConf.create({"autoencode": {"image_size": 64, "latent_dim": 16}, "stats": {"resamples": 1000}})
    table = pd.DataFrame({"dataset": ["aic"] * 3 + ["wiki"] * 2, "split": ["train", "train", "val", "test", "test"]})
    history = {"train_loss": [0.05, 0.03], "val_recon": [0.04, 0.02], "epoch_seconds": [1.5, 2.5]}
    quality = {"dae": {"psnr": 18.2, "ssim": 0.41}}
    return autoencode.autoencode_record(cfg, table, {"dae": history}, {"pixels": good, "dae": other}, quality)


def test_record_stores_the_verdict_and_the_report_sentence_follows_it():
    from artdl.report import autoencode as report

    tie, loss = _record(flip=2), _record(flip=30)
    assert tie.collection.splits == {"test": 2, "train": 2, "val": 1}
    assert tie.models["dae"].train_seconds == pytest.approx(4.0) and tie.models["dae"].test_ssim == 0.41
    assert not tie.vs_pixels["dae"].significant and loss.vs_pixels["dae"].significant
    again = autoencode.AutoencodeRecord.from_json(tie.to_json())  # the verdict survives the file
    assert again.vs_pixels["dae"] == tie.vs_pixels["dae"]
    assert "no measurable difference" in report.findings(tie) and "beats" not in report.findings(tie)
    text = report.findings(loss)
    assert "raw pixels beats DAE" in text and "no measurable difference" not in text
    assert "18.2 dB" in text and "SSIM 0.41" in text


def test_report_says_rerun_when_a_converted_record_has_no_comparison():
    from artdl.report import autoencode as report

    record = _record(flip=2)
    record.vs_pixels = None
    record.models["dae"].test_psnr = record.models["dae"].test_ssim = None
    text = report.findings(record)
    assert text.count("re-run 03") >= 2 and "no measurable difference" not in text


def test_codes_against_pixels_share_the_five_percent():
    """15 paintings only the code gets right against 5 only pixels get: McNemar's p = 0.041, beyond
    noise for one code alone, not when two codes are tested against pixels together (each at 2.5%)."""
    pixels = np.zeros(100, bool)
    pixels[:50] = True  # 45 both get right, 5 only pixels
    code = np.zeros(100, bool)
    code[:45] = code[50:65] = True  # 15 only the code
    alone = autoencode.compare_knn({"correct": code}, {"correct": pixels}, ("DAE", "raw pixels"))
    assert alone["significant"] and alone["p_value"] == pytest.approx(0.0414, abs=1e-3)
    both = autoencode.versus_pixels({"pixels": {"correct": pixels}, "dae": {"correct": code},
                                     "swae": {"correct": pixels}})  # fmt: skip
    assert set(both) == {"dae", "swae"} and both["dae"]["family"] == 2
    assert not both["dae"]["significant"] and both["dae"]["sentence"].startswith("no measurable difference")
    with pytest.raises(KeyError, match="raw-pixels probe"):
        autoencode.versus_pixels({"dae": {"correct": code}})
