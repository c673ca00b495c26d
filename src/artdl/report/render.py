"""How the report is put together: the step modules, their Findings, the README sections and the
``python -m artdl report`` command that writes (or, with ``--check``, verifies) them.

The step modules are listed by hand in :data:`MODULES` rather than discovered at run time, so that
every import is visible to ``lint-imports`` and to the cycle test, and a new module is added here
on purpose.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from artdl.core import MissingArtifactError, RecordError, load_record, project_root, resolve
from artdl.report import (
    archive,
    autoencode,
    benchmarks,
    classify,
    crawl,
    data,
    gan,
    retrieve,
    summary,
    vqgan_clip,
)
from artdl.report.markdown import context_line

# In name order: a later module's README section of the same name would win.
MODULES: tuple[ModuleType, ...] = (archive, autoencode, benchmarks, classify, crawl, data, gan, retrieve, summary, vqgan_clip)

_MARKER = re.compile(r"(<!-- results:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /results:(?P=name) -->)", re.S)


def _module_for(notebook: str) -> ModuleType:
    for module in MODULES:
        if hasattr(module, "RECORD") and module.RECORD.NOTEBOOK == Path(notebook).stem:
            return module
    raise KeyError(f"No report module for notebook {notebook!r} in artdl.report.")


def findings(notebook: str, config_name: str = "default") -> str:
    """The Markdown of a notebook's Findings, rendered from its results file for ``config_name``
    (a ``full`` run shows ``results/<notebook>.full.json``, not the CPU default's numbers)."""
    module = _module_for(notebook)
    record = load_record(module.RECORD, config_name)
    return module.findings(record).strip() + "\n\n" + context_line(record)


def show_findings(notebook: str, config_name: str = "default") -> None:
    """Display :func:`findings` as Markdown in a notebook (plain print elsewhere)."""
    text = findings(notebook, config_name)
    try:
        from IPython.display import Markdown, display

        display(Markdown(text))
    except ImportError:  # pragma: no cover - IPython ships with the notebook deps
        print(text)


def readme_sections() -> dict[str, str]:
    """Every generated README section by marker name, from the committed results files."""
    sections: dict[str, str] = {}
    for module in MODULES:
        if hasattr(module, "readme_sections"):
            sections.update(module.readme_sections())
        if hasattr(module, "readme") and hasattr(module, "RECORD"):
            try:
                record = load_record(module.RECORD)
            except MissingArtifactError:
                continue
            sections.update(module.readme(record))
    return sections


def update_readme(path: str | Path = "README.md", check: bool = False) -> list[str]:
    """Rewrite the marked sections of ``path``; return the names of sections that changed.

    With ``check=True`` nothing is written. A section with markers but no generator is an error,
    so a stale block cannot survive a renamed module.
    """
    readme = resolve(path)
    text = readme.read_text()
    sections = readme_sections()
    changed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in sections:
            raise KeyError(f"README section '{name}' has markers but no generator in artdl.report.")
        body = sections[name].strip() + "\n"
        if body != match.group("body"):
            changed.append(name)
        return match.group(1) + body + match.group(4)

    new_text = _MARKER.sub(replace, text)
    if changed and not check:
        readme.write_text(new_text)
    return changed


# show_findings("02_classify", ...) or show_findings(STEP, ...), the name assigned in another cell
_FINDINGS_CALL = re.compile(r"show_findings\(\s*(?:[\"'](?P<notebook>[\w.-]+)[\"']|(?P<variable>[A-Za-z_]\w*))")
_CONFIG_NAME = re.compile(r"^config_name\s*=\s*[\"'](?P<name>[\w.-]+)[\"']", re.M)


def _assigned(name: str, code: list[str]) -> str | None:
    """The last string literal assigned to ``name`` at the start of a line in the notebook's code."""
    pattern = re.compile(rf"^{re.escape(name)}\s*=\s*[\"'](?P<value>[\w.-]+)[\"']", re.M)
    values = [m.group("value") for src in code for m in pattern.finditer(src)]
    return values[-1] if values else None


def update_findings(path: str | Path, check: bool = False) -> bool:
    """Re-render the output of a committed notebook's Findings cell from the results files; return
    whether it differed.

    Why: the Findings cell only shows :func:`findings` of the results, so its output can fall behind
    them without any cell being wrong, e.g. when a separately run baseline is paired anew. This
    writes the output that re-executing that one cell would, and ``check=True`` (CI) fails instead.
    A notebook without a Findings cell, or not executed yet, is left alone.
    """
    import json

    notebook = resolve(path)
    nb = json.loads(notebook.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    configs = [m.group("name") for src in code for m in _CONFIG_NAME.finditer(src)]
    config_name = configs[-1] if configs else "default"  # papermill's injected cell comes last
    changed = False
    for cell in nb["cells"]:
        call = _FINDINGS_CALL.search("".join(cell["source"])) if cell["cell_type"] == "code" else None
        shown = [o for o in cell.get("outputs", []) if "text/markdown" in o.get("data", {})]
        if call is None or not shown:
            continue
        step = call.group("notebook") or _assigned(call.group("variable"), code)
        if step is None:  # a Findings cell that --check cannot read must fail, not pass unchecked
            raise ValueError(
                f"{notebook.name}: show_findings({call.group('variable')}, ...) names no notebook that "
                f"report can find: assign {call.group('variable')} = \"NN_name\" in a code cell."
            )
        text = findings(step, config_name)
        if "".join(shown[0]["data"]["text/markdown"]) != text:
            shown[0]["data"]["text/markdown"] = text.splitlines(keepends=True)
            changed = True
    if changed and not check:
        notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m artdl report [--check] [--file README.md]``: the README's and docs' result
    sections, and each committed notebook's Findings output, from the results files."""
    parser = argparse.ArgumentParser(prog="python -m artdl report", description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file differs from the results")
    parser.add_argument(
        "--file", action="append", help="files with result markers (default README.md, docs/*.md)"
    )
    args = parser.parse_args(argv)
    root = project_root()
    files = args.file or [
        "README.md",
        *sorted(str(p.relative_to(root)) for p in (root / "docs").glob("*.md")),
    ]
    stale: list[str] = []
    for name in files:
        try:
            changed = update_readme(name, check=args.check)
        except RecordError as err:  # a results file of another schema: say which notebook to re-run
            print(err, file=sys.stderr)
            return 2
        if changed:
            verb = "differs from the results in" if args.check else "rewrote"
            print(f"{name}: {verb} section(s) {', '.join(changed)}")
            stale.append(name)
    for notebook in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        name = str(notebook.relative_to(root))
        try:
            if update_findings(notebook, check=args.check):
                print(f"{name}: Findings output {'differs from' if args.check else 're-rendered from'} the results")
                stale.append(name)
        except MissingArtifactError as err:  # a notebook whose results are not committed
            print(f"{name}: {err}", file=sys.stderr)
    if args.check and stale:
        print("Run `python -m artdl report` and commit the result.", file=sys.stderr)
        return 1
    if not stale:
        print("README, docs and the notebooks' Findings match the results files.")
    return 0
