"""The pipeline runner: execute the numbered notebooks in order, in place, with outputs.

Each notebook gets the config name and the overrides as papermill parameters, so a notebook run
by the pipeline and one run by hand in Jupyter read the same configuration. A notebook is only
replaced when it ran to the end: a failed run is saved beside the other run logs and the
committed notebook stays as it was.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artdl.core import data_dir, project_root, relative, resolve

__all__ = [
    "COLAB_REPOSITORY",
    "NotebookFailed",
    "NotebookResult",
    "cell_timeout",
    "colab_badge",
    "colab_setup_cell",
    "discover_notebooks",
    "overrides_from_file",
    "run_notebook",
    "run_pipeline",
]

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


def cell_timeout(run_cfg: Any, notebook: str) -> int:
    """Seconds a cell of ``notebook`` may run: its ``run.timeout_per_notebook`` entry ("NN:seconds"),
    else ``run.timeout_per_cell``.

    One limit for every cell is either too short for the GPU run's long cells (a crawl, a GAN's
    training) or too long to catch a hung one anywhere else, so ``configs/full.yaml`` names its few
    long notebooks.
    """
    limit = int(run_cfg.timeout_per_cell)
    for entry in run_cfg.get("timeout_per_notebook") or []:
        prefix, sep, seconds = str(entry).partition(":")
        if not sep or not prefix.strip().isdigit() or not seconds.strip().isdigit():
            raise ValueError(
                f"run.timeout_per_notebook entry {entry!r} is not 'NN:seconds' (e.g. \"06:14400\")."
            )
        if Path(notebook).name[:2] == prefix.strip().zfill(2):
            limit = int(seconds)
    return limit


def overrides_from_file(path: str | os.PathLike[str]) -> list[str]:
    """A YAML file of config keys as dot-list overrides, to be laid over a named config.

    ``python -m artdl run --config full`` plus such a file is the GPU run shrunk to minutes (the
    smoke test of ``full``): same keys, smaller sizes, with the file's keys checked like any override.
    """
    from omegaconf import DictConfig, OmegaConf

    from artdl.core import flat_keys

    layer = OmegaConf.load(resolve(path))
    overrides = []
    for key in flat_keys(layer):
        value = OmegaConf.select(layer, key)
        if isinstance(value, DictConfig):
            continue  # a section: its leaves follow
        plain = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
        overrides.append(f"{key}={json.dumps(plain)}")  # JSON is YAML: strings stay strings, null stays null
    return overrides


def _kernel_env() -> dict[str, str]:
    """The notebook kernel imports ``artdl`` from this checkout, whatever else is installed."""
    root = project_root()
    env = dict(os.environ)
    env["ARTDL_ROOT"] = str(root)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), env.get("PYTHONPATH", "")]))
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env["ARTDL_HEADLESS"] = "1"  # artdl.core.progress: one text line per loop instead of a widget
    return env


def _local_kernel_manager() -> type:
    from jupyter_client.manager import AsyncKernelManager

    class _LocalKernelManager(AsyncKernelManager):
        """A kernel on a Unix socket (IPC) instead of TCP ports.

        The kernel only ever talks to this process, and over TCP every notebook start prints
        ipykernel's "running over TCP without encryption" warning into the ``make run`` console.
        """

        def __init__(self, **kwargs: Any) -> None:
            import tempfile

            kwargs.setdefault("transport", "ipc")
            # The sockets go to a private temporary folder: by default they are named
            # kernel-ipc-N in the working directory, where two runs at once would collide.
            self._socket_dir = tempfile.mkdtemp(prefix="artdl-kernel-")
            kwargs.setdefault("ip", os.path.join(self._socket_dir, "kernel"))
            super().__init__(**kwargs)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            import shutil

            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._socket_dir, ignore_errors=True)

    return _LocalKernelManager


def __getattr__(name: str) -> Any:  # jupyter_client is imported only when a notebook runs
    if name == "LocalKernelManager":
        return _local_kernel_manager()
    raise AttributeError(name)


def _with_parameters(nb: Any, parameters: dict[str, Any]) -> Any:
    """Write the run's parameters into the notebook's own ``parameters`` cell.

    papermill would add a second, ``injected-parameters`` cell; a committed notebook then shows
    two parameter cells, and papermill's line parser warns about commented lines. One cell with
    the values of this run is what a reader needs.
    """
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            lines = cell.source.splitlines()
            for name, value in parameters.items():
                pattern = re.compile(rf"^{name}\s*=.*$")
                new = f"{name} = {json.dumps(value)}"
                hits = [i for i, line in enumerate(lines) if pattern.match(line)]
                if hits:
                    lines[hits[0]] = new
                else:
                    lines.append(new)
            cell.source = "\n".join(lines)
            return nb
    raise NotebookFailed(
        "The notebook has no cell tagged 'parameters'; add one (see notebooks/00_data.ipynb)."
    )


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
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    output = output or path
    logs = data_dir() / "run_logs"
    logs.mkdir(parents=True, exist_ok=True)
    tmp_out = logs / f".{path.stem}.running.ipynb"
    tmp_in = logs / f".{path.stem}.input.ipynb"
    nb = _with_parameters(
        nbformat.read(path, as_version=4), {"config_name": config_name, "overrides": list(overrides)}
    )
    nbformat.write(nb, tmp_in)
    started = time.perf_counter()
    old_env = dict(os.environ)
    os.environ.update(_kernel_env())
    try:
        pm.execute_notebook(
            str(tmp_in),
            str(tmp_out),
            kernel_name=kernel,
            cwd=str(path.parent),
            execution_timeout=timeout_per_cell,
            log_output=log_output,
            progress_bar=progress,
            request_save_on_cell_execute=False,
            kernel_manager_class="artdl.cli.runner.LocalKernelManager",
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
        tmp_in.unlink(missing_ok=True)
    _clean_metadata(tmp_out)
    output.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp_out, output)
    return NotebookResult(path.name, time.perf_counter() - started, output)


def _clean_metadata(path: Path) -> None:
    """Drop what a committed notebook should not carry: papermill's absolute input/output paths
    (one machine's folders) and stale ipywidgets state."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    pm_meta = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        pm_meta.pop(key, None)
    nbformat.write(nb, path)


def run_pipeline(
    config_name: str = "default",
    overrides: Sequence[str] = (),
    only: Sequence[str] | None = None,
    output_dir: str | None = None,
) -> list[NotebookResult]:
    """Run every numbered notebook in order; stop at the first failure. Prints a timing table."""
    from artdl.core import load_config

    cfg = load_config(config_name, overrides)  # fail fast on a bad key, before any notebook starts
    notebooks = discover_notebooks(cfg.run.notebooks_dir, only)
    from artdl.data.fetch import datasets_needed, ensure_datasets

    # A clone without the local mirror: fetch the sets these notebooks read, before the first one.
    ensure_datasets(cfg, datasets_needed(cfg, notebooks))
    results: list[NotebookResult] = []
    total = len(notebooks)
    for i, nb in enumerate(notebooks, 1):
        # One console line per notebook: its name now, its time when it ends.
        print(f"[{i}/{total}] {nb.name} ...", end="", flush=True)
        out = resolve(output_dir) / nb.name if output_dir else None
        try:
            result = run_notebook(
                nb,
                config_name,
                overrides,
                output=out,
                kernel=cfg.run.kernel,
                timeout_per_cell=cell_timeout(cfg.run, nb.name),
                log_output=cfg.run.log_output,
                progress=False,
            )
        except BaseException:
            print(" failed", flush=True)
            raise
        results.append(result)
        print(f" {result.seconds:.1f} s", flush=True)
    path = _write_timings(results, config_name)
    print(
        f"{len(results)} notebook(s) in {sum(r.seconds for r in results):.1f} s (config {config_name}); "
        f"timings in {relative(path)}"
    )
    return results


def _write_timings(results: Sequence[NotebookResult], config_name: str) -> Path:
    import datetime
    import json
    import platform

    from artdl.core import atomic_path

    path = data_dir() / "run_logs" / "timings.json"
    record = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "config": config_name,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "notebooks": {r.name: round(r.seconds, 1) for r in results},
    }
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2))
    return path


