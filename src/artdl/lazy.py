"""Names a module re-exports without importing them until first use (a PEP 562 ``__getattr__``).

Why lazily: ``artdl.data`` keeps the names that moved to ``artdl.splits``, ``artdl.image_cache``
and ``artdl.loaders`` importable without loading torch for every reader of a table, and
``artdl.crawl`` keeps its runner (and pandas) out of the Scrapy child process. So this module
imports nothing heavy itself: only :mod:`importlib`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    module_name: str, names: Mapping[str, str], submodules: Iterable[str] = ()
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``module_name``, imported on first access.

    ``names`` maps an attribute to the module that defines it (``"load_splits": "artdl.splits"``);
    ``submodules`` are children of ``module_name`` returned as modules (``artdl.crawl.runner``).
    Any other name raises the usual :class:`AttributeError`.
    """
    children = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(names[name]), name)
        if name in children:
            return importlib.import_module(f"{module_name}.{name}")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
