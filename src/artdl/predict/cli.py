"""``python -m artdl predict PATH...``: the styles, a CAM overlay and the nearest paintings of your images.

Exit status: 0 when every image was predicted, 1 when some inputs could not be read (the good ones
are still predicted, the bad ones listed at the end), 2 when nothing could be done (no checkpoint,
an empty folder, a bad option). A user error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Container, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from artdl.classify import CAM_METHODS
from artdl.data import IMAGE_EXTENSIONS
from artdl.predict.engine import Prediction, PredictOptions, Predictor, from_here
from artdl.predict.images import ImageProblem, PredictError, find_images

__all__ = ["build_predict_parser", "format_prediction", "predict_main", "split_overrides"]


def build_predict_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m artdl predict",
        description="Top styles, a CAM overlay and the nearest paintings of 04's collection, for image "
        "files or folders of them (models/classifier/best.pt by default).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders (and key=value overrides)")
    parser.add_argument("--checkpoint", help="classifier checkpoint, from the current folder (predict.checkpoint)")
    parser.add_argument("--top", type=_count(1), metavar="K", help="styles listed per image (predict.top_k)")
    parser.add_argument("--method", choices=CAM_METHODS, help="CAM method of the overlay (predict.method)")
    parser.add_argument("--out", help="folder for the CAM overlays (predict.out)")
    parser.add_argument("--neighbours", type=_count(0), metavar="K",
                        help="nearest paintings listed, 0 for none (predict.neighbours)")  # fmt: skip
    parser.add_argument(
        "--rerank", nargs="?", const=DEFAULT_WEIGHT, type=_weight, metavar="ALPHA",
        help="also the influence-aware list with weight ALPHA >= 0 (alone: the weight 04 chose; "
        "a PATH or key=value after it is not taken for ALPHA)",
    )  # fmt: skip
    parser.add_argument("--artist", help="the painting's artist, for --rerank (default: the nearest painting's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    return parser


DEFAULT_WEIGHT = -1.0  # the parsed --rerank without ALPHA: the weight 04 chose


def _count(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum`` (``--top -1`` would drop a style silently)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return value

    return parse


def _weight(text: str) -> float:
    """``--rerank``'s ALPHA: a finite number >= 0 (0: cosine only); "" (:func:`_rerank_argv`): the default."""
    if text == "":
        return DEFAULT_WEIGHT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"ALPHA must be a number >= 0 (0: plain cosine only), got {text!r}")
    return value


def _rerank_argv(argv: Sequence[str]) -> list[str]:
    """``--rerank`` followed by anything but a number becomes ``--rerank=`` (the default weight).

    argparse gives an optional ALPHA the next word whatever it is, so ``--rerank q.jpg`` or
    ``--rerank device=cpu`` failed as an invalid float. ``--rerank 0.3`` and ``--rerank=0.3`` are
    untouched; so is everything after ``--``. Prefixes (``--rer``) are argparse's abbreviations.
    """
    out = list(argv)
    for i, token in enumerate(out):
        if token == "--":
            break
        if token.startswith("--r") and "--rerank".startswith(token):
            following = out[i + 1] if i + 1 < len(out) else ""
            if not _is_number(following):
                out[i] = "--rerank="
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def split_overrides(
    items: Sequence[str], sections: Callable[[], Container[str]] | None = None
) -> tuple[list[str], list[str]]:
    """``PATH`` arguments and ``key=value`` config overrides, which argparse gets in one list.

    An item with ``=`` is a PATH when it exists, and also when it is named like an image and its key
    is no config section (``sections()``, asked only then): a missing ``my=painting.jpg`` is then
    reported as a missing file, not as an unknown config key ``my``.
    """
    paths: list[str] = []
    overrides: list[str] = []
    known: Container[str] | None = None
    for item in items:
        if "=" not in item or Path(item).exists():
            paths.append(item)
            continue
        if sections is not None and Path(item).suffix.lower() in IMAGE_EXTENSIONS:
            known = sections() if known is None else known
            if item.split("=", 1)[0].split(".")[0] not in known:
                paths.append(item)
                continue
        overrides.append(item)
    return paths, overrides


def _config_sections() -> list[str]:
    from artdl.core import load_config

    return [str(key) for key in load_config("default").keys()]


def predict_main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m artdl predict PATH... [options] [key=value ...]``; the exit status is the module's."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_predict_parser().parse_intermixed_args(_rerank_argv(argv))  # PATHs and key=value anywhere
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
        except PredictError as err:  # about this image only, e.g. no known artist near it to re-rank by
            problems.append(ImageProblem(path, str(err)))
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
    """Config, the inputs and the loaded models (once), or a PredictError saying what is wrong.

    Everything that would fail for every image (no graph for ``--rerank``) fails here, before the
    first image, rather than as one traceback after some overlays are written.
    """
    from artdl.core import ConfigKeyError, ConfigTypeError, get_device, load_config

    paths, overrides = split_overrides(args.paths, _config_sections)
    try:
        cfg = load_config(args.config, overrides)
    except (ConfigKeyError, ConfigTypeError, FileNotFoundError, ValueError) as err:
        raise PredictError(str(err).strip().splitlines()[0]) from None
    if not paths:
        raise PredictError("no PATH given: name image files or folders to predict.")
    options = PredictOptions.from_config(
        cfg, checkpoint=from_here(args.checkpoint), top_k=args.top, method=args.method,
        neighbours=args.neighbours, out=args.out, artist=args.artist,
    )  # fmt: skip
    files, problems = find_images(paths, skip=options.out)
    if not files:
        raise PredictError(f"nothing to predict: {'; '.join(str(p) for p in problems)}")
    predictor = Predictor(cfg, options, get_device(str(cfg.device)), config_name=args.config)
    if args.rerank is not None and predictor.collection is not None:
        weight = predictor.collection.default_weight() if args.rerank == DEFAULT_WEIGHT else args.rerank
        predictor.options = replace(options, rerank=float(weight))
        if weight > 0:
            predictor.collection.graph(options.artist)  # built once and kept; PredictError when unavailable
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
