"""``python -m artdl predict PATH...``: the styles, a CAM overlay and the nearest paintings of your images.

Exit status: 0 when every image was predicted, 1 when some inputs could not be read (the good ones
are still predicted, the bad ones listed at the end), 2 when nothing could be done (no checkpoint,
an empty folder, a bad option). A user error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from artdl.classify import METHODS
from artdl.predict.engine import Prediction, PredictOptions, Predictor
from artdl.predict.images import ImageProblem, PredictError, find_images

__all__ = ["build_predict_parser", "format_prediction", "predict_main", "split_overrides"]


def build_predict_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m artdl predict",
        description="Top styles, a CAM overlay and the nearest paintings of 04's collection, for image "
        "files or folders of them (models/classifier/best.pt by default).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders (and key=value overrides)")
    parser.add_argument("--checkpoint", help="classifier checkpoint (predict.checkpoint)")
    parser.add_argument("--top", type=int, help="styles listed per image (predict.top_k)")
    parser.add_argument("--method", choices=METHODS, help="CAM method of the overlay (predict.method)")
    parser.add_argument("--out", help="folder for the CAM overlays (predict.out)")
    parser.add_argument("--neighbours", type=int, help="nearest paintings listed, 0 for none (predict.neighbours)")
    parser.add_argument(
        "--rerank", nargs="?", const=-1.0, type=float, metavar="ALPHA",
        help="also the influence-aware list with weight ALPHA (alone: the weight 04 chose)",
    )  # fmt: skip
    parser.add_argument("--artist", help="the painting's artist, for --rerank (default: the nearest painting's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    return parser


def split_overrides(items: Sequence[str]) -> tuple[list[str], list[str]]:
    """``PATH`` arguments and ``key=value`` config overrides, which argparse gets in one list."""
    paths = [p for p in items if "=" not in p or Path(p).exists()]
    return paths, [p for p in items if p not in paths]


def predict_main(argv: Sequence[str] | None = None) -> int:
    args = build_predict_parser().parse_intermixed_args(argv)  # PATHs and key=value anywhere
    try:
        predictor, files, problems = _prepare(args)
    except PredictError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    from tqdm.auto import tqdm

    out, tried = Path(predictor.options.out), len(files) + len(problems)
    results: list[Prediction] = []
    for path in tqdm(files, desc="predict", unit="image", disable=len(files) < 2 or None, file=sys.stderr):
        try:
            results.append(predictor.predict(path, out=out))
        except ImageProblem as err:
            problems.append(err)
    if args.json:
        print(json.dumps(_json_record(predictor, results, problems), indent=2))
    else:
        if predictor.note:
            print(f"note: {predictor.note}", file=sys.stderr)
        for result in results:
            print(format_prediction(result, predictor))
        for line in _problem_lines(problems, tried):
            print(line, file=sys.stderr)
    if not results:
        return 2
    return 1 if problems else 0


def _prepare(args: argparse.Namespace) -> tuple[Predictor, list[Path], list[ImageProblem]]:
    """Config, the inputs and the loaded models (once), or a PredictError saying what is wrong."""
    from artdl.core import ConfigKeyError, ConfigTypeError, get_device, load_config

    paths, overrides = split_overrides(args.paths)
    try:
        cfg = load_config(args.config, overrides)
    except (ConfigKeyError, ConfigTypeError, FileNotFoundError, ValueError) as err:
        raise PredictError(str(err).strip().splitlines()[0]) from None
    if not paths:
        raise PredictError("no PATH given: name image files or folders to predict.")
    files, problems = find_images(paths)
    if not files:
        raise PredictError(f"nothing to predict: {'; '.join(str(p) for p in problems)}")
    options = PredictOptions.from_config(
        cfg, checkpoint=args.checkpoint, top_k=args.top, method=args.method, neighbours=args.neighbours,
        out=args.out, artist=args.artist,
    )  # fmt: skip
    predictor = Predictor(cfg, options, get_device(str(cfg.device)))
    if args.rerank is not None and predictor.collection is not None:
        weight = predictor.collection.default_weight() if args.rerank < 0 else args.rerank
        predictor.options = replace(options, rerank=float(weight))
    return predictor, files, problems


def _json_record(predictor: Predictor, results: list[Prediction], problems: list[ImageProblem]) -> dict[str, Any]:
    return {
        "checkpoint": str(predictor.options.checkpoint),
        "classes": predictor.classes,
        "source": predictor.options.source if predictor.collection is not None else None,
        "note": predictor.note,
        "predictions": [r.to_dict() for r in results],
        "problems": [{"path": p.path, "reason": p.reason} for p in problems],
    }


def format_prediction(result: Prediction, predictor: Predictor) -> str:
    """One image's answer as plain-text tables (what the terminal shows)."""
    lines = [result.path, f"  {'style':<28} {'probability':>11}"]
    lines += [f"  {style[:28]:<28} {p:>11.3f}" for style, p in result.styles]
    if result.cam:
        lines.append(f"  {result.method} overlay: {result.cam}")
    if result.neighbours:
        lines.append(f"  nearest paintings ({predictor.options.source}, cosine):")
        lines += [_neighbour_line(n) for n in result.neighbours]
    if result.reranked is not None:
        lines.append(
            f"  influence re-ranked (alpha={result.rerank_weight:g}, query artist: {result.query_artist}):"
        )
        lines += [_neighbour_line(n, moved=True) for n in result.reranked]
    return "\n".join(lines) + "\n"


def _neighbour_line(n: Any, moved: bool = False) -> str:
    who = f"{n.artist or 'unknown artist'}: {n.title}"[:60]
    tail = f"  moved in{': ' + n.graph_path if n.graph_path else ''}" if moved and n.moved else ""
    return f"  {n.rank:>3}  {n.score:6.3f}  {who:<60} [{n.label}]{tail}"


def _problem_lines(problems: list[ImageProblem], tried: int) -> list[str]:
    """The inputs that failed, last: one ``error:`` line each when nothing was predicted at all."""
    if len(problems) == tried:
        return [f"error: {p}" for p in problems]
    if not problems:
        return []
    return [f"{len(problems)} of {tried} input(s) could not be predicted:"] + [f"  {p}" for p in problems]
