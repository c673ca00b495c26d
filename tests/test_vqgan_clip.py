"""VQGAN+CLIP: prompt syntax, checkpoint handling, and the real loop on tiny random-weight models.

No weights can be downloaded here, so the tests build the real taming VQModel from its real
config (shrunk) and an open_clip ViT, both with random weights, save them in the published
formats (Lightning ckpt dict / open_clip state dict) and load them through the same code as real
weights.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from artdl import models
from artdl import vqgan_clip as V
from artdl.models import save_random_clip
from artdl.vqgan_clip import vqgan_scale_factor

REPO = Path(__file__).resolve().parents[1]
REAL_CONFIG = REPO / "configs" / "vqgan" / "vqgan_imagenet_f16_16384.yaml"


# --- prompts -----------------------------------------------------------------------------------


def test_parse_prompt_weights_stops_and_negatives() -> None:
    prompts = V.parse_prompts("a Baroque painting:2 | blurry:-0.5 | gold leaf:1:0.3 | a sunset")
    assert [p.text for p in prompts] == ["a Baroque painting", "blurry", "gold leaf", "a sunset"]
    assert [p.weight for p in prompts] == [2.0, -0.5, 1.0, 1.0]
    assert prompts[2].stop == pytest.approx(0.3)
    assert math.isinf(prompts[0].stop) and prompts[0].stop < 0


def test_parse_prompt_keeps_colons_in_text_and_rejects_empty() -> None:
    assert V.parse_prompt("https://x.org/a.jpg:0.5") == V.ParsedPrompt("https://x.org/a.jpg", 0.5)
    assert V.parse_prompt("ratio 1:2 study").text == "ratio 1:2 study"
    assert V.parse_prompts(["a | b:3", " "]) == [V.ParsedPrompt("a"), V.ParsedPrompt("b", 3.0)]
    with pytest.raises(ValueError, match="no text"):
        V.parse_prompt(":1")


def test_prompt_loss_sign_and_stop() -> None:
    target = torch.tensor([[1.0, 0.0]])
    near, far = torch.tensor([[0.9, 0.1]]), torch.tensor([[0.0, 1.0]])
    pos, neg = V.PromptLoss(target, 1.0), V.PromptLoss(target, -1.0)
    assert pos(near) < pos(far)  # positive prompt: closer is better
    assert neg(near) > neg(far)  # negative prompt: farther is better
    # stop: the loss value is unchanged, but a prompt already closer than `stop` stops pulling.
    x = near.clone().requires_grad_(True)
    stopped = V.PromptLoss(target, 1.0, stop=0.5)
    assert stopped(x).item() == pytest.approx(pos(near).item())
    stopped(x).backward()
    assert torch.count_nonzero(x.grad) == 0
    x.grad = None
    pos(x).backward()
    assert torch.count_nonzero(x.grad) > 0


# --- checkpoints -------------------------------------------------------------------------------


def test_missing_checkpoint_error_says_how_to_get_it(tmp_path: Path) -> None:
    entry = {"config": str(REAL_CONFIG), "ckpt": str(tmp_path / "absent.ckpt"), "ckpt_urls": ["https://x/y"]}
    with pytest.raises(V.MissingCheckpointError, match="python -m artdl vqgan-weights imagenet") as err:
        V.ensure_checkpoint("imagenet", entry)
    assert "absent.ckpt" in str(err.value)
    with pytest.raises(FileNotFoundError, match="vqgan-weights"):
        V.load_vqgan(REAL_CONFIG, tmp_path / "absent.ckpt")


def test_download_verifies_checksum_and_reports_dead_urls(tmp_path: Path) -> None:
    src = tmp_path / "weights.bin"
    src.write_bytes(b"not really a checkpoint")
    good = hashlib.sha256(src.read_bytes()).hexdigest()
    dead = (tmp_path / "gone.bin").as_uri()
    out = V.download([dead, src.as_uri()], tmp_path / "out" / "w.bin", sha256=good)  # first mirror dead
    assert out.read_bytes() == src.read_bytes()
    with pytest.raises(V.ChecksumError, match="SHA-256"):
        V.download(src.as_uri(), tmp_path / "bad.bin", sha256="0" * 64)
    assert not (tmp_path / "bad.bin").exists()  # nothing half-written
    with pytest.raises(V.MissingCheckpointError, match="every URL failed") as err:
        V.download([dead], tmp_path / "never.bin")
    assert "gone.bin" in str(err.value) and "by hand" in str(err.value)


def test_real_imagenet_config_builds_with_the_compat_shim() -> None:
    """The full-size f16/16384 architecture imports and builds on current torch + Lightning."""
    from artdl.vqgan_clip.models import _model_params, _vqmodel_class

    model = _vqmodel_class()(**_model_params(REAL_CONFIG))
    assert model.quantize.embedding.weight.shape == (16384, 256)
    assert vqgan_scale_factor(model) == 16
    assert 60e6 < sum(p.numel() for p in model.parameters()) < 120e6


# --- the loop on tiny random-weight models -----------------------------------------------------


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is much faster on a shared CPU
    tmp = tmp_path_factory.mktemp("vqgan_clip")
    cfg = OmegaConf.load(REAL_CONFIG)  # the real config, shrunk: same architecture, f16
    cfg.model.params.update(embed_dim=16, n_embed=128)
    cfg.model.params.ddconfig.update(
        ch=32, z_channels=16, num_res_blocks=1, attn_resolutions=[4], resolution=64
    )
    OmegaConf.save(cfg, tmp / "tiny.yaml")
    ckpt = V.prepare_checkpoint(
        "tiny", {"config": str(tmp / "tiny.yaml"), "ckpt": str(tmp / "t.ckpt"), "random_init": True}
    )[1]
    saved = torch.load(ckpt, weights_only=True)
    assert set(saved) >= {"state_dict", "global_step"}  # Lightning checkpoint layout
    vqgan = V.load_vqgan(tmp / "tiny.yaml", ckpt)
    cfg_dir = tmp / "clip_cfgs"
    cfg_dir.mkdir()
    (cfg_dir / "test-tiny-ViT.json").write_text(
        json.dumps(
            {
                "embed_dim": 32,
                "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
                "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
            }
        )
    )
    weights = save_random_clip("test-tiny-ViT", tmp / "clip.pt", cfg_dir)
    clip = models.load_clip("test-tiny-ViT", None, weights, "cpu", cfg_dir)
    yield vqgan, clip, tmp
    torch.set_num_threads(threads)


def test_loaded_weights_equal_saved_weights(tiny_models) -> None:
    vqgan, clip, tmp = tiny_models
    saved = torch.load(tmp / "t.ckpt", weights_only=True)["state_dict"]
    for key in ("quantize.embedding.weight", "decoder.conv_out.weight"):
        assert torch.equal(vqgan.state_dict()[key], saved[key])
    clip_saved = torch.load(tmp / "clip.pt", weights_only=True)
    assert torch.equal(clip.model.state_dict()["visual.conv1.weight"], clip_saved["visual.conv1.weight"])


def test_loss_falls(tiny_models) -> None:
    vqgan, clip, _ = tiny_models
    # One full-image cutout without augmentation: the loss is a deterministic function of z.
    config = V.GenerationConfig(iterations=25, lr=0.2, cutn=1, augments=(), noise=0.0, seed=0)
    result = V.generate_image(vqgan, clip, "a Baroque painting", config, size=32, progress=False)
    losses = np.array(result.losses)
    assert len(losses) == 25 and np.isfinite(losses).all()
    assert losses[-5:].mean() < losses[0] - 0.005, losses


def test_output_shape_range_and_seed(tiny_models) -> None:
    vqgan, clip, _ = tiny_models
    kw = dict(size=(48, 40), progress=False)
    config = V.GenerationConfig(iterations=3, cutn=4, save_every=1, seed=7)
    a = V.generate_image(vqgan, clip, "a:1 | b:-0.5", config, **kw)
    b = V.generate_image(vqgan, clip, "a:1 | b:-0.5", config, **kw)
    c = V.generate_image(vqgan, clip, "a:1 | b:-0.5", replace(config, seed=8), **kw)
    assert a.image.shape == (48, 32, 3) and a.image.dtype == np.uint8  # rounded down to f16 multiples
    assert 0 <= a.image.min() and a.image.max() <= 255 and a.image.std() > 0
    assert np.array_equal(a.image, b.image) and a.losses == b.losses
    assert not np.array_equal(a.image, c.image)
    assert len(a.frames) == 3 and a.frames[0].shape == a.image.shape and a.frame_steps == [0, 1, 2]


def test_compile_is_made_once_per_model_and_gives_the_same_image(tiny_models, monkeypatch) -> None:
    vqgan, clip, _ = tiny_models
    compiled = []

    def fake_compile(fn):  # inductor takes minutes on 2 cores; what is compiled, and how often, is tested
        compiled.append(getattr(fn, "__name__", fn))
        return fn

    monkeypatch.setattr(torch, "compile", fake_compile)
    config = V.GenerationConfig(iterations=2, cutn=2, seed=3)
    try:
        plain = V.generate_image(vqgan, clip, "a", config, size=32, progress=False)
        first = V.generate_image(vqgan, clip, "a", replace(config, compile=True), size=32, progress=False)
        second = V.generate_image(vqgan, clip, "b", replace(config, compile=True), size=32, progress=False)
    finally:
        for owner, attr in ((vqgan, "_artdl_compiled_decode"), (clip, "_artdl_compiled_encode_image")):
            if hasattr(owner, attr):
                object.__delattr__(owner, attr)
    assert compiled == ["decode", "encode_image"]  # the second art epoch reuses the graphs
    assert np.array_equal(plain.image, first.image) and len(second.losses) == 2


def test_bf16_on_request_and_bad_precision(tiny_models) -> None:
    vqgan, clip, _ = tiny_models
    config = V.GenerationConfig(iterations=2, cutn=2, seed=3, amp="bf16")  # bf16 autocast on the CPU too
    result = V.generate_image(vqgan, clip, "a", config, size=32, progress=False)
    assert result.image.shape == (32, 32, 3) and np.isfinite(result.losses).all()
    with pytest.raises(ValueError, match="precision"):
        V.generate_image(vqgan, clip, "a", replace(config, amp="fp16"), size=32, progress=False)


def test_image_prompt_init_image_and_animation(tiny_models, tmp_path: Path) -> None:
    from PIL import Image

    vqgan, clip, _ = tiny_models
    rng = np.random.default_rng(0)
    img = tmp_path / "painting.png"
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(img)
    config = V.GenerationConfig(
        image_prompts=f"{img}:0.5", init_image=img, init_weight=1.0, iterations=2, cutn=2, save_every=1
    )
    result = V.generate_image(vqgan, clip, "a still life", config, size=32, progress=False)
    assert len(result.prompts) == 1 and len(result.losses) == 2
    assert len(result.frames) == 2
    import imageio.v2 as imageio

    frames = [rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(3)]
    gif = V.save_animation(frames, tmp_path / "frames.gif")
    assert len(imageio.mimread(gif)) == 3
    with pytest.raises(ValueError, match="save_every"):
        V.save_animation([], tmp_path / "empty.gif")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        missing = V.GenerationConfig(init_image=tmp_path / "nope.png", iterations=1)
        V.generate_image(vqgan, clip, "x", missing, size=32, progress=False)


def test_clip_score_matrix(tiny_models) -> None:
    _, clip, _ = tiny_models
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(3)]
    scores = V.clip_score_matrix(clip, images, ["a", "b", "c", "d"])
    assert scores.shape == (3, 4) and np.all(np.abs(scores) <= 1.0 + 1e-5)
    same = V.clip_score_matrix(clip, [images[0], images[0]], ["a", "b"])
    assert np.allclose(same[0], same[1], atol=1e-5)


def test_auto_size_is_lower_on_cpu() -> None:
    assert V.auto_size("cpu", cpu_size=64) == 64
    assert min(V.VRAM_GUIDE.values()) >= 256


GIB = 2**30


@pytest.mark.parametrize(
    ("card", "total_bytes", "side"),
    [
        ("T4 16 GB, as torch reports it", 15 * GIB, 512),  # GiB read as GB gave the 12 GB row: 448
        ("T4 16 GB with ECC on", 15_835_398_144, 512),
        ("RTX 3060 12 GB", int(11.76 * GIB), 448),
        ("A100 40 GB", int(39.39 * GIB), 896),
        ("A100 80 GB", int(79.15 * GIB), 1024),
        ("a 4 GB card: below the guide", 4 * GIB, 256),
    ],
)
def test_vram_guide_reads_marketed_gb(card: str, total_bytes: int, side: int) -> None:
    assert V.size_for_memory(total_bytes) == side, card


def test_auto_size_on_cuda_uses_the_reported_memory(monkeypatch) -> None:
    # No GPU here: the CUDA branch is reached through the device name, the card is a stand-in.
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device: SimpleNamespace(total_memory=15 * GIB))
    assert V.auto_size("cuda", cpu_size=64) == 512


# --- the config object --------------------------------------------------------------------------
def test_generation_config_defaults_are_the_default_config() -> None:
    from artdl.core import load_config

    cfg = load_config()
    assert V.GenerationConfig.from_cfg(cfg.vqgan_clip) == V.GenerationConfig()
    tuned = V.GenerationConfig.from_cfg(load_config("default", ["vqgan_clip.cutn=3"]).vqgan_clip)
    assert tuned.cutn == 3 and tuned.augments == tuple(cfg.vqgan_clip.augments)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iterations", 0, "vqgan_clip.iterations=0: must be an integer >= 1"),
        ("cutn", 2.5, "vqgan_clip.cutn=2.5: must be an integer >= 1"),
        ("lr", -0.1, "vqgan_clip.lr=-0.1: must be a number > 0"),
        ("save_every", -1, "vqgan_clip.save_every=-1: must be an integer >= 0"),
        ("init_weight", -1.0, "vqgan_clip.init_weight=-1.0: must be a number >= 0"),
    ],
)
def test_generation_config_rejects_out_of_range_values(field: str, value, message: str) -> None:
    from artdl.core import ConfigRangeError, load_config

    with pytest.raises(ConfigRangeError) as err:
        V.GenerationConfig(**{field: value})
    assert str(err.value) == message
    with pytest.raises(ConfigRangeError, match=f"vqgan_clip.{field}="):
        V.GenerationConfig.from_cfg(load_config().vqgan_clip, **{field: value})


def test_render_presets_passes_the_config_to_generate(tiny_models) -> None:
    from artdl.core import load_config

    vqgan, clip, _ = tiny_models
    cfg = load_config("default", ["vqgan_clip.iterations=2", "vqgan_clip.cutn=2", "vqgan_clip.save_every=1"])
    rendered = V.render_presets(cfg, vqgan, clip, ["baroque"], 32, progress=False)["baroque"]
    direct = V.generate_image(
        vqgan, clip, cfg.vqgan_clip.presets.baroque.prompts, V.GenerationConfig.from_cfg(cfg.vqgan_clip),
        size=32, progress=False,
    )  # fmt: skip
    assert len(rendered.losses) == 2 and rendered.frame_steps == [0, 1]
    assert np.array_equal(rendered.image, direct.image) and rendered.losses == direct.losses


def test_diagonal_dominance() -> None:
    scores = np.array([[0.3, 0.1, 0.2], [0.1, 0.4, 0.0], [0.5, 0.1, 0.2]])
    d = V.diagonal_dominance(scores)
    assert d["top1"] == pytest.approx(2 / 3) and d["chance"] == pytest.approx(1 / 3)
    assert d["margin"] == pytest.approx(0.3 - 1.0 / 6)
    with pytest.raises(ValueError, match="square"):
        V.diagonal_dominance(np.zeros((2, 3)))


def test_cli_rejects_unknown_checkpoint(capsys: pytest.CaptureFixture[str]) -> None:
    from artdl.cli.main import main

    assert main(["vqgan-weights", "no_such_model"]) == 2
    assert "wikiart_16384" in capsys.readouterr().out


def test_missing_real_checkpoint_in_config_says_how(isolated_root: Path) -> None:
    from artdl.core import load_config

    cfg = load_config("default", ["vqgan_clip.checkpoint=wikiart_16384"])
    assert V.is_random_demo(load_config("default", []))
    with pytest.raises(V.MissingCheckpointError, match="vqgan-weights wikiart_16384"):
        V.load_models(cfg, "cpu")


def test_a_clip_without_weights_or_tag_is_reported_random(isolated_root: Path) -> None:
    """Neither ``weights`` nor ``pretrained``: open_clip builds a random model, and 07 must say so
    even though ``random_init`` is false (it used to print and record "trained")."""
    from artdl.core import load_config

    cfg = load_config("default", ["vqgan_clip.clip.weights=null", "vqgan_clip.clip.random_init=false"])
    _, clip = V.load_models(cfg, "cpu")
    assert clip.random and "RANDOM" in clip.description
    assert V.random_weights(cfg, clip) == {"vqgan": True, "clip": True}
    assert V.random_weights(cfg)["clip"]  # the config alone says the same
    assert V.weights_label({"vqgan": False, "clip": True}) == "WIRING DEMO: random-weight CLIP, not real art"
    assert V.weights_label({"vqgan": False, "clip": False}) == "VQGAN+CLIP"


@pytest.mark.integration
def test_vqgan_clip_notebook_executes(isolated_root: Path) -> None:
    import nbformat

    from .conftest import execute_notebook

    overrides = [
        "vqgan_clip.iterations=3",
        "vqgan_clip.cutn=2",
        "vqgan_clip.cpu_size=32",
        "vqgan_clip.save_every=1",
    ]
    out = execute_notebook(isolated_root, "07", overrides)
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    text = "".join(
        o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream"
    )
    assert "WIRING DEMO" in text
    for name in ("epochs_grid", "frames_strip", "loss_curves", "clip_score_matrix"):
        assert (isolated_root / "images" / "07_vqgan_clip" / f"{name}.png").is_file()
    processed = isolated_root / "data" / "processed" / "vqgan_clip"
    scores = np.loadtxt(processed / "clip_scores.csv", delimiter=",", skiprows=1, usecols=range(1, 6))
    assert scores.shape == (5, 5)
    assert len(list((processed / "animations").glob("*.gif"))) == 5
    assert (isolated_root / "models" / "vqgan_clip" / "tiny_random.ckpt").is_file()


def test_clamp_with_grad_lets_saturated_pixels_recover() -> None:
    from artdl.vqgan_clip.generation import ClampWithGrad

    x = torch.tensor([-0.5, 0.5, 1.5], requires_grad=True)
    y = ClampWithGrad.apply(x, 0.0, 1.0)
    assert torch.equal(y.detach(), torch.tensor([0.0, 0.5, 1.0]))
    # Gradient descent moves x by -grad: a gradient of -1 raises x, +1 lowers it.
    y.backward(torch.tensor([-1.0, 1.0, 1.0]))  # raise the low pixel, lower the high one: kept
    assert torch.equal(x.grad, torch.tensor([-1.0, 1.0, 1.0]))
    x.grad = None
    ClampWithGrad.apply(x, 0.0, 1.0).backward(torch.tensor([1.0, 1.0, -1.0]))  # push further out: dropped
    assert torch.equal(x.grad, torch.tensor([0.0, 1.0, 0.0]))


def test_existing_checkpoint_with_wrong_hash_is_refused(tmp_path: Path) -> None:
    ckpt = tmp_path / "m.ckpt"
    ckpt.write_bytes(b"weights")
    entry = {"config": str(REAL_CONFIG), "ckpt": str(ckpt), "sha256": "f" * 64}
    with pytest.raises(V.ChecksumError, match="verify=false"):
        V.ensure_checkpoint("m", entry)
    entry["sha256"] = hashlib.sha256(b"weights").hexdigest()
    assert V.ensure_checkpoint("m", entry) == (REAL_CONFIG, ckpt)


def test_lightning_checkpoint_with_pickled_objects_loads(tiny_models, tmp_path: Path) -> None:
    """Published checkpoints pickle Lightning callback state next to the weights."""
    import argparse

    vqgan, _, tmp = tiny_models
    saved = torch.load(tmp / "t.ckpt", weights_only=True)
    from pytorch_lightning.callbacks.model_checkpoint import ModelCheckpoint

    # Lightning 1.x keys callback state by the callback class and keeps hparams in a Namespace.
    saved["callbacks"] = {ModelCheckpoint: {"best_model_score": torch.tensor(0.5)}}
    saved["hparams"] = argparse.Namespace(monitor="val/rec_loss")
    saved["state_dict"]["loss.discriminator.main.0.weight"] = torch.zeros(1)  # training-only key
    torch.save(saved, tmp_path / "lightning.ckpt")
    loaded = V.load_vqgan(tmp / "tiny.yaml", tmp_path / "lightning.ckpt")
    key = "decoder.conv_out.weight"
    assert torch.equal(loaded.state_dict()[key], vqgan.state_dict()[key])
    del saved["state_dict"][key]
    torch.save(saved, tmp_path / "broken.ckpt")
    with pytest.raises(ValueError, match="missing keys"):
        V.load_vqgan(tmp / "tiny.yaml", tmp_path / "broken.ckpt")


def test_mp4_without_ffmpeg_says_what_to_install(tmp_path: Path) -> None:
    pytest.importorskip("imageio")
    try:
        import imageio_ffmpeg  # noqa: F401

        pytest.skip("imageio-ffmpeg is installed here")
    except ImportError:
        pass
    with pytest.raises(ImportError, match="imageio-ffmpeg"):
        V.save_animation([np.zeros((8, 8, 3), np.uint8)], tmp_path / "a.mp4")


# --- safe loading: weights_only, the allow-list, trust_checkpoint, SHA-256 on first use ---------


def test_checkpoint_needing_other_classes_loads_only_when_trusted(tiny_models, tmp_path: Path) -> None:
    import fractions

    vqgan, _, tmp = tiny_models
    saved = torch.load(tmp / "t.ckpt", weights_only=True)
    saved["extra"] = fractions.Fraction(1, 3)  # harmless here, but not on the allow-list
    torch.save(saved, tmp_path / "odd.ckpt")
    with pytest.raises(V.UntrustedCheckpointError, match="trust_checkpoint=true") as err:
        V.load_vqgan(tmp / "tiny.yaml", tmp_path / "odd.ckpt")
    assert "Fraction" in str(err.value) and "arbitrary code" in str(err.value)
    loaded = V.load_vqgan(tmp / "tiny.yaml", tmp_path / "odd.ckpt", trust_checkpoint=True)
    key = "decoder.conv_out.weight"
    assert torch.equal(loaded.state_dict()[key], vqgan.state_dict()[key])


def test_trust_checkpoint_is_a_config_key() -> None:
    from artdl.core import load_config

    assert load_config("default", []).vqgan_clip.trust_checkpoint is False
    assert load_config("default", ["vqgan_clip.trust_checkpoint=true"]).vqgan_clip.trust_checkpoint is True


@pytest.fixture
def local_server(tmp_path: Path):
    """A static HTTP server on 127.0.0.1 serving ``tmp_path / "site"`` (downloads only)."""
    import functools
    import http.server
    import threading

    site = tmp_path / "site"
    site.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_without_known_hash_records_it_and_later_loads_verify(
    local_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, url = local_server
    (site / "model.yaml").write_text(REAL_CONFIG.read_text())
    (site / "last.ckpt").write_bytes(b"checkpoint bytes v1")
    models = tmp_path / "models"
    entry = {
        "config": str(models / "model.yaml"),
        "ckpt": str(models / "last.ckpt"),
        "config_urls": [f"{url}/model.yaml"],
        "ckpt_urls": [f"{url}/missing.ckpt", f"{url}/last.ckpt"],  # a dead mirror first
        "sha256": None,
    }
    config_path, ckpt = V.ensure_checkpoint("m", entry, download_missing=True)
    digest = hashlib.sha256(b"checkpoint bytes v1").hexdigest()
    assert ckpt.read_bytes() == b"checkpoint bytes v1"
    printed = capsys.readouterr().out
    assert digest in printed and "first use" in printed
    record = json.loads((models / "sha256.json").read_text())
    assert record["last.ckpt"]["sha256"] == digest and "model.yaml" not in record
    assert V.ensure_checkpoint("m", entry) == (config_path, ckpt)  # verified, nothing re-recorded
    assert digest not in capsys.readouterr().out
    ckpt.write_bytes(b"checkpoint bytes v2 (a swapped file)")
    with pytest.raises(V.ChecksumError, match="recorded on its first use"):
        V.ensure_checkpoint("m", entry)
    # A known hash wins over the record and is checked on download too.
    ckpt.unlink()
    with pytest.raises(V.ChecksumError, match="SHA-256"):
        V.ensure_checkpoint("m", {**entry, "sha256": "0" * 64}, download_missing=True)
    assert not ckpt.exists()


def test_taming_and_open_clip_notes_are_silenced_at_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from artdl.vqgan_clip import build_vqmodel

    build_vqmodel(Path(__file__).resolve().parents[1] / "configs" / "vqgan" / "tiny_random.yaml")
    assert "Working with z" not in capsys.readouterr().out
    with caplog.at_level("WARNING"):
        save_random_clip("artdl-tiny-ViT", tmp_path / "clip.pt", REAL_CONFIG.parents[1] / "open_clip")
    assert "No pretrained weights loaded" not in caplog.text


def test_findings_say_when_weights_are_random() -> None:
    import dataclasses

    from artdl.report import vqgan_clip as report

    from .record_samples import vqgan_clip_sample

    record = vqgan_clip_sample()  # the default config's tiny random-weight demo
    assert record.random_weights == {"vqgan": True, "clip": True} and record.runs[0].iterations == 3
    text = report.findings(record)
    assert "**The VQGAN and CLIP weights are random on this machine**" in text
    assert "chance by construction" in text and "1 images (Baroque) at 64 px" in text
    assert "The prompt loss fell in 1 of 1 runs (mean change -0.100" in text
    assert "random (wiring demo)" in report.readme(record)["vqgan_clip"]
    trained = dataclasses.replace(record, random_weights={"vqgan": False, "clip": False})
    assert "weights are random" not in report.findings(trained) and "Trained weights" in report.findings(trained)
