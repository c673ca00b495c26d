"""The Markdown pieces every step's report module shares: tables, intervals, the provenance line.

They live in a module of their own, not in the package's ``__init__``, so that the step modules
import them without importing their own package (a cycle that no import checker can see once the
package loads its modules at run time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from artdl.core import Record

__all__ = ["ci", "context_line", "md_table"]


def ci(value: float, low: float, high: float, digits: int = 3) -> str:
    """``0.612 [0.581, 0.642]``: a value with its 95 % interval, all to the same digits.

    Bounds one digit shorter than the value could print a bound on the wrong side of it: 0.556
    with a low bound of 0.5558 read "0.556 [0.56, ...]"."""
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def md_table(rows: Sequence[Sequence[Any]], header: Sequence[str], align: str = "") -> str:
    """A Markdown table; ``align`` is one character per column, ``l`` or ``r`` (default left)."""
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def context_line(record: Record) -> str:
    """One line that says where the numbers come from: config, hardware, date."""
    p = record.provenance
    return (
        f"_Config `{p.config}` (digest `{p.config_digest}`), {p.hardware}, torch {p.torch}, {p.date[:10]}; "
        f"from `results/{record.NOTEBOOK}.json`._"
    )
