"""Step 04: find paintings like a painting: embeddings, cosine top-k, and the artist-influence re-rank.

- :mod:`artdl.retrieve.embed`: embeddings of a collection from pixels, autoencoders, CNNs or CLIP.
- :mod:`artdl.retrieve.neighbours`: cosine top-k, nearest and farthest, and the search a user runs.
- :mod:`artdl.retrieve.evaluation`: leave-one-out precision at k and mAP, by style and by artist.
- :mod:`artdl.retrieve.influence`: re-ranking the top-k by distance in the artist graph.
- :mod:`artdl.retrieve.tradeoff`: the sweep of the re-rank weight against precision.
- :mod:`artdl.retrieve.compare`: per-query scores and the paired verdicts between embeddings.
- :mod:`artdl.retrieve.graph`: the artist-influence graph (PainterPalette, DBpedia, name matching).
"""

from __future__ import annotations

from artdl.retrieve.compare import versus_baseline
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
from artdl.retrieve.evaluation import (
    RetrievalEvaluation,
    chance_precision,
    evaluate_retrieval,
    leave_one_out,
    per_label_precision,
    retrieval_metrics,
)
from artdl.retrieve.influence import coverage, rerank
from artdl.retrieve.neighbours import (
    SearchConfig,
    SearchResult,
    cosine_topk,
    faiss_topk,
    normalize,
    query_by_image,
    search,
)
from artdl.retrieve.record import (
    Chance,
    Coverage,
    EmbeddingEvaluation,
    EmbeddingScores,
    Influence,
    LabelPrecision,
    MovedResult,
    NearDuplicates,
    RetrievalCollection,
    RetrievalRecord,
    Showcase,
    Sweep,
    SweepRow,
    chosen_weight,
    embedding_evaluation,
    influence_results,
    label_precisions,
    near_duplicate_summary,
    retrieval_record,
)
from artdl.retrieve.styles import StyleRetrieval, StyleScores, style_retrieval, style_scores
from artdl.retrieve.tradeoff import (
    RerankSweep,
    connected_chance,
    graph_queries,
    moved_results,
    pick_weight,
    rerank_per_query,
    rerank_sweep,
    rule_stats,
    showcase_query,
    versus_chance,
)

__all__ = [
    "Chance",
    "ClipEmbedder",
    "CnnEmbedder",
    "Coverage",
    "Embedder",
    "EmbeddingEvaluation",
    "EmbeddingScores",
    "Influence",
    "LabelPrecision",
    "MovedResult",
    "NearDuplicates",
    "PixelEmbedder",
    "RerankSweep",
    "RetrievalCollection",
    "RetrievalEvaluation",
    "RetrievalRecord",
    "SOURCES",
    "SavedCodesEmbedder",
    "SearchConfig",
    "SearchResult",
    "Showcase",
    "StyleRetrieval",
    "StyleScores",
    "Sweep",
    "SweepRow",
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
    "embedding_evaluation",
    "embedding_path",
    "evaluate_retrieval",
    "faiss_topk",
    "graph_queries",
    "influence_results",
    "label_precisions",
    "leave_one_out",
    "list_embedders",
    "load_cnn",
    "load_collection",
    "load_embeddings",
    "moved_results",
    "near_duplicate_summary",
    "normalize",
    "per_label_precision",
    "pick_weight",
    "query_by_image",
    "register_embedder",
    "rerank",
    "rerank_per_query",
    "rerank_sweep",
    "retrieval_metrics",
    "retrieval_record",
    "rule_stats",
    "save_embeddings",
    "search",
    "showcase_query",
    "style_retrieval",
    "style_scores",
    "versus_baseline",
    "versus_chance",
]
