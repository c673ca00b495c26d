"""Your own painting (issue #26): the trained models asked about one image, in the terminal or a page.

- :mod:`artdl.predict.images`: reading any user file safely (modes converted, huge scans reduced).
- :mod:`artdl.predict.collection`: 04's saved embeddings queried with an outside image, re-ranked.
- :mod:`artdl.predict.engine`: ``Predictor``: 02's classifier and 04's collection, loaded once.
- :mod:`artdl.predict.cli`: ``python -m artdl predict PATH...``.
- :mod:`artdl.predict.demo`: ``python -m artdl demo``, a Gradio page on 127.0.0.1.
"""

from __future__ import annotations

from artdl.predict.cli import build_predict_parser, format_prediction, predict_main, split_overrides
from artdl.predict.collection import QUERY_SOURCES, Collection, Neighbour, open_collection
from artdl.predict.demo import HOST, build_demo, demo_answer, demo_main, launch_demo
from artdl.predict.engine import TRAIN_HINT, Prediction, PredictOptions, Predictor, write_overlay
from artdl.predict.images import ImageProblem, PredictError, find_images, read_image

__all__ = [
    "Collection",
    "HOST",
    "ImageProblem",
    "Neighbour",
    "PredictError",
    "PredictOptions",
    "Prediction",
    "Predictor",
    "QUERY_SOURCES",
    "TRAIN_HINT",
    "build_demo",
    "build_predict_parser",
    "demo_answer",
    "demo_main",
    "find_images",
    "format_prediction",
    "launch_demo",
    "open_collection",
    "predict_main",
    "read_image",
    "split_overrides",
    "write_overlay",
]
