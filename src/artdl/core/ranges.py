"""Allowed ranges of the numeric config keys, checked at load and by every config object.

The typed schema (:mod:`artdl.core.config`) catches ``classify.epochs=two``, but not
``classify.epochs=-1``, which used to end in a ``KeyError`` deep inside notebook 02. One table,
:data:`RANGES`, says for each numeric key what it may be; :func:`check_ranges` applies it to a
whole config in :func:`artdl.core.load_config`, and :class:`SectionConfig` applies the same rows
to the small frozen config objects that the steps pass instead of long keyword lists. So a bad
value fails once, at the door, with one line: ``autoencode.epochs=-1: must be an integer >= 1``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from omegaconf import DictConfig, ListConfig, OmegaConf

__all__ = ["RANGES", "ConfigRangeError", "Range", "SectionConfig", "check_ranges", "check_value", "range_for"]


class ConfigRangeError(ValueError):
    """A config value is outside its key's allowed range (``classify.epochs=-1``)."""


@dataclasses.dataclass(frozen=True)
class Range:
    """An interval a number (or each number of a list) must lie in, plus words it may be instead."""

    lo: float | None = None
    hi: float | None = None
    integer: bool = False
    open_lo: bool = False  # lo itself excluded
    open_hi: bool = False  # hi itself excluded
    words: tuple[str, ...] = ()  # non-numeric values also allowed, e.g. ("auto",)

    def allows(self, value: Any) -> bool:
        if isinstance(value, str) and value in self.words:
            return True
        number = _number(value)
        if number is None or (self.integer and not float(number).is_integer()):
            return False
        if self.lo is not None and (number < self.lo or (self.open_lo and number == self.lo)):
            return False
        return self.hi is None or not (number > self.hi or (self.open_hi and number == self.hi))

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        if self.lo is not None and self.hi is not None:
            where = f"in {'(' if self.open_lo else '['}{_fmt(self.lo)}, {_fmt(self.hi)}{')' if self.open_hi else ']'}"
        elif self.lo is not None:
            where = f"{'>' if self.open_lo else '>='} {_fmt(self.lo)}"
        elif self.hi is not None:
            where = f"{'<' if self.open_hi else '<='} {_fmt(self.hi)}"
        else:
            where = ""
        words = " or ".join(self.words)
        return f"{words + ' or ' if words else ''}{kind} {where}".strip()


