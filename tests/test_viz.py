"""Smoke tests: every figure function of artdl.viz draws on small inputs and saves."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from artdl import viz  # noqa: E402

from .test_figure_layout import _split_comparison  # noqa: E402 - one sample comparison for both figure tests

RNG = np.random.default_rng(0)
IMAGES = [RNG.random((16, 16, 3)) for _ in range(6)]
TABLE = pd.DataFrame(
    {
        "path": [""] * 6,
        "label": ["a", "a", "b", "b", "c", "c"],
        "split": ["train", "val", "train", "test", "train", "test"],
        "year": [1800, 1810, np.nan, 1850, 1900, 1905],
    }
)
HISTORY = pd.DataFrame(
    {"epoch": [0, 1], "train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "val_acc": [0.4, 0.6]}
)
GAN = pd.DataFrame({"step": range(20), "loss_d": RNG.random(20), "loss_g": RNG.random(20)})
WGAN = pd.DataFrame({"step": range(20), "wasserstein": RNG.random(20), "gp": RNG.random(20)})

CASES = {
    "image_grid": lambda: viz.image_grid(IMAGES, [str(i) for i in range(6)], ncols=3),
    "label_distribution": lambda: viz.label_distribution(TABLE),
    "years_histogram": lambda: viz.years_histogram(TABLE),
    "confusion_matrix_plot": lambda: viz.confusion_matrix_plot([[3, 1], [0, 4]], ["x", "y"], "cm"),
    "metric_bars": lambda: viz.metric_bars(
        pd.DataFrame({"model": ["m1", "m2"], "top1": [0.5, 0.7]}), ["top1"], "model"
    ),
    "training_history": lambda: viz.training_history({"run": HISTORY}),
    "embedding_scatter": lambda: viz.embedding_scatter(RNG.random((6, 2)), list(TABLE["label"]), "map"),
    "reconstruction_grid": lambda: viz.reconstruction_grid(
        RNG.random((3, 3, 8, 8)), {"dae": RNG.random((3, 3, 8, 8))}
    ),
    "thumbnail_scatter": lambda: viz.thumbnail_scatter(RNG.random((6, 2)), IMAGES, figsize=3),
    "thumbnail_grid_plot": lambda: viz.thumbnail_grid_plot(
        [(r, c) for r in range(2) for c in range(3)], IMAGES, 2, 3
    ),
    "neighbour_strips": lambda: viz.neighbour_strips([("row", IMAGES[:3], ["q", "1", "2"])]),
    "walk_on_map": lambda: viz.walk_on_map(RNG.random((6, 2)), [0, 2, 5], IMAGES),
    "thumbnail_dendrogram": lambda: viz.thumbnail_dendrogram(RNG.random((6, 4)), IMAGES),
    "gan_loss_curves": lambda: viz.gan_loss_curves({"dcgan": GAN, "wgan_gp": WGAN}, smooth=3),
    "grid_snapshots": lambda: viz.grid_snapshots({"dcgan": (IMAGES[:3], [1, 2, 3])}, n=3),
    "nearest_neighbour_grid": lambda: viz.nearest_neighbour_grid(
        IMAGES[:2], [IMAGES[2:4], IMAGES[4:6]], RNG.random((2, 2))
    ),
    "distance_bars": lambda: viz.distance_bars(
        pd.DataFrame({"set": ["real", "dcgan"], "n": [4, 4], "fd": [1.0, 3.0]}), "fd"
    ),
    "score_heatmap": lambda: viz.score_heatmap(RNG.random((2, 3)), ["r1", "r2"], ["c1", "c2", "c3"]),
    "accuracy_intervals": lambda: viz.accuracy_intervals(
        {"m": {"top1": 0.5, "top1_ci": [0.4, 0.6], "chance_top1": 0.2}}, "acc", keys=("top1",)
    ),
    "loss_curves": lambda: viz.loss_curves({"a": [1.0, 0.5, 0.25]}, "loss"),
    "split_intervals": lambda: viz.split_intervals(_split_comparison(), 7, "two splits"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_figure_draws_and_saves(name: str, tmp_path, monkeypatch):
    monkeypatch.setattr("artdl.viz.core.images_dir", lambda step: tmp_path)
    fig = CASES[name]()
    assert fig is not None and fig.axes, f"{name} drew no axes"
    path = viz.save_photo_figure(fig, "test", name)
    assert path.is_file() and path.stat().st_size > 1000
    plt.close(fig)


def test_every_plot_function_has_a_smoke_test():
    """A new figure function without a case here fails, so the smoke tests stay complete."""
    tested_elsewhere = {"save_figure", "save_photo_figure", "thumbnail", "examples_per_label", "DPI",
                        "look_alike_grid"}  # look_alike_grid: rendered in tests/test_figure_layout.py
    helpers = {
        "DISPLAY_WIDTH",
        "MIN_FONT",
        "bare_axes",
        "class_colours",
        "fit_label",
        "grid_cell",
        "spread_labels",
    }
    retrieval = {"influence_graph_plot", "result_strips", "strip_row", "tradeoff_plot", "EDGE_COLOURS",
                 "retrieval_intervals", "graph_captions", "score_captions"}  # fmt: skip
    missing = (
        set(viz.__all__) - set(CASES) - tested_elsewhere - retrieval - helpers
    )  # helpers: test_figure_layout
    assert not missing, f"no smoke test for {sorted(missing)}"


def test_years_histogram_without_dates_is_none():
    assert viz.years_histogram(TABLE.assign(year=np.nan)) is None


def test_accuracy_intervals_draw_a_perfect_and_a_zero_score():
    """A tiny test split can score 10 of 10: its interval's top must not fall below the dot."""
    from artdl.core import wilson_interval

    models = {
        "all right": {"top1": 1.0, "top1_ci": list(wilson_interval(10, 10)), "chance_top1": 0.25},
        "all wrong": {"top1": 0.0, "top1_ci": list(wilson_interval(0, 10)), "chance_top1": 0.25},
    }
    fig = viz.accuracy_intervals(models, "extremes", keys=("top1",))
    try:
        (bars,) = fig.axes[0].containers[0].lines[2]  # the errorbar's horizontal interval lines
        drawn = sorted((float(seg[0][1]), float(seg[0][0]), float(seg[1][0])) for seg in bars.get_segments())
        assert len(drawn) == 2  # one bar per model, bottom row ("all wrong") first: (y, low, high)
        for (_, low, high), name in zip(drawn, ("all wrong", "all right")):
            value, (ci_low, ci_high) = models[name]["top1"], models[name]["top1_ci"]
            assert low == pytest.approx(ci_low) and high == pytest.approx(ci_high)
            assert low <= value <= high, (name, low, value, high)
        assert drawn[1][2] == pytest.approx(1.0) and drawn[0][1] == pytest.approx(0.0)
    finally:
        plt.close(fig)


