"""The pipeline runner: execute the numbered notebooks in order, in place, with outputs.

Each notebook gets the config name and the overrides as papermill parameters, so a notebook run
by the pipeline and one run by hand in Jupyter read the same configuration. A notebook is only
replaced when it ran to the end: a failed run is saved beside the other run logs and the
committed notebook stays as it was.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from artdl.paths import project_root, resolve

__all__ = ["NotebookFailed", "NotebookResult", "discover_notebooks", "run_notebook", "run_pipeline"]

NOTEBOOK_PATTERN = re.compile(r"^(\d{2})_.+\.ipynb$")


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook, the cell and the error."""


@dataclass
class NotebookResult:
    name: str
    seconds: float
    output: Path


def discover_notebooks(
    notebooks_dir: str | os.PathLike[str], only: Sequence[str] | None = None
) -> list[Path]:
    """``NN_*.ipynb`` in ``notebooks_dir``, sorted by number; ``only`` keeps the given prefixes."""
    folder = resolve(notebooks_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"Notebook folder {folder} does not exist.")
    found = sorted(p for p in folder.iterdir() if NOTEBOOK_PATTERN.match(p.name))
    if only:
        wanted = {o.zfill(2) if o.isdigit() else o for o in only}
        found = [p for p in found if p.name[:2] in wanted or p.stem in wanted or p.name in wanted]
        if not found:
            raise FileNotFoundError(f"No notebook matches --only {' '.join(only)} in {folder}.")
    return found


def _kernel_env() -> dict[str, str]:
    """The notebook kernel imports ``artdl`` from this checkout, whatever else is installed."""
    root = project_root()
    env = dict(os.environ)
    env["ARTDL_ROOT"] = str(root)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), env.get("PYTHONPATH", "")]))
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def run_notebook(
    path: Path,
    config_name: str = "default",
    overrides: Sequence[str] = (),
    output: Path | None = None,
    kernel: str = "python3",
    timeout_per_cell: int = 1800,
    log_output: bool = False,
    progress: bool = True,
) -> NotebookResult:
    """Execute one notebook with papermill; write it to ``output`` (in place by default) on success.

    On failure the executed copy goes to ``data/run_logs/<name>`` and :class:`NotebookFailed`
    says which cell raised what.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    output = output or path
    logs = resolve("data/run_logs")
    logs.mkdir(parents=True, exist_ok=True)
    tmp_out = logs / f".{path.stem}.running.ipynb"
    started = time.perf_counter()
    old_env = dict(os.environ)
    os.environ.update(_kernel_env())
    try:
        pm.execute_notebook(
            str(path),
            str(tmp_out),
            parameters={"config_name": config_name, "overrides": list(overrides)},
            kernel_name=kernel,
            cwd=str(path.parent),
            execution_timeout=timeout_per_cell,
            log_output=log_output,
            progress_bar=progress,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as err:
        failed = logs / f"{path.stem}.failed.ipynb"
        if tmp_out.exists():
            os.replace(tmp_out, failed)
        raise NotebookFailed(
            f"{path.name} failed in cell {err.cell_index} (execution count {err.exec_count}): "
            f"{err.ename}: {err.evalue}\nThe executed copy with the traceback is {failed}; "
            f"{path.name} itself was left unchanged."
        ) from None
    except BaseException:
        if tmp_out.exists():
            tmp_out.unlink()
        raise
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    output.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp_out, output)
    return NotebookResult(path.name, time.perf_counter() - started, output)


def run_pipeline(
    config_name: str = "default",
    overrides: Sequence[str] = (),
    only: Sequence[str] | None = None,
    output_dir: str | None = None,
) -> list[NotebookResult]:
    """Run every numbered notebook in order; stop at the first failure. Prints a timing table."""
    from artdl.config import load_config

    cfg = load_config(config_name, overrides)  # fail fast on a bad key, before any notebook starts
    notebooks = discover_notebooks(cfg.run.notebooks_dir, only)
    results: list[NotebookResult] = []
    total = len(notebooks)
    print(f"artdl run: {total} notebook(s), config={config_name}, overrides={list(overrides) or 'none'}")
    for i, nb in enumerate(notebooks, 1):
        print(f"[{i}/{total}] {nb.name} ...", flush=True)
        out = resolve(output_dir) / nb.name if output_dir else None
        result = run_notebook(
            nb,
            config_name,
            overrides,
            output=out,
            kernel=str(cfg.run.kernel),
            timeout_per_cell=int(cfg.run.timeout_per_cell),
            log_output=bool(cfg.run.log_output),
            progress=sys.stderr.isatty(),
        )
        results.append(result)
        print(f"[{i}/{total}] {nb.name} done in {result.seconds:.1f} s", flush=True)
    _write_timings(results, config_name)
    print("\n| notebook | seconds |\n|---|---:|")
    for r in results:
        print(f"| {r.name} | {r.seconds:.1f} |")
    print(f"| **total** | {sum(r.seconds for r in results):.1f} |")
    return results


def _write_timings(results: Sequence[NotebookResult], config_name: str) -> None:
    import datetime
    import json
    import platform

    from artdl.utils import atomic_path

    path = project_root() / "data" / "run_logs" / "timings.json"
    record = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "config": config_name,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "notebooks": {r.name: round(r.seconds, 1) for r in results},
    }
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2))
