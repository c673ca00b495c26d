"""``python -m artdl demo``: a local web page over :class:`artdl.predict.Predictor` (Gradio).

Upload a painting or pick one of 04's collection; the page shows the style bars, the CAM overlay
with the method as a choice, and the nearest paintings with the influence re-rank weight as a
slider. Every answer comes from the same ``Predictor`` methods the ``predict`` command prints.

The page talks to nobody but its own server: it binds to 127.0.0.1 only, Gradio's analytics are
off (``GRADIO_ANALYTICS_ENABLED=False`` is set before Gradio is imported), no share link is made,
the default theme's fonts are served by the local server itself, and server-side rendering (a
Node process) is off.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from artdl.classify import CAM_METHODS
from artdl.predict.engine import PredictOptions, Predictor, from_here
from artdl.predict.images import PredictError

__all__ = ["HOST", "build_demo", "demo_answer", "launch_demo", "demo_main"]

HOST = "127.0.0.1"


def _gradio() -> Any:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio as gr

    return gr


def _max_weight(cfg: Any) -> float:
    """The re-rank slider's top: the largest weight 04 swept (``retrieve.influence.weights``), so the
    page offers no weight whose effect 04 never measured."""
    return float(max(cfg.retrieve.influence.weights))


def demo_answer(
    predictor: Predictor, image: Image.Image, method: str, weight: float, k: int = 10
) -> dict[str, Any]:
    """What the page shows for one painting: style bars, overlay, gallery items and the re-rank's notes."""
    probs = predictor.probabilities(image)
    styles = dict(predictor.top_styles(probs, len(predictor.classes)))
    cam = predictor.cam_overlay(image, method)
    plain, ranked, artist = predictor.nearest(image, k=k, weight=float(weight))
    shown = ranked if ranked is not None else plain
    gallery = [(thumb, f"{n.rank}. {n.artist}: {n.title} ({n.score:.3f})") for n in shown
               if (thumb := _thumbnail(n.path)) is not None]  # fmt: skip
    if predictor.collection is None:
        notes = predictor.note or "No collection to search (predict.neighbours is 0)."
    elif ranked is None:
        notes = f"Plain cosine order over {len(predictor.collection)} paintings ({predictor.options.source})."
    else:
        moved = [n for n in ranked if n.moved]
        notes = f"Re-ranked with alpha={weight:g} for query artist **{artist}** (the nearest painting's). " + (
            "Moved in: " + "; ".join(f"{n.rank}. {n.artist} ({n.graph_path or 'no path'})" for n in moved)
            if moved
            else "No result moved."
        )
    return {"styles": styles, "cam": cam, "gallery": gallery, "notes": notes, "neighbours": shown}


def _thumbnail(path: str, side: int = 256) -> Image.Image | None:
    try:
        with Image.open(path) as im:
            im.draft("RGB", (side, side))
            thumb = im.convert("RGB")
        thumb.thumbnail((side, side))
        return thumb
    except (OSError, ValueError):
        return None  # a collection file not on this machine: listed in the notes only


