"""Every figure function drawn with long labels: no text under 8 pt as shown, no two texts overlapping.

The readability rules of :mod:`artdl.viz.core`, checked on the rendered figure: after
``fig.canvas.draw()`` every title, axis label, tick label, legend entry, annotation and figure text
has a window extent; two of them overlapping, a title or axis label running onto another axes'
image, or a font under 8 pt at the displayed size (a figure wider than ``DISPLAY_WIDTH`` inches is
shrunk to fit a notebook cell) fails. A new figure function is covered by adding one line to CASES.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from artdl import viz  # noqa: E402
from artdl.classify import explanation_grid  # noqa: E402
from artdl.core import Interval  # noqa: E402  (02's CAM grid lives with its CAM code)

RNG = np.random.default_rng(0)
LONG = [
    "Post_Impressionism → Expressionism",
    "Northern_Renaissance → Romanticism",
    "Abstract_Expressionism → Art_Nouveau_Modern",
    "Pierre-Auguste Renoir, Bal du moulin de la Galette",
    "Henri de Toulouse-Lautrec, At the Moulin Rouge",
    "Berthe Morisot · The Cradle · 1872",
    "Claude Monet · Impression, soleil levant",
    "Camille Pissarro · Boulevard Montmartre",
]
STYLES = ["Abstract_Expressionism", "Northern_Renaissance", "Post_Impressionism", "Romanticism",
          "Symbolism", "Art_Nouveau_Modern", "Baroque"]  # fmt: skip
IMAGES = [RNG.random((24, 24, 3)) for _ in range(16)]
TABLE = pd.DataFrame(
    {
        "path": [""] * 14,
        "label": [STYLES[i % 7] for i in range(14)],
        "split": ["train", "val", "test", "train"] * 3 + ["train", "test"],
        "year": RNG.integers(1500, 1950, 14).astype(float),
    }
)
HISTORY = pd.DataFrame(
    {
        "epoch": [0, 1, 2],
        "train_loss": [1.0, 0.5, 0.4],
        "val_loss": [1.1, 0.7, 0.6],
        "val_acc": [0.4, 0.6, 0.62],
    }
)
GAN = pd.DataFrame({"step": range(40), "loss_d": RNG.random(40), "loss_g": RNG.random(40)})
WGAN = pd.DataFrame({"step": range(40), "wasserstein": RNG.random(40), "gp": RNG.random(40)})
ARTISTS = ["Pierre-Auguste Renoir", "Henri de Toulouse-Lautrec", "Berthe Morisot", "Claude Monet",
           "Camille Pissarro", "Édouard Manet", "Edgar Degas", "Mary Cassatt", "Alfred Sisley",
           "Gustave Caillebotte", "Paul Cézanne", "Vincent van Gogh"]  # fmt: skip
SWEEP = pd.DataFrame(
    {
        "label P@10": [0.62, 0.615, 0.61, 0.60, 0.58, 0.55],
        "connected share@10 (d<=1)": [0.034, 0.035, 0.036, 0.05, 0.08, 0.12],
        "connected share@10 (d<=2)": [0.20, 0.21, 0.22, 0.26, 0.31, 0.40],
    },
    index=[0.0, 0.002, 0.005, 0.01, 0.02, 0.05],
)


class _ArtistGraph:
    """The two attributes influence_graph_plot reads of an artdl.retrieve ArtistGraph."""

    def __init__(self) -> None:
        self.graph = nx.DiGraph()
        kinds = ["influenced_by", "teacher_of", "friend"]
        for i, (a, b) in enumerate(itertools.combinations(range(len(ARTISTS)), 2)):
            if (a * 7 + b * 3) % 4 == 0:
                self.graph.add_edge(ARTISTS[a], ARTISTS[b], types={kinds[i % 3]})
        self.node_of = {name: name for name in ARTISTS}


def _strip_rows() -> list:
    caps = [f"{LONG[i % 8]}\nd=1 via {ARTISTS[i % 12]}" for i in range(7)]
    return [(f"{name} query row", IMAGES[:8], ["QUERY", *caps], [False, True] + [False] * 6)
            for name in ("cosine only (the embedding)", "re-ranked by influence")]  # fmt: skip


def _split_comparison():
    from artdl.classify import SplitComparison, SplitScore

    scores = [
        SplitScore(split=name, group_by=g, n_train=57000, n_test=12000, test_artist_seen=seen,
                   top1=v, top1_low=v - 0.01, top1_high=v + 0.01)
        for name, g, seen, v in [("stratified", "none", 0.98, 0.66), ("artist-disjoint", "artist", 0.0, 0.52)]
    ]  # fmt: skip
    return SplitComparison(scores=scores, difference=0.14, low=0.12, high=0.16, confidence=0.95)


CASES = {
    "image_grid": lambda: viz.image_grid(IMAGES, LONG * 2, ncols=8, suptitle="Look-alikes: " + LONG[0]),
    "label_distribution": lambda: viz.label_distribution(TABLE),
    "look_alike_grid": lambda: viz.look_alike_grid(
        pd.DataFrame({"path": IMAGES[:6], "label": [STYLES[0], STYLES[4], STYLES[2], STYLES[2], STYLES[5], STYLES[1]],
                      "split": ["train", "test", "val", "val", "train", "train"], "group": [3, 3, 1, 1, 0, 0]}),
        suptitle="look-alike pairs: " + LONG[0]),  # fmt: skip
    "years_histogram": lambda: viz.years_histogram(TABLE),
    "confusion_matrix_plot": lambda: viz.confusion_matrix_plot(
        RNG.integers(0, 30, (7, 7)),
        STYLES,
        "Confusion of the fine-tuned EfficientNet-Lite0 on the test split",
    ),
    "metric_bars": lambda: viz.metric_bars(
        pd.DataFrame(
            {
                "model": ["fine-tuned whole net", "linear probe on frozen trunk", "from scratch"],
                "top1": [0.58, 0.51, 0.25],
                "macro_f1": [0.55, 0.49, 0.2],
            }
        ),
        ["top1", "macro_f1"],
        "model",
        "Test accuracy and macro-F1 per model",
    ),  # fmt: skip
    "training_history": lambda: viz.training_history(
        {"fine-tune (whole net)": HISTORY, "linear probe": HISTORY.assign(val_acc=HISTORY.val_acc - 0.1)}
    ),
    "split_intervals": lambda: viz.split_intervals(_split_comparison(), 27, "wikiart_full, kept fine-tune, test split"),
    "accuracy_intervals": lambda: viz.accuracy_intervals(
        {
            name: {
                "top1": v,
                "top1_ci": [v - 0.03, v + 0.03],
                "chance_top1": 0.14,
                "top3": v + 0.2,
                "top3_ci": [v + 0.17, v + 0.23],
                "chance_top3": 0.43,
            }
            for name, v in [("fine-tuned whole network", 0.58), ("linear probe", 0.51), ("scratch", 0.25)]
        },
        "Test accuracy of the three classifiers on the wikiart_styles7 test split",
    ),  # fmt: skip
    "embedding_scatter": lambda: viz.embedding_scatter(
        RNG.random((60, 2)), [ARTISTS[i % 12] for i in range(60)], "t-SNE of the DAE codes, " + LONG[6]
    ),
    "reconstruction_grid": lambda: viz.reconstruction_grid(
        RNG.random((8, 3, 16, 16)),
        {
            "denoising autoencoder": RNG.random((8, 3, 16, 16)),
            "sliced-Wasserstein AE": RNG.random((8, 3, 16, 16)),
        },
    ),  # fmt: skip
    "thumbnail_scatter": lambda: viz.thumbnail_scatter(
        RNG.random((6, 2)), IMAGES[:6], title=LONG[3], figsize=5
    ),
    "thumbnail_grid_plot": lambda: viz.thumbnail_grid_plot(
        [(r, c) for r in range(2) for c in range(3)], IMAGES[:6], 2, 3
    ),
    "neighbour_strips": lambda: viz.neighbour_strips(
        [(name, IMAGES[:10], ["query", *LONG, LONG[0]]) for name in ("pixels", "denoising autoencoder codes")]
    ),
    "walk_on_map": lambda: viz.walk_on_map(RNG.random((12, 2)), [0, 2, 5, 7], IMAGES[:12]),
    "thumbnail_dendrogram": lambda: viz.thumbnail_dendrogram(
        RNG.random((16, 4)), IMAGES, labels=[LONG[i % 8] for i in range(16)]
    ),
    "gan_loss_curves": lambda: viz.gan_loss_curves(
        {"dcgan": GAN, "wgan_gp": WGAN}, smooth=3, note="Losses of the two GANs trained on " + LONG[6]
    ),
    "grid_snapshots": lambda: viz.grid_snapshots(
        {
            "train images real · 32 px claude-monet": (IMAGES[:5], [1, 5, 10, 15, 20]),
            "wgan_gp · berthe-morisot": (IMAGES[5:10], [1, 5, 10, 15, 20]),
        },
        n=5,
        note="Fixed-noise samples",
    ),  # fmt: skip
    "nearest_neighbour_grid": lambda: viz.nearest_neighbour_grid(
        IMAGES[:3],
        [IMAGES[3:8], IMAGES[8:13], IMAGES[11:16]],
        RNG.random((3, 5)),
        query_titles=["dcgan · claude-monet sample", "wgan_gp · berthe-morisot sample", "real held-out"],
        note="Each generated image and its nearest training paintings (cosine distance of Lite0 features)",
    ),  # fmt: skip
    "distance_bars": lambda: viz.distance_bars(
        pd.DataFrame(
            {
                "set": ["real held-out claude-monet", "dcgan claude-monet", "wgan_gp berthe-morisot"],
                "n": [64, 64, 64],
                "fd": [209.0, 551.0, 553.1],
            }
        ),
        "fd",
        note="Fréchet distance " + LONG[6],
    ),  # fmt: skip
    "score_heatmap": lambda: viz.score_heatmap(
        RNG.random((3, 4)),
        ["a painting of water lilies", "a portrait in the style of Renoir", "a ship"],
        ["water lilies by Monet", "portrait by Renoir", "harbour at dusk", "a cubist still life"],
        "CLIP similarity of each image to each prompt",
    ),  # fmt: skip
    "loss_curves": lambda: viz.loss_curves(
        {"water lilies by Monet": [1.0, 0.5, 0.25], "portrait in the style of Renoir": [1.1, 0.6, 0.4]},
        "VQGAN+CLIP loss per iteration for each prompt set",
    ),
    "influence_graph_plot": lambda: viz.influence_graph_plot(
        _ArtistGraph(), {name: 5 + 7 * i for i, name in enumerate(ARTISTS)}
    ),
    "tradeoff_plot": lambda: viz.tradeoff_plot(
        SWEEP, 0.005, {"connected share@10 (d<=1)": 0.045, "connected share@10 (d<=2)": 0.25}
    ),
    "result_strips": lambda: viz.result_strips(_strip_rows()),
    "retrieval_intervals": lambda: viz.retrieval_intervals(
        {
            source: {what: Interval(v, v - 0.02, v + 0.02, 781, 0.95, kind="bootstrap") for what, v in scores.items()}
            for source, scores in {
                "pixels": {"label": 0.34, "artist": 0.40},
                "cnn (EfficientNet-Lite0, ImageNet)": {"label": 0.53, "artist": 0.61},
                "clip": {"label": 0.36, "artist": 0.40},
            }.items()
        },
        {"label": 0.24, "artist": 0.31},
        random={"clip"},
        title="Retrieval on 781 paintings, leave-one-out",
    ),
    "explanation_grid": lambda: explanation_grid(
        RNG.random((4, 48, 48, 3)).astype(np.float32),
        {"Grad-CAM": RNG.random((4, 48, 48)), "Score-CAM": RNG.random((1, 48, 48))},  # Score-CAM: first 1 only
        titles=[f"true {STYLES[i]}\npred {STYLES[i + 1]} (0.87)" for i in range(4)],
        title="Most confident correct predictions of the fine-tuned network (Score-CAM: the first 1 only)",
    ),
}
NOT_FIGURES = {
    "DISPLAY_WIDTH",
    "DPI",
    "EDGE_COLOURS",
    "MIN_FONT",
    "graph_captions",
    "score_captions",
    "bare_axes",
    "class_colours",
    "fit_label",
    "grid_cell",
    "save_figure",
    "save_photo_figure",
    "spread_labels",
    "strip_row",
    "thumbnail",
    "examples_per_label",
}  # fmt: skip  (examples_per_label reads image files: test_viz)


def _texts(fig) -> list[Text]:
    """Every visible, non-empty text the figure draws: figure texts, titles, labels, ticks, legends, annotations."""
    found: list[Text] = list(fig.texts)
    if fig._suptitle is not None:
        found.append(fig._suptitle)
    for legend in fig.legends:
        found += legend.get_texts()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        found += [ax.title, ax._left_title, ax._right_title]
        if ax.axison:
            found += [ax.xaxis.label, ax.yaxis.label]
            for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
                for tick in axis.get_major_ticks():
                    if lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                        found += [t for t in (tick.label1, tick.label2) if t.get_visible()]
        if ax.get_legend() is not None:
            found += ax.get_legend().get_texts()
        found += ax.texts
    unique = {id(t): t for t in found}  # the suptitle is also one of fig.texts
    return [t for t in unique.values() if t.get_visible() and t.get_text().strip()]


def _check(fig) -> list[str]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width = fig.get_tightbbox(renderer).width  # inches, as saved with bbox_inches="tight"
    scale = min(1.0, viz.DISPLAY_WIDTH / width)
    texts = _texts(fig)
    problems = []
    for t in texts:
        shown = t.get_fontsize() * scale
        if shown < viz.MIN_FONT - 1e-6:
            problems.append(f"{t.get_text()[:30]!r} is {shown:.1f} pt as shown (figure {width:.1f} in wide)")
    boxes = [t.get_window_extent(renderer).shrunk(0.98, 0.9) for t in texts]  # a 1-px touch is not a clash
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        if a.overlaps(b) and not (a.width == 0 or b.width == 0):
            problems.append(f"{texts[i].get_text()[:30]!r} overlaps {texts[j].get_text()[:30]!r}")
    labels = {id(t): t for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label) if t in texts}
    for ax in fig.axes:
        for image in (a for a in ax.get_children() if isinstance(a, AxesImage)):
            box = image.get_window_extent(renderer).shrunk(0.98, 0.98)
            for t in labels.values():
                if t.axes is not ax and t.get_window_extent(renderer).overlaps(box):
                    problems.append(f"{t.get_text()[:30]!r} runs onto an image of another axes")
    return problems


@pytest.mark.parametrize("name", sorted(CASES))
def test_figure_text_is_readable_and_apart(name: str) -> None:
    fig = CASES[name]()
    try:
        problems = _check(fig)
    finally:
        plt.close(fig)
    assert not problems, f"{name}: " + "; ".join(problems[:8])


def test_every_figure_function_has_a_layout_case() -> None:
    missing = set(viz.__all__) - set(CASES) - NOT_FIGURES
    assert not missing, f"add a line to CASES for {sorted(missing)}"


def test_the_check_catches_overlap_small_text_and_titles_on_images() -> None:
    """The checker itself can fail: two texts on one spot, a 6-pt label, a row title on the image above."""
    fig, ax = plt.subplots(layout="constrained")
    ax.text(0.5, 0.5, "one label")
    ax.text(0.5, 0.5, "another label")
    ax.set_xlabel("tiny", fontsize=6)
    problems = _check(fig)
    plt.close(fig)
    assert any("overlaps" in p for p in problems) and any("'tiny' is 6.0 pt" in p for p in problems)
    fig, axes = plt.subplots(2, 1, figsize=(2, 3))
    fig.subplots_adjust(hspace=0)
    for ax in axes:
        ax.imshow(IMAGES[0])
        ax.axis("off")
    axes[1].set_title("bottom row title\non two lines\nand a third", fontsize=9)
    problems = _check(fig)
    plt.close(fig)
    assert any("runs onto an image" in p for p in problems)
    fig, ax = plt.subplots(figsize=(20, 2), layout="constrained")  # 9 pt shown at half size
    ax.set_title("wide", fontsize=9)
    assert any("'wide' is" in p for p in _check(fig))
    plt.close(fig)


@pytest.mark.parametrize("text, width", [(LONG[0], 1.2), ("x" * 80, 1.0), ("short", 3.0)])
def test_fit_label_cuts_only_with_an_ellipsis(text: str, width: float) -> None:
    out = viz.fit_label(text, width)
    lines = out.split("\n")
    assert len(lines) <= 2 and all(len(line) <= int(width * 72 / (0.62 * 8)) for line in lines)
    flat = " ".join(text.replace("_", " ").split())
    assert out.replace("\n", " ") == flat or out.endswith("…")


def test_class_colours_are_distinct() -> None:
    for n in (2, 7, 10, 14, 20):
        colours = viz.class_colours(n)
        assert len(set(colours)) == n
        rgb = np.array([c[:3] for c in colours])
        assert np.min(np.abs(rgb[:, None] - rgb[None]).sum(-1) + 9 * np.eye(n)) > 0.1
    # the first two classes are not two blues (tab20's own order gives dark and light blue)
    first, second = viz.class_colours(12)[:2]
    assert abs(first[2] - second[2]) > 0.3 or abs(first[0] - second[0]) > 0.3


def test_strip_captions_keep_a_long_name_and_a_three_name_path_whole() -> None:
    """Cut at two lines, "Jean-Baptiste-Camille Corot" and "Corot ← Delacroix → Degas" lost their ends."""

    class _Paths:
        def path(self, a: str, b: str) -> str:
            return "Corot ← Delacroix → Degas"

    artists = ["Jean-Baptiste-Camille Corot", "Edgar Degas", "Jean-Baptiste-Camille Corot"]
    captions = viz.graph_captions(_Paths(), artists, 0, [1, 2])
    assert captions == ["Edgar Degas\nCorot ← Delacroix → Degas", "Jean-Baptiste-Camille Corot\nsame artist"]
    assert viz.score_captions(artists, [1], [0.8123]) == ["Edgar Degas\n0.81"]
    image = np.zeros((8, 8, 3))
    fig = viz.result_strips([("cosine", [image] * 11, ["QUERY\n" + artists[0]] + captions * 5, [False] * 11)])
    try:
        shown = [ax.get_title() for ax in fig.axes if ax.get_title()]
        assert not any("…" in t for t in shown), shown
        assert not _check(fig)
    finally:
        plt.close(fig)


def test_distance_bars_draw_each_bootstrap_interval() -> None:
    import pandas as pd
    from matplotlib.container import BarContainer

    table = pd.DataFrame({"set": ["real held-out", "dcgan"], "n": [150, 150], "FD": [314.7, 540.0],
                          "fd_low": [293.5, 513.7], "fd_high": [339.0, 563.4]})  # fmt: skip
    fig = viz.distance_bars(table, "FD")
    try:
        (bars,) = [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]
        assert bars.errorbar is not None  # whiskers, not bars alone
        ends = sorted(x for seg in bars.errorbar.lines[2][0].get_segments() for x, _ in seg)
        assert ends[0] == pytest.approx(293.5) and ends[-1] == pytest.approx(563.4)
        assert not _check(fig)
    finally:
        plt.close(fig)
    kd = table.assign(KD=[-1.6, 503.3], kd_low=[-7.9, 463.9], kd_high=[5.7, 539.5])
    fig = viz.distance_bars(kd, "KD")  # its own interval columns, not the Fréchet distance's
    try:
        (bars,) = [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]
        ends = sorted(x for seg in bars.errorbar.lines[2][0].get_segments() for x, _ in seg)
        assert ends[-1] == pytest.approx(539.5)
    finally:
        plt.close(fig)
