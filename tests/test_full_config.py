"""configs/full.yaml, the GPU run: its keys, its weights, and (integration) all eight notebooks under it.

No GPU is lent to these tests, so ``full`` is run with ``device=cpu`` and the sizes of
``tests/fixtures/full_smoke.yaml``; every other key, and so every code path ``full`` takes outside CUDA
itself, is the GPU run's.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from artdl.core import flat_keys, load_config

from .conftest import REPO_ROOT, shared_override
from .test_fidelity import local_server  # noqa: F401 - the fixture, shared

OPEN_SECTIONS = ("datasets.", "vqgan_clip.presets.", "vqgan_clip.checkpoints.")
SMOKE = REPO_ROOT / "tests" / "fixtures" / "full_smoke.yaml"


def _leaves(path: Path) -> list[str]:
    layer = OmegaConf.load(path)
    return [k for k in flat_keys(layer) if not isinstance(OmegaConf.select(layer, k), DictConfig)]


def _source_text() -> str:
    """Everything that reads config keys: the package, the notebooks, the benchmarks."""
    files = [*(REPO_ROOT / "src").rglob("*.py"), *(REPO_ROOT / "notebooks").glob("*.ipynb")]
    files += (REPO_ROOT / "benchmarks").glob("*.py")
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


@pytest.mark.parametrize("path", [REPO_ROOT / "configs" / "full.yaml", SMOKE], ids=["full", "smoke"])
def test_every_key_is_in_the_schema_and_read_by_some_code(path: Path):
    schema = set(flat_keys(OmegaConf.load(REPO_ROOT / "configs" / "default.yaml")))
    source = _source_text()
    unknown, unread = [], []
    for key in _leaves(path):
        if key not in schema and not key.startswith(OPEN_SECTIONS):
            unknown.append(key)
        last = key.rsplit(".", 1)[-1]
        if not re.search(rf"\b{re.escape(last)}\b", source):
            unread.append(key)
    assert not unknown, f"{path.name} sets keys that configs/default.yaml does not have: {unknown}"
    assert not unread, f"{path.name} sets keys that no code reads: {unread}"


def test_every_key_of_the_shared_data_section_is_read_by_its_dotted_name():
    """``data.*`` is shared by every step, so a key there that no step reads is a promise nobody keeps
    (``data.balanced=true`` did nothing: 02 reads ``classify.balanced``). Its direct keys are read as
    ``cfg.data.<key>``, so the dotted name must appear in the code."""
    source = _source_text()
    layer = OmegaConf.load(REPO_ROOT / "configs" / "default.yaml").data
    unread = [
        f"data.{key}"
        for key, value in layer.items()
        if not isinstance(value, DictConfig) and not re.search(rf"\bdata\.{re.escape(str(key))}\b", source)
    ]
    assert not unread, f"configs/default.yaml has data keys that no code reads: {unread}"


def test_full_asks_for_the_gpu_and_the_real_weights():
    cfg = load_config("full")
    assert cfg.device == "cuda"
    assert cfg.gan.eval.inception_weights and cfg.gan.eval.inception_sha256 and cfg.gan.eval.inception_urls
    assert cfg.retrieve.clip.weights is None and cfg.retrieve.clip.pretrained in ("openai", "laion2b_s34b_b79k")
    assert cfg.vqgan_clip.clip.weights is None and cfg.vqgan_clip.clip.pretrained
    assert cfg.vqgan_clip.download and not cfg.vqgan_clip.checkpoints[cfg.vqgan_clip.checkpoint].get("random_init")
    assert "batch_size" not in OmegaConf.load(REPO_ROOT / "configs" / "full.yaml").get("data", {})


def test_full_cell_limits_outlast_the_crawl_and_the_gan_training():
    from artdl.cli import cell_timeout

    cfg = load_config("full")
    assert cell_timeout(cfg.run, "01_crawl.ipynb") > cfg.crawl.timeout  # the crawl stops itself first
    assert cell_timeout(cfg.run, "06_gan.ipynb") > cfg.run.timeout_per_cell
    assert cell_timeout(cfg.run, "02_classify.ipynb") == cfg.run.timeout_per_cell


def test_smoke_file_shrinks_full_but_keeps_its_code_paths():
    """The keys that choose a code path under full are left to full.yaml."""
    smoke = set(_leaves(SMOKE))
    path_keys = {
        "classify.backbone", "classify.unfreeze_stages", "classify.frozen_cache", "classify.cache",
        "classify.precision", "classify.scratch.budget", "gan.resolution", "gan.models", "gan.amp",
        "gan.eval.inception_weights", "explorer.layout_sample", "explorer.datasets", "classify.dataset",
        "gan.dataset", "autoencode.image_size", "vqgan_clip.download", "vqgan_clip.size",
    }  # fmt: skip
    assert not smoke & path_keys
    full = load_config("full", overrides_from_smoke())
    assert full.gan.resolution == 128 and full.classify.unfreeze_stages == -1 and not full.classify.frozen_cache
    assert full.classify.backbone == "resnet50" and not full.classify.pretrained
    assert full.crawl.base_url == "fixture" and full.device == "cpu"


def overrides_from_smoke() -> list[str]:
    from artdl.cli import overrides_from_file

    return overrides_from_file(SMOKE)


def test_weights_line_names_the_source_and_shouts_random():
    from artdl.models import weights_line

    assert weights_line("FID Inception-v3", "models/gan/x.pth") == "FID Inception-v3: models/gan/x.pth"
    assert "RANDOM weights" in weights_line("VQGAN tiny_random", "models/vqgan_clip/tiny.ckpt", random=True)


# --- CLIP: a pretrained tag passes through; no weights at all is labelled random -----------------


def test_clip_without_weights_or_tag_is_labelled_random():
    from artdl.models import load_clip

    bundle = load_clip("artdl-tiny-ViT", pretrained=None, weights=None, config_dir="configs/open_clip")
    assert bundle.random and "RANDOM" in bundle.description


def test_unknown_clip_tag_is_refused_with_the_known_ones():
    from artdl.models import load_clip

    with pytest.raises(ValueError, match="laion2b_s34b_b79k"):
        load_clip("ViT-B-32", pretrained="not-a-tag")


def test_clip_tag_is_downloaded_once_into_models_checked_and_named(
    isolated_root: Path, local_server, monkeypatch: pytest.MonkeyPatch  # noqa: F811
):
    """open_clip's own download path, served from 127.0.0.1: a tag whose URL carries the file's
    SHA-256 (as OpenAI's do), with the tiny ViT's random weights standing in for ViT-B-32's."""
    import hashlib

    import open_clip

    from artdl.models import clip_from_config, save_random_clip

    www, base, requests = local_server
    stand_in = save_random_clip("artdl-tiny-ViT", www / "tiny.pt", "configs/open_clip")
    digest = hashlib.sha256(stand_in.read_bytes()).hexdigest()
    (www / digest).mkdir()
    stand_in.rename(www / digest / "tiny.pt")
    tag = {"url": f"{base}/{digest}/tiny.pt", "hf_hub": "", "quick_gelu": True}
    monkeypatch.setitem(open_clip.pretrained._PRETRAINED, "artdl-tiny-ViT", {"artdl_test": tag})
    created = []
    real_create = open_clip.create_model
    monkeypatch.setattr(open_clip, "create_model", lambda *a, **k: created.append(k) or real_create(*a, **k))
    clip_cfg = OmegaConf.merge(
        load_config("full").retrieve.clip,
        {"model": "artdl-tiny-ViT", "pretrained": "artdl_test", "model_configs": "configs/open_clip"},
    )
    bundle = clip_from_config(clip_cfg)
    assert not bundle.random and "'artdl_test'" in bundle.description and "models/open_clip" in bundle.description
    assert created[0]["force_quick_gelu"] and created[0]["require_pretrained"]  # QuickGELU from the tag
    assert list((isolated_root / "models" / "open_clip").glob("*tiny.pt"))
    clip_from_config(clip_cfg)
    assert len(requests) == 1  # cached: the second load reads models/open_clip


def test_default_clip_config_is_random_and_says_so(isolated_root: Path):
    from artdl.models import clip_from_config

    bundle = clip_from_config(load_config("default").retrieve.clip)
    assert bundle.random and (isolated_root / "models" / "retrieve").is_dir()


# --- the eight notebooks under full, shrunk (integration) ----------------------------------------


def write_wikiart_parquet(folder: Path, styles: int = 3, per_style: int = 6) -> Path:
    """A folder of parquet files in huggan/wikiart's schema, written by datasets itself: ``image``
    plus ``artist``, ``genre`` and ``style`` as ClassLabels, so the loader reads real label names."""
    import datasets
    import numpy as np
    from PIL import Image

    style_names = ["Impressionism", "Baroque", "Cubism", "Realism", "Romanticism"][:styles]
    features = datasets.Features(
        {
            "image": datasets.Image(),
            "artist": datasets.ClassLabel(names=["Unknown Artist", "claude-monet", "rembrandt", "pablo-picasso"]),
            "genre": datasets.ClassLabel(names=["landscape", "portrait", "still_life"]),
            "style": datasets.ClassLabel(names=style_names),
        }
    )
    rng = np.random.default_rng(0)
    rows: dict[str, list] = {"image": [], "artist": [], "genre": [], "style": []}
    for s in range(styles):
        for i in range(per_style):
            base = rng.integers(0, 255, 3)
            rows["image"].append(Image.fromarray((base + rng.normal(0, 20, (96, 80, 3))).clip(0, 255).astype("uint8")))
            rows["artist"].append(0 if i >= 3 else int((s + i) % 4))  # half unknown: every style in every artist-disjoint split
            rows["genre"].append(0 if i < 4 else int(i % 3))  # 4 landscapes a style: 06 trains on Impressionism landscapes
            rows["style"].append(s)
    folder.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(folder / "train-00000-of-00001.parquet"))
    return folder


