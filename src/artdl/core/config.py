"""Configuration: omegaconf YAML files in ``configs/`` plus dot-list overrides.

``configs/default.yaml`` is the complete schema and the CPU default. Every other file
(``configs/full.yaml``) and every override may only change keys that exist there, so a typo is
caught at once with the closest valid key, instead of being silently ignored.

The schema is typed: each key takes the type of its value in ``default.yaml`` (int, float, bool,
str, list; ``null`` means any), turned into dataclasses and merged by OmegaConf in struct mode.
So ``classify.epochs=two`` fails at load time with the key's name instead of deep inside a
training loop, and code reads ``cfg.classify.epochs`` as an int without casting it. Values are
then checked against the allowed ranges of :data:`artdl.core.ranges.RANGES`, so
``classify.epochs=-1`` fails at load too, naming the key, the value and the range.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import ValidationError

from artdl.core import paths
from artdl.core.paths import resolve
from artdl.core.ranges import check_ranges

__all__ = ["ConfigKeyError", "ConfigTypeError", "available_configs", "flat_keys", "load_config", "to_yaml"]

# Keys under these mappings are user-extensible: a new data set or prompt preset is not a typo.
OPEN_SECTIONS = ("datasets", "vqgan_clip.presets", "vqgan_clip.checkpoints")


class ConfigKeyError(KeyError):
    """A config file or override names a key that the default config does not have."""

    def __str__(self) -> str:  # KeyError quotes its message; show it as written.
        return str(self.args[0])


def _config_dir() -> Path:
    return resolve("configs")


def available_configs() -> list[str]:
    """Names of the YAML files in ``configs/`` (without extension)."""
    return sorted(p.stem for p in _config_dir().glob("*.yaml"))


def flat_keys(cfg: DictConfig | ListConfig | Any, prefix: str = "") -> list[str]:
    """All dotted key paths of a config, mappings and leaves alike."""
    keys: list[str] = []
    if isinstance(cfg, DictConfig):
        for k in cfg.keys():
            path = f"{prefix}.{k}" if prefix else str(k)
            keys.append(path)
            keys.extend(flat_keys(cfg._get_node(k), path))
    return keys


def _is_open(path: str) -> bool:
    """True for keys below a user-extensible section, e.g. ``datasets.my_crawl.root``."""
    return any(path.startswith(section + ".") for section in OPEN_SECTIONS)


def _check_keys(candidate: DictConfig, schema_keys: set[str], source: str) -> None:
    for key in flat_keys(candidate):
        if key in schema_keys or _is_open(key):
            continue
        close = difflib.get_close_matches(key, sorted(schema_keys), n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigKeyError(
            f"Unknown config key '{key}' in {source}.{hint} Valid keys are listed in configs/default.yaml."
        )


class ConfigTypeError(ValueError):
    """A config value has the wrong type for its key (``classify.epochs=two``)."""


def _leaf_type(value: Any) -> Any:
    if isinstance(value, str) and "${" in value:
        return Any  # an interpolation takes the type of what it points to
    if isinstance(value, bool):
        return bool
    if isinstance(value, int):
        return int
    if isinstance(value, float):
        return float
    if isinstance(value, str):
        return str
    return Any


def _schema_class(node: dict[str, Any], path: str) -> type:
    """A dataclass whose fields have the types of ``node``'s values; open sections stay dicts."""
    fields = []
    for key, value in node.items():
        child = f"{path}.{key}" if path else str(key)
        if isinstance(value, dict) and not any(child == s for s in OPEN_SECTIONS):
            typ = _schema_class(value, child)
            fields.append((str(key), typ, dataclasses.field(default_factory=typ)))
        elif isinstance(value, dict):
            fields.append((str(key), dict[str, Any], dataclasses.field(default_factory=dict)))
        elif isinstance(value, list):
            fields.append((str(key), list[Any], dataclasses.field(default_factory=list)))
        else:
            # Optional: null stays allowed (full.yaml uses it for "none", e.g. no weights file).
            typ = Optional[_leaf_type(value)]  # noqa: UP045 - omegaconf reads typing.Optional
            fields.append((str(key), typ, dataclasses.field(default=value)))
    name = "".join(part.title().replace("_", "") for part in path.split(".")) or "Root"
    return dataclasses.make_dataclass(f"{name}Config", fields)


@functools.lru_cache(maxsize=4)
def _schema(default_path: Path, mtime: float) -> type:
    raw = OmegaConf.to_container(OmegaConf.load(default_path), resolve=False)
    return _schema_class(raw, "")


def _typed_merge(layers: list[DictConfig], default_path: Path) -> DictConfig:
    schema = OmegaConf.structured(_schema(default_path, default_path.stat().st_mtime))
    try:
        return OmegaConf.merge(schema, *layers)
    except ValidationError as err:
        key = getattr(err, "full_key", "") or "?"
        raise ConfigTypeError(
            f"Config key '{key}' has the wrong type: {err.msg.splitlines()[0]}. "
            f"Its type is that of its value in configs/default.yaml."
        ) from None


def _parse_overrides(overrides: Sequence[str]) -> DictConfig:
    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise ValueError(f"Overrides must look like key=value (e.g. classify.epochs=3); got {bad!r}.")
    return OmegaConf.from_dotlist(list(overrides))


def load_config(name: str = "default", overrides: Iterable[str] | None = None) -> DictConfig:
    """Load ``configs/default.yaml``, merge ``configs/<name>.yaml`` on top, then the overrides.

    ``name`` may also be a path to a YAML file. Overrides are omegaconf dot-list strings such as
    ``["classify.epochs=2", "data.split.seed=1"]``. Interpolations are resolved, so the result is
    plain values, each checked against its allowed range
    (:class:`artdl.core.ranges.ConfigRangeError` names the key, the value and the range).
    """
    cfg_dir = _config_dir()
    default_path = cfg_dir / "default.yaml"
    if not default_path.is_file():
        raise FileNotFoundError(f"{default_path} is missing: run from an artdl checkout.")
    base = OmegaConf.load(default_path)
    schema_keys = set(flat_keys(base))
    layers = [base]
    if name and name != "default":
        path = Path(name) if name.endswith((".yaml", ".yml")) else cfg_dir / f"{name}.yaml"
        path = resolve(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"Config '{name}' not found at {path}. Available: {', '.join(available_configs())}."
            )
        layer = OmegaConf.load(path)
        _check_keys(layer, schema_keys, str(path))
        layers.append(layer)
    overrides = list(overrides or [])
    if overrides:
        layer = _parse_overrides(overrides)
        _check_keys(layer, schema_keys, "the overrides")
        layers.append(layer)
    cfg = _typed_merge(layers, default_path)
    OmegaConf.resolve(cfg)
    check_ranges(cfg)
    cfg._metadata.object_type = None
    OmegaConf.set_readonly(cfg, False)
    paths.configure(cfg.paths)
    return cfg


def to_yaml(cfg: DictConfig) -> str:
    """The config as YAML, for printing at the top of a notebook run."""
    return OmegaConf.to_yaml(cfg)
