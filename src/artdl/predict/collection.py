"""04's retrieval collection, queried with a painting from outside it.

04 saves one embedding per source (``data/processed/embeddings/<source>.npy``, row i = row i of
``index.csv``). A new painting is only comparable with those rows when it is embedded exactly as
they were: the same network and weights (``retrieve.cnn.checkpoint``, ImageNet Lite0 when empty),
the same centre square at ``retrieve.cnn.image_size``, the same folded batch norms. The embedder
below is built once per call with those settings; ``tests/test_predict.py`` checks that it gives a
collection painting its own saved row back.

The influence re-rank needs the query's artist, which a photograph does not have: it is the
``artist`` a user names, else the nearest painting's (known) artist, and the answer says which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image

from artdl.core import MissingArtifactError, processed_dir, resolve
from artdl.data import square
from artdl.predict.images import PredictError
from artdl.retrieve import chosen_weight, cosine_topk, create_embedder, load_embeddings, moved_results, rerank

__all__ = ["QUERY_SOURCES", "Collection", "Neighbour", "open_collection"]

QUERY_SOURCES = ("cnn", "pixels")  # the saved sources a new image can be embedded into here


@dataclass(frozen=True)
class Neighbour:
    """One result: its collection row and file, who painted it, and (re-ranked lists) why it moved."""

    rank: int
    row: int
    score: float
    cosine: float
    path: str
    title: str
    artist: str
    label: str
    moved: bool = False  # re-ranked in from beyond the plain cosine top-k
    graph_path: str = ""  # the influence-graph path from the query's artist, for moved results

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Collection:
    """The saved embedding of one source, its index table, the query embedder and (lazily) the graph."""

    def __init__(
        self, cfg: Any, source: str, features: np.ndarray, table: pd.DataFrame, device: Any,
        config_name: str = "default",
    ) -> None:  # fmt: skip
        self.cfg, self.source, self.table = cfg, source, table.reset_index(drop=True)
        self.config_name = config_name  # whose 04 record holds the chosen re-rank weight
        self.features = torch.nn.functional.normalize(torch.from_numpy(features).float(), dim=1)
        self.artists = self.table["artist"].fillna("").astype(str).tolist()
        self.known = (
            self.table["artist_known"].astype(bool).to_numpy()
            if "artist_known" in self.table
            else np.array([bool(a) for a in self.artists])
        )
        self.embed = _embedder(cfg, source, device)
        self._graphs: dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self.table)

    def default_weight(self) -> float:
        """The re-rank weight 04's sweep chose under this config (``results/04_retrieve[.<config>].json``),
        else the config's: a ``--config full`` query uses the full run's choice, not the CPU default's."""
        return float(chosen_weight(self.cfg, self.config_name))

    def nearest(
        self, image: Image.Image, k: int = 10, weight: float = 0.0, artist: str = ""
    ) -> tuple[list[Neighbour], list[Neighbour] | None, str]:
        """(cosine top-k, influence re-ranked top-k or None when ``weight`` is 0, the query artist used)."""
        query = self.embed([image])
        pool = min(len(self), max(k, int(self.cfg.retrieve.influence.candidates)))
        cand, cos = cosine_topk(query, self.features, pool)
        cand, cos = cand[0], cos[0]
        cosine_of = dict(zip(cand.tolist(), cos.tolist()))
        plain = [self._neighbour(r, int(i), float(s), float(s)) for r, (i, s) in enumerate(zip(cand[:k], cos[:k]))]
        if weight <= 0:
            return plain, None, ""
        query_artist = artist or next((self.artists[i] for i in cand if self.known[i]), "")
        if not query_artist:
            raise PredictError("No known artist among the nearest paintings: name one with --artist to re-rank.")
        graph = self.graph(query_artist)
        ic = self.cfg.retrieve.influence
        distances = graph.distances(int(ic.max_distance))
        idx, scores = rerank(
            cand, cos, query_artist, self.artists, distances, weight, float(ic.repeat_penalty), k, self.known
        )
        moved = set(moved_results(cand[:k], idx))
        ranked = [
            self._neighbour(r, int(i), float(s), cosine_of[int(i)], int(i) in moved,
                            graph.path(query_artist, self.artists[int(i)]) if int(i) in moved else "")
            for r, (i, s) in enumerate(zip(idx, scores))
        ]  # fmt: skip
        return plain, ranked, query_artist

    def graph(self, artist: str = "") -> Any:
        """04's artist graph over this collection's artists (and ``artist``, when a user names one from
        outside it), built once per such name; the DBpedia source is read from its cache, never fetched."""
        key = artist if artist and artist not in set(self.artists) else ""
        if key not in self._graphs:
            from artdl.retrieve.graph import collection_graph, palette_root, read_overrides

            ic = self.cfg.retrieve.influence
            table = self.table
            if key:
                table = pd.concat([table, pd.DataFrame({"artist": [key], "artist_known": [True]})], ignore_index=True)
            try:
                self._graphs[key] = collection_graph(
                    table,
                    source=str(ic.source),
                    root=palette_root(self.cfg) if ic.source == "painter_palette" else None,
                    overrides=read_overrides(resolve(ic.overrides)),
                    dbpedia_cache=resolve(ic.dbpedia_cache),
                    endpoint=str(ic.endpoint),
                    fetch=False,
                )
            except (FileNotFoundError, OSError, ValueError, KeyError) as err:
                raise PredictError(
                    f"The influence graph is unavailable ({_first_line(err)}); "
                    f"fetch it with `python -m artdl data fetch painter_palette`, or leave out --rerank."
                ) from None
        return self._graphs[key]

    def _neighbour(
        self, rank: int, row: int, score: float, cosine: float, moved: bool = False, graph_path: str = ""
    ) -> Neighbour:
        rec = self.table.iloc[row]
        return Neighbour(
            rank=rank + 1, row=row, score=round(score, 6), cosine=round(cosine, 6), path=str(rec["path"]),
            title=str(rec.get("title", "") or Path(str(rec["path"])).stem), artist=self.artists[row],
            label=str(rec.get("label", "")), moved=moved, graph_path=graph_path,
        )  # fmt: skip


