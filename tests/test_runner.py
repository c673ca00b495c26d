import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from artdl import cli
from artdl.cli.main import main

from .conftest import execute_notebook


def _notebook(path: Path, *sources: str) -> None:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = new_code_cell('config_name = "default"\noverrides = []')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(new_code_cell(s) for s in sources)]
    nbformat.write(nb, path)


def test_discover_orders_and_filters(tmp_path: Path):
    for name in ("02_b.ipynb", "00_a.ipynb", "10_c.ipynb", "notes.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in cli.discover_notebooks(tmp_path)] == ["00_a.ipynb", "02_b.ipynb", "10_c.ipynb"]
    assert [p.name for p in cli.discover_notebooks(tmp_path, only=["2"])] == ["02_b.ipynb"]
    with pytest.raises(FileNotFoundError, match="No notebook matches"):
        cli.discover_notebooks(tmp_path, only=["05"])


def test_pipeline_injects_parameters_and_stops_at_first_failure(isolated_root: Path, capsys):
    nbdir = isolated_root / "notebooks"
    for p in nbdir.glob("*.ipynb"):
        p.unlink()
    _notebook(
        nbdir / "00_ok.ipynb",
        "from artdl.core.config import load_config\ncfg = load_config(config_name, overrides)\nprint('seed', cfg.seed)",
    )
    _notebook(nbdir / "01_bad.ipynb", "x = 1", "raise ValueError('boom in cell')")
    _notebook(nbdir / "02_never.ipynb", "open('ran.txt', 'w').write('x')")
    original_bad = (nbdir / "01_bad.ipynb").read_text()

    code = main(["run", "seed=5"])
    assert code == 1
    err = capsys.readouterr().err
    assert "01_bad.ipynb failed in cell" in err and "ValueError: boom in cell" in err
    # The good notebook was executed in place with the override, in its one parameters cell ...
    ok = nbformat.read(nbdir / "00_ok.ipynb", as_version=4)
    assert "seed 5" in "".join(o.get("text", "") for c in ok.cells for o in c.get("outputs", []))
    tagged = [c for c in ok.cells if {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
    assert len(tagged) == 1 and 'overrides = ["seed=5"]' in tagged[0].source
    # ... the failing one is unchanged and its executed copy is in the run logs ...
    assert (nbdir / "01_bad.ipynb").read_text() == original_bad
    assert (isolated_root / "data" / "run_logs" / "01_bad.failed.ipynb").is_file()
    # ... and the pipeline stopped before the third.
    assert not (nbdir / "ran.txt").exists()


def test_bad_override_fails_before_any_notebook(isolated_root: Path, capsys):
    assert main(["run", "classify.batchsize=3"]) == 2
    assert "Did you mean 'classify.batch_size'" in capsys.readouterr().err


def test_timings_are_recorded(isolated_root: Path):
    nbdir = isolated_root / "notebooks"
    for p in nbdir.glob("*.ipynb"):
        p.unlink()
    _notebook(nbdir / "00_ok.ipynb", "1 + 1")
    cli.run_pipeline()
    timings = json.loads((isolated_root / "data" / "run_logs" / "timings.json").read_text())
    assert list(timings["notebooks"]) == ["00_ok.ipynb"]


@pytest.mark.integration
def test_data_notebook_executes_on_aic(isolated_root: Path, aic_root: Path):
    out = execute_notebook(isolated_root, "00")
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    images = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if {"image/png", "image/jpeg"} & set(o.get("data", {}))
    ]
    assert len(images) >= 3
    assert (isolated_root / "data" / "processed" / "aic_paintings" / "splits.csv").is_file()
    assert (isolated_root / "images" / "00_data" / "label_distribution.png").is_file()


def test_only_does_not_swallow_overrides(isolated_root: Path):
    nbdir = isolated_root / "notebooks"
    for p in nbdir.glob("*.ipynb"):
        p.unlink()
    _notebook(
        nbdir / "00_ok.ipynb",
        "from artdl.core.config import load_config\nprint('seed', load_config(config_name, overrides).seed)",
    )
    _notebook(nbdir / "01_other.ipynb", "raise RuntimeError('should not run')")
    assert main(["run", "--only", "00", "seed=11"]) == 0
    ok = nbformat.read(nbdir / "00_ok.ipynb", as_version=4)
    assert "seed 11" in "".join(o.get("text", "") for c in ok.cells for o in c.get("outputs", []))


def test_headless_progress_is_one_text_line_per_loop(isolated_root: Path):
    nbdir = isolated_root / "notebooks"
    for p in nbdir.glob("*.ipynb"):
        p.unlink()
    _notebook(
        nbdir / "00_bars.ipynb",
        "import artdl\nfrom tqdm.auto import tqdm, trange\n"
        "for _ in tqdm(range(300), desc='epochs'): pass\n"
        "for _ in trange(3, desc='inner', leave=False): pass",
    )
    assert main(["run"]) == 0
    nb = nbformat.read(nbdir / "00_bars.ipynb", as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert all(o.get("output_type") == "stream" and o.get("name") == "stdout" for o in outputs)
    text = "".join(o.get("text", "") for o in outputs)
    assert text.count("\n") == 1 and "epochs: 100%" in text and "300/300" in text
    assert "inner" not in text and "\r" not in text


def test_cell_timeout_per_notebook_replaces_the_global_limit():
    from omegaconf import OmegaConf

    run = OmegaConf.create({"timeout_per_cell": 600, "timeout_per_notebook": ["06:14400", "1:90"]})
    assert cli.cell_timeout(run, "06_gan.ipynb") == 14400
    assert cli.cell_timeout(run, "notebooks/01_crawl.ipynb") == 90
    assert cli.cell_timeout(run, "02_classify.ipynb") == 600
    bad = OmegaConf.create({"timeout_per_cell": 600, "timeout_per_notebook": ["06=14400"]})
    with pytest.raises(ValueError, match="NN:seconds"):
        cli.cell_timeout(bad, "06_gan.ipynb")


def test_override_file_becomes_checked_dotlist_overrides(tmp_path: Path):
    from artdl.core import ConfigKeyError, load_config

    good = tmp_path / "small.yaml"
    good.write_text(
        "gan:\n  resolution: 16\n  dcgan:\n    steps: 3\ncrawl:\n  base_url: fixture\n  styles: [a, b]\n"
        "classify:\n  weights_path: null\n"
    )
    overrides = cli.overrides_from_file(good)
    assert "gan.dcgan.steps=3" in overrides and 'crawl.styles=["a", "b"]' in overrides
    cfg = load_config("full", overrides)
    assert cfg.gan.resolution == 16 and cfg.gan.dcgan.steps == 3 and cfg.crawl.styles == ["a", "b"]
    assert cfg.classify.weights_path is None and cfg.gan.z_dim == load_config("full").gan.z_dim
    bad = tmp_path / "typo.yaml"
    bad.write_text("gan:\n  resolutoin: 16\n")
    with pytest.raises(ConfigKeyError, match="resolution"):
        load_config("full", cli.overrides_from_file(bad))


def _run_cell(source: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, colab: bool) -> tuple[list, list]:
    """Execute the Colab cell with subprocess.run and os.chdir recorded instead of done."""
    import os
    import subprocess
    import sys
    import types

    calls: list = []
    moves: list = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setattr(os, "chdir", moves.append)
    monkeypatch.setattr(os.path, "isdir", lambda p: False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.setenv("ARTDL_ROOT", "unchanged")  # restored after the test, whatever the cell sets
    monkeypatch.setattr(sys, "path", list(sys.path))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "colab_cell", "exec"), {"__name__": "__main__"})  # noqa: S102 - our own template
    return calls, moves


def test_colab_cell_does_nothing_outside_colab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import os
    import sys

    source = cli.colab_setup_cell()
    path = list(sys.path)
    calls, moves = _run_cell(source, monkeypatch, tmp_path, colab=False)
    assert calls == [] and moves == [] and sys.path == path and os.environ["ARTDL_ROOT"] == "unchanged"
    # It runs before artdl is importable, so it must not import it.
    assert "import artdl" not in source and "from artdl" not in source


def test_colab_cell_clones_installs_and_enters_the_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import os
    import sys

    source = cli.colab_setup_cell("https://github.com/someone/artdl-fork", branch="dev")
    calls, moves = _run_cell(source, monkeypatch, tmp_path, colab=True)
    assert calls[0][:2] == ["git", "clone"] and "https://github.com/someone/artdl-fork" in calls[0]
    assert "dev" in calls[0] and calls[1][1:4] == ["-m", "pip", "install"]
    assert moves == ["/content/artdl/notebooks"] and sys.path[0] == "/content/artdl/src"
    assert os.environ["ARTDL_ROOT"] == "/content/artdl"
    badge = cli.colab_badge("notebooks/02_classify.ipynb", "https://github.com/someone/artdl-fork", "dev")
    assert "colab.research.google.com/github/someone/artdl-fork/blob/dev/notebooks/02_classify.ipynb" in badge