def test_training_history_ticks_whole_epochs_up_to_the_last_one():
    """Epochs are counted, not measured: no tick at 1.5, and none past the last epoch trained, even
    where the accuracy axis leaves room to the right for a short run's name."""
    import matplotlib.pyplot as plt

    long = pd.DataFrame(
        {"epoch": range(5), "train_loss": [1.0, 1.4, 1.0, 0.8, 0.6], "val_loss": [1.2] * 5, "val_acc": [0.5] * 5}
    )
    fig = viz.training_history({"fine-tune": long, "scratch": HISTORY.iloc[1:]}, {"scratch": "same 91 s"})
    try:
        for ax in fig.axes:
            ticks = list(ax.get_xticks())
            assert ticks == [round(t) for t in ticks] and max(ticks) == 4 and min(ticks) == 0, ticks
    finally:
        plt.close(fig)


def test_loss_curves_count_whole_epochs_and_take_their_axis_options():
    import matplotlib.pyplot as plt

    fig = viz.loss_curves({"triplet loss": [0.16 / k for k in range(1, 21)]}, xlabel="epoch", log=True)
    try:
        ax = fig.axes[0]
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 20]
        assert ticks and ticks == [round(t) for t in ticks], ticks  # no epoch 2.5
        assert ax.get_xlabel() == "epoch" and ax.get_yscale() == "log"
    finally:
        plt.close(fig)


def test_retrieval_intervals_mark_random_weights_and_name_the_interval():
    from artdl.core import bootstrap_mean

    scores = {"pixels": RNG.random(50) * 0.5, "clip": RNG.random(50)}
    intervals = {s: {"label": bootstrap_mean(v), "artist": bootstrap_mean(v[:30])} for s, v in scores.items()}
    fig = viz.retrieval_intervals(intervals, {"label": 0.2, "artist": 0.3}, 10, random={"clip"})
    try:
        label_ax, artist_ax = fig.axes
        assert [t.get_text() for t in label_ax.get_yticklabels()] == ["pixels", "clip (random weights)"]
        assert label_ax.get_xlabel() == "label P@10 (50 queries; 95 % bootstrap interval)"
        assert artist_ax.get_xlabel() == "artist P@10 (30 queries; 95 % bootstrap interval)"
    finally:
        plt.close(fig)


