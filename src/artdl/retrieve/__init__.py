"""Step 04: find paintings like a painting: embeddings, cosine top-k, and the artist-influence re-rank.

- :mod:`artdl.retrieve.embed`: the collection, its decoded images and the saved embeddings.
- :mod:`artdl.retrieve.embedders`: the embedder registry (pixels, autoencoder codes, CNN, CLIP).
- :mod:`artdl.retrieve.neighbours`: cosine top-k, nearest and farthest, precision at k.
- :mod:`artdl.retrieve.influence`: re-ranking the top-k by distance in the artist graph.
- :mod:`artdl.retrieve.tradeoff`: the sweep of the re-rank weight against precision.
- :mod:`artdl.retrieve.graph`: the artist-influence graph (PainterPalette, DBpedia, name matching).
"""

from __future__ import annotations

from artdl.retrieve.embed import (
    artist_known,
    checkpoint_info,
    collection_images,
    embedding_path,
    load_cnn,
    load_collection,
    load_embeddings,
    save_embeddings,
)
from artdl.retrieve.embedders import (
    SOURCES,
    ClipEmbedder,
    CnnEmbedder,
    Embedder,
    PixelEmbedder,
    SavedCodesEmbedder,
    create_embedder,
    embed_source,
    list_embedders,
    register_embedder,
)
from artdl.retrieve.influence import coverage, rerank
from artdl.retrieve.neighbours import (
    SearchResult,
    chance_precision,
    cosine_topk,
    evaluate_retrieval,
    faiss_topk,
    label_retrieval,
    normalize,
    per_label_precision,
    query_by_image,
    retrieval_metrics,
    search,
)
from artdl.retrieve.tradeoff import (
    chosen_weight,
    connected_chance,
    graph_queries,
    moved_results,
    pick_weight,
    rerank_summary,
    rerank_sweep,
    showcase_query,
)

__all__ = [
    "SOURCES",
    "ClipEmbedder",
    "CnnEmbedder",
    "Embedder",
    "PixelEmbedder",
    "SavedCodesEmbedder",
    "SearchResult",
    "artist_known",
    "chance_precision",
    "checkpoint_info",
    "chosen_weight",
    "collection_images",
    "connected_chance",
    "cosine_topk",
    "coverage",
    "create_embedder",
    "embed_source",
    "embedding_path",
    "evaluate_retrieval",
    "faiss_topk",
    "graph_queries",
    "label_retrieval",
    "list_embedders",
    "load_cnn",
    "load_collection",
    "load_embeddings",
    "moved_results",
    "normalize",
    "per_label_precision",
    "pick_weight",
    "query_by_image",
    "register_embedder",
    "rerank",
    "rerank_summary",
    "rerank_sweep",
    "retrieval_metrics",
    "save_embeddings",
    "search",
    "showcase_query",
]
