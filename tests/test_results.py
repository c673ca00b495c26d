"""Typed results records (artdl.core.results and each step's record): round trip, schema version,
the report modules rendering from records built here, and the README check on the committed files."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from artdl.core import MissingArtifactError, Record, RecordError, load_record, results_path, write_results

from .record_samples import SAMPLES, archive_sample, crawl_sample, data_sample, retrieval_sample

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def results_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "configs").symlink_to(REPO_ROOT / "configs", target_is_directory=True)
    (tmp_path / "src").symlink_to(REPO_ROOT / "src", target_is_directory=True)
    monkeypatch.setenv("ARTDL_ROOT", str(tmp_path))
    return tmp_path


def _body(record: Record) -> dict:
    return {k: v for k, v in dataclasses.asdict(record).items() if k != "provenance"}


@pytest.mark.parametrize("notebook", sorted(SAMPLES))
def test_record_round_trips_through_its_file(notebook: str, results_root: Path):
    from artdl.core import load_config

    record = SAMPLES[notebook]()
    assert record.NOTEBOOK == notebook
    path = write_results(record, load_config(), config_name="default")
    assert path == results_path(notebook) and path.is_file()
    stored = json.loads(path.read_text())
    assert stored["schema_version"] == record.SCHEMA_VERSION == record.schema_version
    assert stored["notebook"] == notebook
    loaded = load_record(type(record))
    assert type(loaded) is type(record)
    assert _body(loaded) == _body(record)  # every field, nested dataclasses included
    p = loaded.provenance
    assert p.dataset == record.provenance.dataset and p.split == record.provenance.split
    assert len(p.config_digest) == 12 and p.hardware and p.date and p.torch
    assert set(p.settings) == {s for s in record.SECTIONS}


def test_a_full_run_sits_beside_the_default(results_root: Path):
    from artdl.core import load_config

    default, full = SAMPLES["02_classify"](), SAMPLES["02_classify"](tuned=0.66)
    write_results(default, load_config())
    write_results(full, load_config("full"), config_name="full")
    from artdl.classify import ClassificationRecord

    assert load_record(ClassificationRecord, "full").models["fine-tune"].top1 == pytest.approx(0.66, abs=1e-3)
    assert load_record(ClassificationRecord).provenance.config == "default"


@pytest.mark.parametrize("version", [None, 0, 1])  # 1: before the verdict fields
def test_wrong_or_missing_schema_version_says_which_notebook_to_rerun(version, results_root: Path):
    from artdl.retrieve import RetrievalRecord

    path = write_results(retrieval_sample())
    data = json.loads(path.read_text())
    if version is None:
        del data["schema_version"]
    else:
        data["schema_version"] = version
    path.write_text(json.dumps(data))
    with pytest.raises(RecordError, match=r"re-run notebook 04") as err:
        load_record(RetrievalRecord)
    assert ("no schema_version" if version is None else f"schema_version {version}") in str(err.value)
    assert "\n" not in str(err.value)


def test_a_field_that_does_not_match_fails_at_load(results_root: Path):
    from artdl.archive import ArchiveRecord

    path = write_results(archive_sample())
    data = json.loads(path.read_text())
    data["graph"]["heldout"]["before"] = "a lot"
    del data["graph"]["split"]["heldout_artists"]
    path.write_text(json.dumps(data))
    with pytest.raises(RecordError, match=r"does not match its schema \(graph\..*re-run notebook 05"):
        load_record(ArchiveRecord)


def test_missing_file_names_the_notebook(results_root: Path):
    from artdl.data import DataRecord

    with pytest.raises(MissingArtifactError, match="00_data.ipynb"):
        load_record(DataRecord)


def test_write_results_takes_a_record_not_a_dict(results_root: Path):
    with pytest.raises(TypeError, match="Record"):
        write_results({"sweep": {"chosen": 0.1}})  # type: ignore[arg-type]
    assert not (results_root / "results").exists() or not list((results_root / "results").iterdir())


def test_builders_keep_only_what_the_schema_knows():
    record = crawl_sample()
    assert record.fixture and record.first_run.new_paintings == 22 and record.first_run.http_429 == 1
    assert not hasattr(record.first_run, "unknown_key")
    d = data_sample()
    assert d.per_label["a"].total == 6 and d.per_split == {"train": 5, "val": 2, "test": 2}
    assert d.near_duplicate_groups.merged_groups == 1 and (d.year_min, d.year_max) == (1500, 1900)
    assert d.n_named_artists == 4 and d.n_dated == 8


# --- every report module renders from a record built here ----------------------------------
def test_report_data_and_crawl_render_from_records():
    from artdl.report import crawl, data

    text = data.findings(data_sample())
    assert "**toy_set**: 9 paintings that decode, in 2 labels (`style`)" in text
    assert "train 5 / val 2 / test 2 (seed 42); 1 groups of near-duplicate" in text
    assert "*a*, has 6 paintings and the smallest, *b*, 3 (2.0×)" in text and "year (1500–1900)" in text
    assert "| a | 4 | 1 | 1 | 6 |" in data.readme(data_sample())["split"]
    text = crawl.findings(crawl_sample())
    assert "added **22 paintings** (23 images downloaded, 1 rejected" in text
    assert "after 1 × HTTP 429" in text and "fetches nothing twice except the 1 image(s)" in text
    assert "fetches nothing twice" not in crawl.findings(crawl_sample(second_new=3))


def test_report_autoencode_renders_from_a_record():
    from artdl.report import autoencode

    from .record_samples import autoencode_sample

    rec = autoencode_sample()
    text = autoencode.findings(rec)
    assert "trained 3 epochs on the 2 paintings of the train split of a 3-painting collection (a_set, b_set)" in text
    assert "Validation MSE: DAE 0.0287, SWAE 0.0305" in text
    # the comparison sentence comes from the paired test's verdict, never from the sign of the difference
    assert "DAE codes vs raw pixels: no measurable difference" in text and "beats" not in text
    better = autoencode.findings(autoencode_sample(dae_accuracy=0.7))
    assert "DAE beats raw pixels in 5-NN label accuracy by +0.252 (McNemar exact p = 0.000176" in better
    table = autoencode.readme(rec)["autoencode"]
    assert "| DAE | 3 | re-run 03 | re-run 03 | 0.420 [0.335, 0.510] |" in table
    assert "| raw pixels | – | – | – | 0.445 [0.359, 0.535] | – |" in table


def test_findings_carry_the_provenance_line(results_root: Path):
    from artdl.core import load_config
    from artdl.report import findings

    write_results(archive_sample(), load_config())
    text = findings("05_archive")
    assert "held-out artists" in text and "_Config `default` (digest `" in text
    assert "from `results/05_archive.json`._" in text


def test_report_cli_refuses_a_record_of_another_version(results_root: Path, capsys):
    from artdl.report import main

    (results_root / "docs").mkdir()
    (results_root / "README.md").write_text("<!-- results:archive -->\nold\n<!-- /results:archive -->\n")
    path = write_results(archive_sample())
    data = json.loads(path.read_text()) | {"schema_version": 99}
    path.write_text(json.dumps(data))
    assert main(["--check"]) == 2
    err = capsys.readouterr().err.strip()
    assert "re-run notebook 05" in err and len(err.splitlines()) == 1


@pytest.mark.integration
def test_committed_results_load_and_the_readme_matches_them():
    """The committed results/*.json are of the current schema and the README says what they say."""
    out = subprocess.run(
        [sys.executable, "-m", "artdl", "report", "--check"],
        cwd=REPO_ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


# --- the experiments moved out of notebooks 04 and 06 --------------------------------------
def test_memorisation_check_tells_copies_from_new_samples():
    import numpy as np

    from artdl.gan import memorisation_check

    rng = np.random.default_rng(0)
    train, held = rng.normal(size=(40, 16)), rng.normal(size=(20, 16))
    copies = train[:20] + 1e-6 * rng.normal(size=(20, 16))
    memo, idx, dist = memorisation_check("wgan_gp", copies, held, train, k=3)
    assert memo.copying and memo.min_generated < 1e-6 and memo.n_generated == 20 and memo.n_held_out == 20
    assert idx.shape == dist.shape == (20, 3) and (idx[:, 0] == np.arange(20)).all()
    fresh, _, _ = memorisation_check("wgan_gp", rng.normal(size=(20, 16)), held, train)
    assert not fresh.copying and fresh.median_generated > 0.3


def test_memorisation_check_sees_a_few_copies_among_new_samples():
    """20 copies among 130 new samples leave the median where real paintings are, so a comparison of
    medians says nothing; the share of samples closer than 95% of held-out paintings sees them."""
    import numpy as np

    from artdl.gan import CLOSE_QUANTILE, memorisation_check

    rng = np.random.default_rng(1)
    centres = 3 * rng.normal(size=(10, 16))

    def paintings(n: int) -> np.ndarray:  # real paintings: ten clusters
        return centres[rng.integers(0, 10, n)] + rng.normal(size=(n, 16))

    train, held = paintings(300), paintings(150)
    blurry = rng.normal(size=(130, 16))  # new samples, farther from the paintings than real ones are
    samples = np.concatenate([train[:20] + 1e-6 * rng.normal(size=(20, 16)), blurry])
    memo, _, _ = memorisation_check("dcgan", samples, held, train)
    assert memo.median_generated >= memo.median_held_out  # the medians see nothing
    assert memo.close_samples >= 20 and memo.close_low > CLOSE_QUANTILE and memo.copying
    assert "possible copies" in memo.sentence() and f"{memo.close_samples} of 150 samples" in memo.sentence()
    fresh, _, _ = memorisation_check("dcgan", paintings(150), held, train)
    assert fresh.close_low < CLOSE_QUANTILE < fresh.close_high and not fresh.copying


def test_style_retrieval_says_why_it_was_skipped(results_root: Path):
    from artdl.core import load_config
    from artdl.retrieve import style_retrieval

    cfg = load_config(
        "default", ["datasets.wikiart_styles7.root=/nonexistent/styles", "paths.shared_datasets=/nonexistent"]
    )
    out = style_retrieval(cfg)
    assert out.imagenet is None and out.finetuned is None and out.paintings == 0
    assert out.note.startswith("skipped: wikiart_styles7 is not available")


def test_style_retrieval_measures_imagenet_without_a_checkpoint(results_root: Path, tmp_path: Path):
    import numpy as np
    from PIL import Image

    from artdl.core import load_config
    from artdl.report import retrieve as report
    from artdl.retrieve import style_retrieval

    rng = np.random.default_rng(0)
    root = tmp_path / "styles"
    for c, style in enumerate(("Baroque", "Cubism", "Rococo")):
        (root / style).mkdir(parents=True)
        for i in range(8):
            pixels = (rng.integers(0, 60, (40, 40, 3)) + 90 * c).astype(np.uint8)
            Image.fromarray(pixels).save(root / style / f"{i}.jpg")
    cfg = load_config(
        "default",
        [f"datasets.wikiart_styles7.root={root}", "classify.image_size=32", "data.num_workers=0",
         f"retrieve.styles.checkpoint={tmp_path / 'none.pt'}", "retrieve.k=2"],
    )  # fmt: skip
    out = style_retrieval(cfg)
    assert out.split == "test" and out.paintings > 0 and out.labels >= 2 and out.image_size == 32
    assert (
        out.imagenet is not None
        and 0 <= out.imagenet.precision <= 1
        and 0 < out.imagenet.queries <= out.paintings
    )
    assert out.finetuned is None and "no fine-tuned wikiart_styles7 checkpoint" in out.note
    assert "ImageNet features reach style P@2" in report.style_sentence(out, 2)


def test_a_cpu_run_names_its_cpu_and_native_bf16(monkeypatch):
    """bf16 kernels differ between CPU families, so a CPU record says which CPU family it ran on."""
    import torch

    from artdl.core import cpu_model, environment

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    assert cpu_model().endswith(", AMX")
    assert environment()["hardware"].endswith(f"; {cpu_model()})")
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    assert cpu_model().endswith(", no native bf16")


def test_an_interval_is_printed_to_the_digits_of_its_value():
    """A bound one digit shorter could land on the wrong side of the value ("0.556 [0.56, ...]")."""
    from artdl.report.markdown import ci

    assert ci(0.556, 0.5558, 0.5912) == "0.556 [0.556, 0.591]"
    assert ci(0.5, 0.47, 0.53, digits=2) == "0.50 [0.47, 0.53]"


def _findings_notebook(root: Path, shown: str, config_name: str = "default", step: str = '"05_archive"') -> Path:
    """A committed-looking notebook: a parameters cell and an executed Findings cell showing ``shown``.

    ``step`` is show_findings' first argument as written: a literal, or ``STEP`` (as 00, 01 and 03
    write it), which the parameters cell then assigns."""
    cells = [
        {"cell_type": "code", "id": "p", "metadata": {}, "outputs": [], "execution_count": 1,
         "source": [f'config_name = "{config_name}"\n', 'STEP = "05_archive"\n', "overrides = []"]},
        {"cell_type": "code", "id": "f", "metadata": {}, "execution_count": 2,
         "source": ["from artdl.report import show_findings\n", "\n", f"show_findings({step}, config_name)"],
         "outputs": [{"output_type": "display_data", "metadata": {},
                      "data": {"text/markdown": shown.splitlines(keepends=True),
                               "text/plain": ["<IPython.core.display.Markdown object>"]}}]},
    ]  # fmt: skip
    path = root / "notebooks" / "05_archive.ipynb"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1))
    return path


def test_a_notebook_s_findings_output_is_checked_and_re_rendered_from_the_results(results_root: Path):
    """A Findings output that fell behind its results (a baseline paired anew, a report change)
    fails `report --check`, and `report` writes what re-executing the cell would show."""
    from artdl.core import load_config
    from artdl.report import findings, update_findings

    write_results(archive_sample(), load_config())
    current = findings("05_archive")
    path = _findings_notebook(results_root, current.replace("held-out artists", "old words"))
    before = path.read_text()
    assert update_findings(path, check=True) and path.read_text() == before  # --check writes nothing
    assert update_findings(path)
    shown = json.loads(path.read_text())["cells"][1]["outputs"][0]["data"]["text/markdown"]
    assert "".join(shown) == current
    assert not update_findings(path, check=True)  # in step now


def test_a_findings_cell_that_names_its_notebook_by_a_variable_is_checked_too(results_root: Path):
    """00, 01 and 03 call show_findings(STEP, config_name): --check skipped them, so a stale or
    hand-edited Findings output there passed."""
    from artdl.core import load_config
    from artdl.report import findings, update_findings

    write_results(archive_sample(), load_config())
    current = findings("05_archive")
    path = _findings_notebook(results_root, current.replace("held-out artists", "old words"), step="STEP")
    assert update_findings(path, check=True)
    assert update_findings(path) and not update_findings(path, check=True)
    unknown = _findings_notebook(results_root, "stale", step="NAME")  # NAME is assigned nowhere
    with pytest.raises(ValueError, match="NAME"):
        update_findings(unknown, check=True)


def test_findings_of_a_notebook_run_under_another_config_read_that_config_s_results(results_root: Path):
    from artdl.core import load_config
    from artdl.report import update_findings

    write_results(archive_sample(), load_config())  # results/05_archive.json only, no .full.json
    path = _findings_notebook(results_root, "stale", config_name="full")
    with pytest.raises(MissingArtifactError, match="05_archive.full.json"):
        update_findings(path, check=True)