def _number(value: Any) -> float | None:
    """The value as a number, or None: a bool is not a count, and a word ("auto") is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


COUNT = Range(1, integer=True)  # something that must happen at least once
COUNT_OR_OFF = Range(0, integer=True)  # 0 = off, auto or all, as the key's comment in default.yaml says
POSITIVE = Range(0, open_lo=True)
NON_NEGATIVE = Range(0)
SHARE = Range(0, 1)  # a probability or a fraction
SHARE_BELOW_1 = Range(0, 1, open_hi=True)
SIDE = Range(16, integer=True)  # an image side in pixels

# (fnmatch pattern over the dotted key, range). The FIRST pattern that matches a key decides, so the
# exceptions come before the general rows. A numeric key with no row is unchecked, and
# tests/test_config.py fails for one in default.yaml: add its row here.
RANGES: tuple[tuple[str, Range], ...] = (
    # exceptions, where a negative or zero value means something (see default.yaml)
    ("classify.unfreeze_stages", Range(-1, integer=True)),  # -1 = the whole net
    ("data.split.near_duplicates", Range(-1, 64, integer=True)),  # bits of a 64-bit hash; -1 = off
    ("data.split.val", SHARE_BELOW_1),
    ("data.split.test", SHARE_BELOW_1),
    ("*.scratch.epochs", COUNT_OR_OFF),  # 0 = classify.epochs
    ("*head_epochs", COUNT_OR_OFF),  # 0 = no head phase
    ("crawl.limit", COUNT),
    ("vqgan_clip.size", Range(16, integer=True, words=("auto",))),
    ("classify.grad_accum", COUNT),
    ("distributed.nproc", COUNT),  # processes a notebook's training starts (torchrun); 1 = its own
    ("predict.top_k", COUNT),
    ("predict.max_pixels", COUNT),  # the size guard of a non-JPEG (tests set it small)
    ("predict.port", Range(1024, 65535, integer=True)),  # an unprivileged TCP port
    ("stats.resamples", Range(100, integer=True)),  # bootstrap resamples: fewer make the interval itself noisy
    ("stats.confidence", Range(0, 1, open_lo=True, open_hi=True)),
    ("datasets.*.workers", COUNT_OR_OFF),  # hub sets: threads that shrink images; 0 = one per core
    ("datasets.*.per_style", COUNT_OR_OFF),  # 0 = every painting
    ("datasets.*.short_side", SIDE),
    ("datasets.*.jpeg_quality", Range(1, 100, integer=True)),
    ("datasets.*.flush_every", COUNT),
    ("*tsne_iterations", Range(250, integer=True)),  # scikit-learn's minimum
    ("data.fetch.jpeg_quality", Range(1, 100, integer=True)),
    ("classify.crop_scale", Range(0, 1, open_lo=True)),
    # the statistics of every comparison (artdl.core.StatsConfig), and 06's bootstrap of its distances
    ("*bootstrap_resamples", Range(20, integer=True)),
    # seeds, threads, workers
    ("*seed", Range(0, 2**32 - 1, integer=True)),  # numpy's seed range
    ("*num_threads", COUNT_OR_OFF),
    ("*cpu_threads", COUNT_OR_OFF),
    ("*num_workers", COUNT_OR_OFF),
    ("*.workers", COUNT),
    # training lengths and batches
    ("*epochs", COUNT),  # also grid_every_epochs; a list of names (vqgan_clip.epochs) is not checked
    ("*.steps", COUNT),
    ("*.iterations", COUNT),
    ("*batch_size", COUNT),
    ("*scorecam_batch", COUNT),
    ("*n_critic", COUNT),
    # optimiser
    ("*lr", POSITIVE),
    ("*.lr_?", POSITIVE),
    ("*lr_mult", POSITIVE),
    ("*.warmup", SHARE_BELOW_1),
    ("*weight_decay", NON_NEGATIVE),
    ("*label_smoothing", SHARE_BELOW_1),
    ("*.betas", SHARE_BELOW_1),
    ("*ema_decay", SHARE_BELOW_1),
    ("*gp_lambda", NON_NEGATIVE),
    # image sizes
    ("*image_size", SIDE),
    ("*feature_size", SIDE),
    ("*cache_side", SIDE),
    ("*cpu_size", SIDE),
    ("*preview_size", SIDE),
    ("*.resolution", SIDE),
    ("*max_side", COUNT_OR_OFF),  # 0 = keep originals
    ("*thumb_size", COUNT_OR_OFF),  # 0 = auto
    # probabilities, fractions and noise
    ("*prob", SHARE),
    ("*heldout", Range(0, 1, open_lo=True, open_hi=True)),
    ("*color_jitter", SHARE),
    ("*noise_std", NON_NEGATIVE),
    ("vqgan_clip.noise", NON_NEGATIVE),
    # loss and re-rank weights
    ("*weight", NON_NEGATIVE),  # swae_weight, graph_weight, showcase_weight, init_weight
    ("retrieve.influence.weights", NON_NEGATIVE),  # the swept re-rank weights
    ("*repeat_penalty", NON_NEGATIVE),
    ("*triplet_margin", NON_NEGATIVE),
    ("*cut_pow", POSITIVE),
    # network shapes
    ("*latent_dim", COUNT),
    ("*.channels", COUNT),
    ("*z_dim", COUNT),
    ("gan.width", COUNT),
    ("*head_dim", COUNT),
    ("*swae_projections", COUNT),
    ("*tsne_perplexity", POSITIVE),
    # counts of things
    ("*.k", COUNT),
    ("*candidates", COUNT),
    ("*cutn", COUNT),
    ("*max_distance", COUNT),
    ("*positive_distance", COUNT),
    ("*triplets", COUNT),
    ("*negatives", COUNT),
    ("*walk_steps", COUNT),
    ("*grid_side", COUNT),
    ("*grid_size", COUNT),
    ("*dendrogram_n", Range(2, integer=True)),
    ("*n_samples", Range(2, integer=True)),  # a covariance needs two
    ("*kid_subset*", COUNT),
    ("*.neighbours", COUNT_OR_OFF),
    ("*n_images", COUNT_OR_OFF),
    ("*scorecam_images", COUNT_OR_OFF),  # 0 = no Score-CAM column in 02's grids
    ("*min_per_label", COUNT),
    ("crawl.fixture.per_style", COUNT),
    ("*layout_sample", COUNT),
    ("*exact_grid", COUNT),
    ("*classifier_max", COUNT_OR_OFF),  # 0 = all
    ("explorer.cam_quality", Range(1, 95, integer=True)),  # JPEG quality (PIL: above 95 only grows the file)
    ("*.limit", COUNT_OR_OFF),  # explorer: 0 = all
    ("*every", COUNT_OR_OFF),  # save_every, checkpoint_every: 0 = none
    ("*fps", COUNT),
    # network politeness and patience (01, data fetch)
    ("*concurrency", POSITIVE),
    ("*retries", COUNT_OR_OFF),
    ("*delay", NON_NEGATIVE),
    ("*backoff*", NON_NEGATIVE),
    ("*timeout*", POSITIVE),
    ("*selenium_wait", POSITIVE),
    ("*max_clicks", COUNT_OR_OFF),
)


@functools.cache
def _compiled() -> tuple[tuple[re.Pattern[str], Range], ...]:
    return tuple((re.compile(fnmatch.translate(p)), r) for p, r in RANGES)


@functools.lru_cache(maxsize=4096)
def range_for(key: str) -> Range | None:
    """The range of a dotted key (the first matching row of :data:`RANGES`), or None."""
    return next((r for pattern, r in _compiled() if pattern.match(key)), None)


def check_value(key: str, value: Any) -> None:
    """Raise :class:`ConfigRangeError` naming the key, the value and the range, if it is outside.

    A list is checked item by item; None (a null key: "not set") and values of keys without a
    range pass. Words pass unless the key's range lists words, as ``vqgan_clip.size: auto`` does.
    """
    rule = range_for(key)
    if rule is None or value is None:
        return
    items = list(value) if isinstance(value, (list, tuple, ListConfig)) else [value]
    checked = [v for v in items if rule.words or _number(v) is not None or not isinstance(v, str)]
    if all(rule.allows(v) for v in checked):
        return
    shown = OmegaConf.to_container(value) if isinstance(value, ListConfig) else value
    shown = list(shown) if isinstance(shown, tuple) else shown
    each = "every item must be" if isinstance(shown, list) else "must be"
    raise ConfigRangeError(f"{key}={shown}: {each} {rule.describe()}")


def _leaves(cfg: Mapping[str, Any] | DictConfig, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in cfg.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, (Mapping, DictConfig)):
            out.extend(_leaves(value, path))
        else:
            out.append((path, value))
    return out


def check_ranges(cfg: Mapping[str, Any] | DictConfig, prefix: str = "") -> None:
    """Check every leaf of a config (or of a section, named by ``prefix``) against :data:`RANGES`."""
    for key, value in _leaves(cfg, prefix):
        check_value(key, value)


_C = TypeVar("_C", bound="SectionConfig")


@dataclasses.dataclass(frozen=True)
class SectionConfig:
    """Base of the small frozen config objects (``AutoencoderConfig.from_cfg(cfg.autoencode)``).

    A subclass names its ``SECTION`` and, where a field's name differs from its key, maps the
    field to the key (dotted below the section) in ``KEYS``. Building one, from a config or by
    hand in a test, checks each field against :data:`RANGES` under its config key, so the object
    and ``load_config`` can never disagree on what is allowed. Lists become tuples (frozen).
    """

    SECTION: ClassVar[str] = ""
    KEYS: ClassVar[Mapping[str, str]] = {}

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (list, ListConfig)):
                value = tuple(value)
                object.__setattr__(self, f.name, value)
            check_value(self.key_of(f.name), value)

    @classmethod
    def key_of(cls, field_name: str) -> str:
        """The full dotted config key a field is read from, as error messages name it."""
        return f"{cls.SECTION}.{cls.KEYS.get(field_name, field_name)}"

    @classmethod
    def from_cfg(cls: type[_C], section: Mapping[str, Any] | DictConfig, **overrides: Any) -> _C:
        """Build from a config section; ``overrides`` set fields by name (``k=K - 1``).

        A key missing from the section keeps the field's default, so an older config still builds.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {sorted(unknown)}; its fields: {sorted(names)}")
        values: dict[str, Any] = {}
        for name in names - set(overrides):
            found, value = _lookup(section, cls.KEYS.get(name, name))
            if found:
                values[name] = value
        return cls(**values, **overrides)


def _lookup(section: Mapping[str, Any] | DictConfig, dotted: str) -> tuple[bool, Any]:
    node: Any = section
    for part in dotted.split("."):
        if not isinstance(node, (Mapping, DictConfig)) or part not in node:
            return False, None
        node = node[part]
    if isinstance(node, (ListConfig, DictConfig)):
        node = OmegaConf.to_container(node, resolve=True)
    return True, node
