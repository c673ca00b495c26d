"""One source for every reported number: the results file a notebook run writes.

Each notebook ends by calling :func:`write_results` with the numbers it measured. The file
``results/<notebook>.json`` (e.g. ``results/02_classify.json``) is committed with the executed
notebook. The notebook's Findings cell and the README's result tables are both rendered from it
by :mod:`artdl.report`, so a number is typed by a run, never by hand, and cannot drift between
the notebook, the README and the run that produced it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from artdl.core.paths import MissingArtifactError, results_dir
from artdl.core.utils import atomic_path

__all__ = ["environment", "load_results", "results_path", "write_results"]

RESULTS_DIR = "results"


def results_path(notebook: str, config_name: str = "default") -> Path:
    """``results/<notebook>.json`` for the default config, ``results/<notebook>.<config>.json`` else.

    ``notebook`` is e.g. ``"02_classify"``. A ``full`` run thus sits beside the committed CPU
    default run instead of overwriting it, and the README can show both.
    """
    stem = Path(notebook).stem
    name = stem if config_name in ("", "default") else f"{stem}.{Path(config_name).stem}"
    return results_dir() / f"{name}.json"


def environment() -> dict[str, Any]:
    """Hardware, library versions and date: what a reader needs to judge a number."""
    import torch

    if torch.cuda.is_available():
        hardware = torch.cuda.get_device_name(0)
    else:
        hardware = f"CPU ({os.cpu_count()} cores, {platform.machine()})"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "hardware": hardware,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def _config_digest(cfg: Any) -> tuple[str, dict[str, Any]]:
    """A short hash of the whole merged config, and the config itself as plain data."""
    from omegaconf import DictConfig, OmegaConf

    plain = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    text = json.dumps(plain, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12], plain


def _clean(value: Any) -> Any:
    """JSON-safe values: numpy scalars and arrays become Python numbers and lists, NaN becomes None."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays, torch tensors
        return _clean(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return value.as_posix()
    return value


def write_results(
    notebook: str,
    metrics: Mapping[str, Any],
    cfg: Any = None,
    config_name: str = "default",
    sections: tuple[str, ...] = (),
) -> Path:
    """Write ``results/<notebook>.json`` atomically and return its path.

    ``metrics`` is any JSON-able mapping (numpy values are converted). The file also records the
    config name, a digest of the merged config, the config keys that ``sections`` names (e.g.
    ``("classify", "data")``), hardware, library versions and the date.
    """
    record: dict[str, Any] = {"notebook": Path(notebook).stem, "config": config_name}
    if cfg is not None:
        digest, plain = _config_digest(cfg)
        record["config_digest"] = digest
        record["settings"] = {s: plain.get(s) for s in sections if s in plain}
    record["environment"] = environment()
    record["metrics"] = _clean(dict(metrics))
    path = results_path(notebook, config_name)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n")
    return path


def load_results(notebook: str, config_name: str = "default") -> dict[str, Any]:
    """The record written by :func:`write_results`; a clear error names the notebook to run."""
    path = results_path(notebook, config_name)
    if not path.is_file():
        stem = Path(notebook).stem
        raise MissingArtifactError(
            f"{RESULTS_DIR}/{path.name} does not exist yet. It is written by notebooks/{stem}.ipynb: "
            f"run `python -m artdl run --only {stem[:2]} --config {config_name}` first."
        )
    return json.loads(path.read_text())