# --- Colab ---------------------------------------------------------------------------------------

COLAB_REPOSITORY = "https://github.com/artdl/artdl"

_COLAB_CELL = '''# In Google Colab: clone artdl and install it (a few minutes, once per runtime). Anywhere else
# this cell does nothing. For the GPU run: Runtime > Change runtime type > GPU, then config_name = "full".
import os
import subprocess
import sys

if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    _root = "/content/artdl"
    if not os.path.isdir(_root):
        subprocess.run(["git", "clone", "--depth", "1", "--branch", {branch!r}, {repository!r}, _root], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", f"{{_root}}/requirements.txt"], check=True)
    os.environ["ARTDL_ROOT"] = _root
    sys.path.insert(0, f"{{_root}}/src")
    os.chdir(f"{{_root}}/notebooks")
'''


def colab_badge(notebook: str, repository: str = COLAB_REPOSITORY, branch: str = "main") -> str:
    """The markdown "Open in Colab" badge of ``notebooks/<notebook>`` for a notebook's first cell."""
    slug = repository.removeprefix("https://github.com/").removesuffix(".git")
    url = f"https://colab.research.google.com/github/{slug}/blob/{branch}/notebooks/{Path(notebook).name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def colab_setup_cell(repository: str = COLAB_REPOSITORY, branch: str = "main") -> str:
    """The source of a notebook's first code cell: in Colab it clones and installs artdl, elsewhere
    nothing.

    It runs before artdl can be imported, so it uses the standard library only. Colab is recognised
    by its ``google.colab`` module or its ``COLAB_RELEASE_TAG`` variable. ``sys.path`` gets the
    checkout's ``src`` directly: an editable install would only be seen after a kernel restart.
    """
    return _COLAB_CELL.format(repository=repository, branch=branch)