@pytest.mark.integration
def test_full_config_runs_all_eight_notebooks_shrunk(
    isolated_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """``--config full`` with tests/fixtures/full_smoke.yaml: every notebook to the end on the CPU."""
    from artdl.cli import run_pipeline

    from .test_fidelity import _random_inception_file

    parquet = write_wikiart_parquet(tmp_path / "wikiart_parquet")
    overrides = [shared_override(), *overrides_from_smoke(), f"datasets.wikiart_full.parquet_dir={parquet}"]
    inception = isolated_root / load_config("full").gan.eval.inception_weights
    inception.parent.mkdir(parents=True, exist_ok=True)
    _random_inception_file(inception, monkeypatch)  # FID's real code path, random weights
    started = time.perf_counter()
    results = run_pipeline("full", overrides)
    assert [r.name[:2] for r in results] == [f"{i:02d}" for i in range(8)]
    for prefix in ("00", "02", "06", "07"):
        assert list((isolated_root / "results").glob(f"{prefix}_*.full.json")) or prefix == "00"
    from artdl.classify import ClassificationRecord
    from artdl.core import load_record

    classify = load_record(ClassificationRecord, "full")  # 02 ran on both splits of wikiart_full
    assert classify.split_comparison is not None
    assert [s.split for s in classify.split_comparison.scores] == ["stratified", "artist-disjoint"]
    assert classify.split_comparison.scores[1].test_artist_seen == 0.0  # no test artist was seen in training
    print(f"full smoke: {len(results)} notebooks in {time.perf_counter() - started:.0f} s")


# --- benchmarks/run_full.sh ----------------------------------------------------------------------


def _run_full(root: Path, *args: str, **env: str) -> str:
    import os
    import shutil
    import subprocess

    script = root / "benchmarks" / "run_full.sh"
    script.parent.mkdir(exist_ok=True)
    shutil.copy(REPO_ROOT / "benchmarks" / "run_full.sh", script)
    done = subprocess.run(
        ["bash", str(script), *args], capture_output=True, text=True, timeout=120, cwd=root,
        env={**os.environ, "DRY_RUN": "1", **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_run_full_skips_pieces_a_gpu_finished_and_passes_overrides(tmp_path: Path):
    import json

    from artdl.core import Provenance, Record

    (tmp_path / "results").mkdir()
    for step, hardware in (("02_classify", "NVIDIA T4"), ("03_autoencode", "CPU (2 cores, x86_64)")):
        # written the way write_results writes a record, so the script reads the real layout
        record = Record(provenance=Provenance(config="full", hardware=hardware)).to_json()
        (tmp_path / "results" / f"{step}.full.json").write_text(json.dumps(record))
    out = _run_full(tmp_path, "02", "03", "06", "--", "gan.dcgan.steps=5")
    assert "02: results/02_classify.full.json was written on a GPU, skipped" in out
    assert "would run: python3 -m artdl run --config full --only 03 gan.dcgan.steps=5" in out  # a CPU try
    assert "--only 06 gan.dcgan.steps=5" in out and "--only 02" not in out
    assert "--only 02" in _run_full(tmp_path, "02", FORCE="1")
    assert "would run" in _run_full(tmp_path, "weights").splitlines()[1]


def test_under_full_no_notebook_after_the_crawl_reads_the_crawl() -> None:
    """01 crawls a small live sample under full; 02-07 must not depend on it (WikiArt may block bots)."""
    from artdl.data.fetch import datasets_needed

    cfg = load_config("full")
    later = [nb.name for nb in sorted((REPO_ROOT / "notebooks").glob("0[2-7]_*.ipynb"))]
    assert len(later) == 6
    needed = datasets_needed(cfg, later)
    assert "wikiart_full" in needed and "wikiart_crawl" not in needed
    assert all(cfg.datasets[n].get("subset_of") != "wikiart_crawl" for n in cfg.datasets)