def open_collection(cfg: Any, source: str, device: Any = "cpu", config_name: str = "default") -> Collection:
    """04's saved ``source`` embedding and index as a :class:`Collection`; ``config_name`` is the
    config ``cfg`` was loaded from (its 04 record holds the re-rank weight, :meth:`Collection.default_weight`).

    Raises :class:`PredictError` (one line, saying which notebook writes them) when 04 has not run
    or the files disagree.
    """
    if source not in QUERY_SOURCES:
        raise PredictError(f"--source {source}: a new image can be searched by {', '.join(QUERY_SOURCES)} only.")
    try:
        features = load_embeddings(source)
    except MissingArtifactError as err:
        raise PredictError(f"No nearest paintings: {err}") from None
    index_file = processed_dir("embeddings") / "index.csv"
    if not index_file.is_file():
        raise PredictError(f"No nearest paintings: {index_file} is missing; run `python -m artdl run --only 04`.")
    table = pd.read_csv(index_file, keep_default_na=False)
    if len(table) != len(features):
        raise PredictError(
            f"{index_file} lists {len(table)} paintings but {source}.npy has {len(features)} rows; "
            f"re-run `python -m artdl run --only 04`."
        )
    return Collection(cfg, source, np.asarray(features, dtype=np.float32), table, device, config_name)


def _embedder(cfg: Any, source: str, device: Any) -> Callable[[list[Image.Image]], np.ndarray]:
    """Images -> (N, D) embeddings in the saved ``source``'s space: 04's own embedder from the
    registry (:func:`artdl.retrieve.create_embedder`), so a query and the collection cannot drift apart."""
    embedder = create_embedder(source, cfg, device, progress=False)
    return lambda images: embedder.embed_images(_squares(images, embedder.input_size))


def _squares(images: list[Image.Image], side: int) -> torch.Tensor:
    """uint8 (N, 3, side, side): the centre squares 04's collection images were cut the same way."""
    return torch.from_numpy(np.stack([np.asarray(square(im, side)).transpose(2, 0, 1) for im in images]))


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