def build_demo(predictor: Predictor) -> Any:
    """The Gradio ``Blocks`` page (not launched)."""
    gr = _gradio()
    choices = _collection_choices(predictor)
    with gr.Blocks(title="artdl: your own painting", analytics_enabled=False) as page:
        gr.Markdown(
            "## Your own painting\nUpload a photograph of a painting, or pick one of the collection: the "
            f"style that 02's classifier ({Path(predictor.options.checkpoint).name}) sees, where it looks, "
            "and the nearest paintings of 04's collection."
        )
        with gr.Row():
            with gr.Column():
                upload = gr.Image(type="filepath", label="Your painting", sources=["upload"], elem_id="upload")
                pick = gr.Dropdown(choices=choices, value=None, label="or one from the collection",
                                   elem_id="pick", visible=bool(choices))  # fmt: skip
                method = gr.Radio(list(CAM_METHODS), value=predictor.options.method, label="CAM method", elem_id="method")
                weight = gr.Slider(0.0, _max_weight(predictor.cfg), value=float(predictor.options.rerank), step=0.005,
                                   label="influence re-rank weight (0 = cosine)", elem_id="weight")  # fmt: skip
                go = gr.Button("Predict", variant="primary", elem_id="go")
            with gr.Column():
                styles = gr.Label(num_top_classes=predictor.options.top_k, label="Style", elem_id="styles")
                cam = gr.Image(label="Where the network looks", type="numpy", interactive=False, height=300, elem_id="cam")
        gallery = gr.Gallery(label="Nearest paintings", columns=5, height="auto", elem_id="nearest")
        notes = gr.Markdown(elem_id="notes")

        def respond(uploaded: str | None, picked: Any, method_name: str, alpha: float) -> tuple:
            try:
                image = _chosen_image(predictor, uploaded, picked)
                answer = demo_answer(predictor, image, method_name, alpha, predictor.options.neighbours or 10)
            except PredictError as err:
                raise gr.Error(str(err)) from None
            return answer["styles"], _enlarged(answer["cam"]), answer["gallery"], answer["notes"]

        inputs, outputs = [upload, pick, method, weight], [styles, cam, gallery, notes]
        go.click(respond, inputs, outputs)
        upload.upload(respond, inputs, outputs)
        pick.change(respond, inputs, outputs)
        method.change(respond, inputs, outputs)
        weight.release(respond, inputs, outputs)
    return page


def _enlarged(pixels: Any, side: int = 384) -> Any:
    """The overlay (the classifier's input size, 224 px or less) scaled up for the page."""
    if pixels.shape[0] >= side:
        return pixels
    import numpy as np

    return np.asarray(Image.fromarray(pixels).resize((side, side), Image.Resampling.BICUBIC))


def _collection_choices(predictor: Predictor) -> list[tuple[str, int]]:
    if predictor.collection is None:
        return []
    table = predictor.collection.table
    titles = table["title"].astype(str) if "title" in table else table["path"].map(lambda p: Path(str(p)).stem)
    return [(f"{a or 'unknown'}: {t}"[:90], i) for i, (a, t) in enumerate(zip(predictor.collection.artists, titles))]


def _chosen_image(predictor: Predictor, uploaded: str | None, picked: Any) -> Image.Image:
    if uploaded:
        return predictor.read(uploaded)
    if picked is not None and predictor.collection is not None:
        return predictor.read(str(predictor.collection.table["path"].iloc[int(picked)]))
    raise PredictError("Upload a painting or pick one from the collection first.")


def launch_demo(predictor: Predictor, port: int, block: bool = True) -> Any:
    """Serve the page on 127.0.0.1:``port`` (0: a free port); returns the page (``page.close()`` stops it)."""
    page = build_demo(predictor)
    page.launch(
        server_name=HOST, server_port=port or _free_port(), share=False, inbrowser=False, quiet=True,
        ssr_mode=False, mcp_server=False, prevent_thread_lock=not block, show_error=True,
    )  # fmt: skip
    return page


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def demo_main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m artdl demo [--port N] [--checkpoint FILE] [key=value ...]``."""
    from artdl.core import ConfigKeyError, ConfigTypeError, get_device, load_config

    parser = argparse.ArgumentParser(prog="python -m artdl demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help=f"port on {HOST} (predict.port)")
    parser.add_argument("--checkpoint", help="classifier checkpoint, from the current folder (predict.checkpoint)")
    parser.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, args.overrides)
        predictor = Predictor(cfg, PredictOptions.from_config(cfg, checkpoint=from_here(args.checkpoint)),
                              get_device(str(cfg.device)), config_name=args.config)  # fmt: skip
    except (PredictError, ConfigKeyError, ConfigTypeError, FileNotFoundError, ValueError) as err:
        print(f"error: {str(err).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    if predictor.note:
        print(f"note: {predictor.note}", file=sys.stderr)
    port = int(args.port or cfg.predict.port)
    print(f"artdl demo on http://{HOST}:{port} (Ctrl-C stops it)", flush=True)
    try:
        launch_demo(predictor, port)
    except KeyboardInterrupt:
        pass
    except OSError as err:
        print(f"error: cannot serve on {HOST}:{port} ({err}); pick another with --port", file=sys.stderr)
        return 2
    return 0

