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
    assert main(["run", "data.batchsize=3"]) == 2
    assert "Did you mean 'data.batch_size'" in capsys.readouterr().err


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
