"""Data anyone can get: find each painting set on disk, or fetch it from pinned public sources.

Every shipped data set is described completely by a manifest in ``configs/sources/<name>.csv``:
one row per file with ``file`` (path inside the set), ``source_repo``, ``source_commit``,
``source_path`` and the ``sha256`` and ``bytes`` of the original in a public GitHub repository.
A clone of this repository therefore needs nothing but the internet to rebuild every set, and a
fetched file is the checksummed original, not "whatever the URL served today".

Where a set lives (:func:`dataset_root`), the first that exists of:

1. ``datasets.<name>.root`` when it is set (explicit: used even when missing, so a typo is an
   error that names it instead of silently reading another copy);
2. ``<paths.shared_datasets>/<name>``: a local mirror (``../shared/datasets`` next to the project);
3. ``<paths.data>/raw/<name>``: where ``python -m artdl data fetch`` writes.

The download rule (``python -m artdl data fetch [NAME ...]``, ``make data``): for every manifest row
whose file is missing, download ``data.fetch.url_template`` filled with the row, check ``bytes`` and
``sha256`` (a mismatch writes nothing), shrink an image whose long side exceeds
``data.fetch.max_side`` (Lanczos, RGB, JPEG quality ``data.fetch.jpeg_quality``: the recipe of the
shared mirror copies), and write it atomically (temp file + ``os.replace``). **A file already within
``max_side`` is written byte for byte as downloaded**: it is never re-encoded, so a fetched
``wikiart_styles7`` (224 px) equals the mirror and its sha256 still matches the manifest. Non-image
files (``PainterPalette.csv``) are always written as downloaded.
"""

from __future__ import annotations

from artdl.data.fetch.download import (
    FetchReport,
    ensure_datasets,
    ensure_notebook_data,
    fetch_dataset,
    shrink_image,
    source_url,
)
from artdl.data.fetch.hub import (
    ensure_hub_dataset,
    fetch_hub_dataset,
    hub_datasets,
    hub_label_names,
    is_commit,
    open_hub_stream,
    resolve_revision,
)
from artdl.data.fetch.hub_writer import (
    HUB_FORMAT,
    HUB_LABEL_COLUMNS,
    HUB_TABLE,
    HubFetchReport,
    HubSpec,
    shrink_to_short_side,
)
from artdl.data.fetch.manifest import (
    DATASET_INFO,
    DEFAULT_URL_TEMPLATE,
    HUB_CARDS,
    NOTEBOOK_DATASETS,
    FetchError,
    ManifestRow,
    companion_files,
    datasets_needed,
    manifest_path,
    read_manifest,
    shipped_datasets,
)

__all__ = [
    "DATASET_INFO",
    "DEFAULT_URL_TEMPLATE",
    "FetchError",
    "FetchReport",
    "HUB_CARDS",
    "HUB_FORMAT",
    "HUB_LABEL_COLUMNS",
    "HUB_TABLE",
    "HubFetchReport",
    "HubSpec",
    "ManifestRow",
    "NOTEBOOK_DATASETS",
    "companion_files",
    "datasets_needed",
    "ensure_datasets",
    "ensure_notebook_data",
    "ensure_hub_dataset",
    "fetch_dataset",
    "fetch_hub_dataset",
    "hub_datasets",
    "hub_label_names",
    "is_commit",
    "manifest_path",
    "open_hub_stream",
    "read_manifest",
    "resolve_revision",
    "shipped_datasets",
    "shrink_image",
    "shrink_to_short_side",
    "source_url",
]