def test_walk_on_map_numbers_its_steps_and_stops_arrows_at_the_thumbnails():
    """Arrows that end at a thumbnail's centre hide their heads under it: the order was unreadable."""
    fig = viz.walk_on_map(RNG.random((6, 2)), [0, 2, 5], IMAGES)
    try:
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.texts if t.get_text()] == ["1", "2", "3"]
        arrows = [t.arrow_patch for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
        assert len(arrows) == 2 and all(a.shrinkA > 0 and a.shrinkB > 0 for a in arrows)
    finally:
        plt.close(fig)


def test_walk_steps_on_one_spot_share_a_label():
    """Two labels on one spot print over each other ("1" and "2" read as "12")."""
    xy = np.array([[0.0, 0.0], [0.001, 0.0], [1.0, 1.0], [0.5, 0.2]])
    fig = viz.walk_on_map(xy, [0, 1, 2, 3], IMAGES)
    try:
        assert [t.get_text() for t in fig.axes[0].texts if t.get_text()] == ["1, 2", "3", "4"]
    finally:
        plt.close(fig)


def test_years_histogram_stacks_labels_that_share_a_decade():
    """Translucent histograms drawn over each other hid a label under another in a shared decade."""
    table = pd.DataFrame({"path": [""] * 5, "label": ["a", "a", "b", "b", "b"], "year": [1851, 1852, 1853, 1855, 1912]})
    fig = viz.years_histogram(table)
    try:
        tops = [p.get_y() + p.get_height() for p in fig.axes[0].patches]
        assert max(tops) == 4  # the 1850s bar: two of "a" with two of "b" stacked on them
        assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["b", "a"]  # as stacked
    finally:
        plt.close(fig)


def test_embedding_scatter_of_several_maps_shares_one_legend():
    maps = {"t-SNE of DAE codes": RNG.random((6, 2)), "t-SNE of SWAE codes": RNG.random((6, 2))}
    fig = viz.embedding_scatter(maps, list(TABLE["label"]))
    try:
        assert [ax.get_title() for ax in fig.axes] == list(maps)
        assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
        assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b", "c"]
        with pytest.raises(ValueError):
            viz.embedding_scatter(maps, list(TABLE["label"]), ax=fig.axes[0])
    finally:
        plt.close(fig)


def test_thumbnail_dendrogram_keeps_thumbnails_square_and_rows_one_line():
    from matplotlib.offsetbox import AnnotationBbox

    wide = [RNG.random((8, 16, 3)) for _ in range(6)]
    fig = viz.thumbnail_dendrogram(RNG.random((6, 4)), wide, labels=["a long label " * 4] * 6)
    try:
        boxes = [a for a in fig.axes[1].get_children() if isinstance(a, AnnotationBbox)]
        assert len(boxes) == 6
        fig.canvas.draw()
        extent = boxes[0].offsetbox.get_window_extent()
        assert abs(extent.width / extent.height - 2) < 0.1  # not stretched to the row
        labels = [t.get_text() for t in fig.axes[1].texts if t.get_text()]
        assert len(labels) == 6 and all("\n" not in t and t.endswith("…") for t in labels)
        assert fig.get_figheight() < 6 * 0.3 + 1
    finally:
        plt.close(fig)


def test_thumbnail_scatter_draws_a_capped_sample_and_the_rest_as_dots():
    from matplotlib.offsetbox import AnnotationBbox

    xy = np.random.default_rng(0).normal(size=(30, 2))
    images = [np.zeros((8, 8, 3), np.uint8)] * 30
    fig = viz.thumbnail_scatter(xy, images, title="map", max_thumbnails=10)
    try:
        ax = fig.axes[0]
        assert sum(isinstance(a, AnnotationBbox) for a in ax.get_children()) == 10
        assert max(len(c.get_offsets()) for c in ax.collections) == 30  # every point placed
        assert any(len(c.get_offsets()) == 20 and c.get_sizes()[0] > 0 for c in ax.collections)
        assert "other 20" in ax.get_title()
    finally:
        plt.close(fig)
    small = viz.thumbnail_scatter(xy[:5], images[:5], title="map", max_thumbnails=10)
    assert sum(isinstance(a, AnnotationBbox) for a in small.axes[0].get_children()) == 5
    assert small.axes[0].get_title() == "map"
    plt.close(small)
