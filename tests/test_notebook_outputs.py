"""The committed, executed notebooks read well on GitHub (issue: clean executed outputs).

These tests read the notebooks as committed; they run nothing. A re-run that brings back a widget
progress bar, a stderr fragment, a warning, an absolute path or a second parameters cell fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ABSOLUTE = re.compile(r"(?<![\w.])/(?:work|home|root|tmp|Users|opt|usr/local)/[\w.-]+")
WARNING = re.compile(r"\bWARNING\b|\bWarning:|warnings\.warn")


def _outputs(nb: nbformat.NotebookNode) -> list[tuple[int, dict]]:
    return [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.get("outputs", [])]


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return (
        str(data.get("text/plain", "")) + str(data.get("text/markdown", "")) + str(data.get("text/html", ""))
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_executed_outputs_are_clean(path: Path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for i, out in _outputs(nb):
        if out.get("output_type") == "error":
            problems.append(f"cell {i}: error output")
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            problems.append(f"cell {i}: stderr {out.get('text', '')[:80]!r}")
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
            problems.append(f"cell {i}: ipywidget output")
        text = _text(out)
        if WARNING.search(text):
            problems.append(f"cell {i}: warning {WARNING.search(text).group(0)!r}")
        if ABSOLUTE.search(text):
            problems.append(f"cell {i}: absolute path {ABSOLUTE.search(text).group(0)!r}")
    assert not problems, f"{path.name}: " + "; ".join(problems[:10])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_and_a_findings_cell(path: Path):
    nb = nbformat.read(path, as_version=4)
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert tags.count("parameters") == 1 and "injected-parameters" not in tags
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "show_findings(" in code, f"{path.name} has no computed Findings cell"
    assert any("Exercises" in c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_figures_are_compact(path: Path):
    """Inline images as JPEG, or PNG under 150 kB each; the notebook under 2 MB."""
    nb = nbformat.read(path, as_version=4)
    for i, out in _outputs(nb):
        png = out.get("data", {}).get("image/png")
        if png:
            assert len(png) * 3 / 4 < 150_000, f"{path.name} cell {i}: a {len(png) * 3 // 4 // 1000} kB PNG"
    assert path.stat().st_size < 2_000_000


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_metadata_names_no_machine_paths(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    text = str(nb.metadata)
    assert not ABSOLUTE.search(text), f"{path.name}: {ABSOLUTE.search(text).group(0)} in notebook metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opens_in_colab_and_sets_itself_up_there_first(path: Path):
    """The title cell carries this notebook's own badge, and the first code cell is the Colab setup
    (clone + install in Colab, nothing elsewhere), before anything imports artdl."""
    from artdl.cli import colab_badge, colab_setup_cell

    nb = nbformat.read(path, as_version=4)
    assert colab_badge(path.name) in nb.cells[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source.strip() == colab_setup_cell().strip()
    assert not code[0].get("outputs"), "outside Colab the setup cell prints nothing"
