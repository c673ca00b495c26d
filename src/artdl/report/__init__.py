"""Findings cells and README tables, rendered from the results files (:mod:`artdl.core.results`).

Every step that reports numbers has a module here (``artdl.report.classify`` for 02 ...) with:

- ``RECORD``: the step's record class (e.g. :class:`artdl.classify.ClassificationRecord`), whose
  ``NOTEBOOK`` names the ``results/<notebook>.json`` it reads;
- ``findings(record) -> str``: the Markdown of that notebook's closing Findings cell, from the
  record's typed fields;
- ``readme(record) -> dict[str, str]`` (optional): README sections by name, each written between
  ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->`` by ``python -m artdl report``.

A module may also define ``readme_sections() -> dict[str, str]`` for tables that come from files
other than a results record (the data-set table comes from the manifests). A new module is listed
in :data:`artdl.report.render.MODULES`; the Markdown helpers the modules share are in
:mod:`artdl.report.markdown`.

``python -m artdl report --check`` fails when the README, or a committed notebook's Findings output
(:func:`update_findings`), differs from what the committed results say, so a hand edit of a number,
or a re-run that was not carried into the README, is caught by CI.
"""

from artdl.report.render import findings, main, show_findings, update_findings, update_readme

__all__ = [
    "findings",
    "main",
    "show_findings",
    "update_findings",
    "update_readme",
]
