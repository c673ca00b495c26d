"""Results records built in the tests by the step packages' own builders, from small synthetic inputs.

The report tests render Findings and README sections from these (never from a committed results
file), and ``test_results`` round-trips them through ``write_results``/``load_record``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch

from artdl.core import StatsConfig, load_config, wilson_interval

CLASSES = ["Baroque", "Impressionism", "c", "d", "e", "f", "g"]


# --- 00 / 01 / 03 ---------------------------------------------------------------------------
def data_sample():
    from artdl.data import data_record

    labels = ["a"] * 6 + ["b"] * 3
    table = pd.DataFrame(
        {
            "label": labels,
            "split": ["train", "train", "train", "train", "val", "test", "train", "val", "test"],
            "year": [1500, 1600, None, 1700, 1650, 1550, 1800, 1900, 1850],
            "artist": ["x", "y", "", "x", "z", "y", "w", "w", ""],
        }
    )
    table.attrs["groups"] = {"images": 9, "groups": 8, "merged_groups": 1, "images_in_merged_groups": 2,
                             "largest_group": 2}  # fmt: skip
    return data_record(table, "toy_set", "style", 42)


def crawl_sample(second_new: int = 0):
    from artdl.crawl import crawl_record

    first = {"new_paintings": 22, "images_downloaded": 23, "bad_images": 1, "requests": 53, "seconds": 1.0,
             "pages_blocked_by_robots": 1, "retries": 2, "http_429": 1, "total_rows": 22,
             "base_url": "fixture (http://127.0.0.1:1)", "finish_reason": "finished", "unknown_key": 5}  # fmt: skip
    second = {"new_paintings": second_new, "images_downloaded": 1, "bad_images": 1, "skipped_already_downloaded": 22,
              "total_rows": 22 + second_new, "base_url": "fixture (http://127.0.0.1:2)"}  # fmt: skip
    return crawl_record(SimpleNamespace(summary=first), SimpleNamespace(summary=second))


def autoencode_sample(dae_accuracy: float = 0.42):
    from artdl.autoencode import autoencode_record

    cfg = load_config()
    table = pd.DataFrame({"dataset": ["b_set", "a_set", "a_set"], "split": ["train", "train", "test"]})
    histories = {
        "dae": {"train_loss": [0.05, 0.03, 0.024], "val_recon": [0.04, 0.03, 0.0287]},
        "swae": {"train_loss": [0.06, 0.04, 0.034], "val_recon": [0.05, 0.04, 0.0305]},
    }
    from artdl.core import wilson_interval

    rng = np.random.default_rng(0)

    def probe(accuracy: float, **extra) -> dict:
        """A knn_label_accuracy-shaped result: which of the same 119 test paintings it got right."""
        hits = round(accuracy * 119)
        low, high = wilson_interval(hits, 119)
        correct = rng.permutation(np.arange(119) < hits)
        return {"accuracy": hits / 119, "low": low, "high": high, "chance": 0.353, "n_test": 119, "k": 5,
                "correct": correct, **extra}  # fmt: skip

    knn = {"pixels": probe(0.445), "dae": probe(dae_accuracy, predictions=[1, 2]), "swae": probe(0.403)}
    return autoencode_record(cfg, table, histories, knn)


# --- 02 -------------------------------------------------------------------------------------
def _scores(top1: float, n: int = 1050, top3: float | None = 0.9, confused: int = 31, shift: int = 0) -> dict:
    """An ``evaluate``-shaped result; the Impressionism row sends ``confused`` of 150 to class c.

    Its ``hits`` are the paintings ``shift .. shift + k`` (wrapping), so two results with the same
    top-1 and different shifts disagree on ``2 * shift`` paintings, half each way."""
    k = round(top1 * n)
    cm = np.diag([150] * len(CLASSES)).tolist()
    cm[1][1], cm[1][2] = 150 - confused, confused
    m = {
        "n": n,
        "top1": k / n,
        "top1_ci": list(wilson_interval(k, n)),
        "chance_top1": 1 / 7,
        "macro_f1": top1 - 0.01,
        "per_class_accuracy": {c: 0.5 for c in CLASSES},
        "per_class": {
            c: {"precision": 0.8, "recall": 0.82, "f1": 0.81 if c == "Baroque" else 0.6, "support": 150}
            for c in CLASSES
        }
        | {"Impressionism": {"precision": 0.5, "recall": 0.4, "f1": 0.444, "support": 150}},
        "confusion_matrix": cm,
        "classes": CLASSES,
        "hits": "".join("1" if (i - shift) % n < k else "0" for i in range(n)),
    }
    if top3 is not None:
        k3 = round(top3 * n)
        m |= {"top3": k3 / n, "top3_ci": list(wilson_interval(k3, n)), "chance_top3": 3 / 7}
    return m


def _fit(name: str, steps: int, kept: dict | None = None, budget: str | None = None):
    from artdl.classify import FitResult

    history = pd.DataFrame(
        {"epoch": [0, 1, 2], "phase": ["head", "finetune", "finetune"], "val_acc": [0.5, 0.6, 0.612],
         "train_acc": [0.6, 0.7, 0.8], "seconds": [10.0, 20.0, 30.0], "train_loss": [1.0, 0.9, 0.8]}
    )  # fmt: skip
    return FitResult(
        name=name, history=history, best_val_acc=0.612, checkpoint=None, seconds=100.0, optimizer_steps=steps,
        kept=kept or {}, trunk_seconds=50.0, cache_precision="fp32", trunk_precision="bf16", budget=budget,
    )  # fmt: skip


def classification_sample(
    kept_phase: str = "finetune", tuned: float = 0.6, probe: float = 0.5, budget: str = "time", shift: int = 0
):
    """A 02 record; ``budget`` "both" adds the equal-steps baseline; ``shift`` moves the probe's hits."""
    from artdl.classify import classification_record

    cfg = load_config("default", ["classify.epochs=2", f"classify.scratch.budget={budget}"])
    split = ["train"] * 4899 + ["val"] * 1050 + ["test"] * 1051
    table = pd.DataFrame({"split": split})
    table.attrs["groups"] = {
        "images": 7000,
        "groups": 6991,
        "merged_groups": 9,
        "images_in_merged_groups": 18,
    }
    kept = {"epoch": 2 if kept_phase == "finetune" else 0, "phase": kept_phase, "val_acc": 0.612}
    finetune = _fit("fine-tune", 306, kept)
    scratch = {"time": _fit("from scratch, same time", 30)}
    metrics = {
        "fine-tune": _scores(tuned),
        "linear probe": _scores(probe, confused=5, shift=shift),
        "from scratch, same time": _scores(0.3),
    }
    if budget == "both":
        scratch["steps"] = _fit("from scratch, same steps", 306)
        metrics["from scratch, same steps"] = _scores(0.45)
    seconds = {"fine-tune": 100.0, "from scratch, same time": 101.0, "notebook": 341.2}
    return classification_record(cfg, table, CLASSES, finetune, metrics, scratch, seconds)


# --- 04 -------------------------------------------------------------------------------------
STATS = StatsConfig(resamples=2000)


def _hits(n: int, p: float, k: int, seed: int) -> np.ndarray:
    """Per-query P@k of ``n`` queries with mean about ``p`` (whole hits out of k)."""
    return np.random.default_rng(seed).binomial(k, p, size=n) / k


def sweep_sample(k: int, weights: dict[float, tuple[float, float]], queries: int = 50):
    """A :class:`artdl.retrieve.RerankSweep` whose per-query label P@k and connected share (d<=1)
    have about the means given per weight, without a search (the sweep's own code is tested apart)."""
    from artdl.retrieve import RerankSweep

    names = [f"label P@{k}", f"same-artist share@{k}", f"connected share@{k} (d<=1)",
             f"connected share@{k} (d<=2)", f"distinct artists@{k}"]  # fmt: skip
    per_query = {}
    for i, (w, (label, d1)) in enumerate(weights.items()):
        per_query[w] = dict(zip(names, [_hits(queries, label, k, 10 + i), np.full(queries, 0.5),
                                        _hits(queries, d1, k, 20 + i), _hits(queries, d1 + 0.2, k, 30 + i),
                                        np.full(queries, 3.0)]))  # fmt: skip
    means = [{"weight": w, **{n: float(v.mean()) for n, v in s.items()}} for w, s in per_query.items()]
    chance = {f"connected share@{k} (d<=1)": np.full(queries, 0.04), f"connected share@{k} (d<=2)": np.full(queries, 0.4)}
    return RerankSweep(pd.DataFrame(means).set_index("weight"), per_query, np.arange(queries), k, chance)


def retrieval_sample(chosen: float = 0.1, styles=None):
    from artdl import retrieve

    cfg = load_config()
    k = int(cfg.retrieve.k)
    results = pd.DataFrame(
        {"embedding": ["16-px pixels", "ImageNet"], "dim": [768, 1280], f"label P@{k}": [0.3, 0.5],
         "label mAP": [0.2, 0.4], f"artist P@{k}": [0.3, 0.6], "artist mAP": [0.2, 0.5]},
        index=["pixels", "cnn"],
    )  # fmt: skip
    described = {"pixels": "16-px pixels", "cnn": "ImageNet tf_efficientnet_lite0"}
    per_query = {"pixels": _hits(100, 0.3, k, seed=1), "cnn": _hits(100, 0.5, k, seed=2)}
    vs_pixels = retrieve.versus_baseline(per_query, "pixels", f"label P@{k} (all 100 queries)", STATS)
    evaluation = retrieve.embedding_evaluation(results, described, {"label": 0.2, "artist": 0.1}, k, vs_pixels)
    per_label = pd.DataFrame(
        {"paintings": [40, 30, 30], f"P@{k}": [0.7, 0.6, 0.2], "chance": [0.4, 0.3, 0.3]},
        index=["Monet", "Morisot", "baroque"],
    )
    search = SimpleNamespace(same_group_removed=np.array([1, 1, 0, 0]), collapsed=np.array([0, 0, 0, 0]))
    cov = {"source": "painter_palette", "graph_painters": 10, "graph_edges": 5, "artists": 10,
           "edge_types_all": {"influenced_by": 3, "teacher_of": 1, "friend": 1}, "paintings_known_artist": 95,
           "artists_matched": 7, "matched_exact": 6, "matched_words": 1, "matched_override": 0, "paintings": 100,
           "paintings_in_graph": 80, "edges_among_collection": 4, "collection_artists_with_edges": 5,
           "edge_types_among_collection": {"influenced_by": 2, "teacher_of": 1, "friend": 1}}  # fmt: skip
    sweep = sweep_sample(k, {0.0: (0.6, 0.03), 0.1: (0.595, 0.08), 0.4: (0.3, 0.12)})
    showcase = retrieve.Showcase(
        artist="Paul Cezanne", title="A title",
        weights={"0.1": [retrieve.MovedResult(artist="Camille Pissarro", path="Cezanne ← Pissarro")]},
    )  # fmt: skip
    influence = retrieve.influence_results(cov, sweep, chosen, showcase, STATS)
    if styles is None:
        styles = retrieve.StyleRetrieval(
            dataset="wikiart_styles7", split="test", paintings=70, labels=7, image_size=224, chance=0.14,
            imagenet=retrieve.StyleScores(precision=0.3, mean_ap=0.2, chance=0.14, queries=70),
            note="no fine-tuned checkpoint yet",
        )  # fmt: skip
    table = pd.DataFrame(
        {"label": ["Monet"] * 40 + ["Morisot"] * 30 + ["baroque"] * 30, "artist": [f"a{i % 12}" for i in range(100)],
         "artist_known": [i % 20 != 0 for i in range(100)], "dataset": ["aic"] * 30 + ["wikiart"] * 70}
    )  # fmt: skip
    near = retrieve.near_duplicate_summary({"merged_groups": 1, "images_in_merged_groups": 2}, search)
    return retrieve.retrieval_record(
        cfg, table, evaluation, retrieve.label_precisions(per_label, k), near, influence, styles, 12.34
    )


# --- 05 -------------------------------------------------------------------------------------
def rank_part(n: int, before: float, after: float, se: float = 0.1, clusters: int = 8, critical: float = 2.0) -> dict:
    return {"triplets": n, "before": before, "after": after, "chance": 3.5, "before_se": se, "after_se": se,
            "change_se": se, "clusters": clusters, "clustered_by": "anchor artist", "critical": critical}  # fmt: skip


def archive_sample(heldout: dict | None = None):
    from artdl.archive import archive_record

    split = {"train_artists": 70, "heldout_artists": 30, "train_triplets": 420, "heldout_triplets": 180,
             "artists_in_both": 0, "heldout_anchor_artists": ["Claude Monet"]}  # fmt: skip
    graph = {"train": rank_part(420, 2.9, 1.0), "heldout": heldout or rank_part(180, 3.4, 3.5)}
    labels = {"train": rank_part(420, 2.5, 1.2), "heldout": rank_part(180, 2.6, 1.7)}
    return archive_record(load_config(), split, graph, labels, 39.21)


# --- 06 -------------------------------------------------------------------------------------
def gan_sample(close_samples: int = 6, fd_gain=(-80.0, -150.0, -10.0), kd_gain=(0.5, -0.3, 1.2)):
    from artdl import gan

    cfg = load_config()
    fd, kd = "FD-EffNetLite0", "KD-EffNetLite0"
    space = SimpleNamespace(name="EffNetLite0", description="Fréchet distance on EfficientNet-Lite0 features",
                            fd_name=fd, kd_name=kd, input_size=128)  # fmt: skip

    def row(s: str, model: str, n: int, v: float) -> dict:
        return {"set": s, "model": model, "feature space": "EffNetLite0 @ 128px", "n": n, "n_reference": 359,
                "resolution": 32, fd: v, f"{kd} x1000": v / 100, f"{kd} std x1000": 1.0, "steps": 0,
                "train_seconds": 0.0, "fd_low": v - 20, "fd_high": v + 25, "kd_low": v / 100 - 1,
                "kd_high": v / 100 + 1}  # fmt: skip

    def prow(painter: str, s: str, v: float) -> dict:
        return {"painter": painter, "set": s, "n": 70, "n_reference": 180, fd: v, f"{kd} x1000": v / 100,
                "KD-EffNetLite0 std x1000": 1.0, "fd_low": v - 30, "fd_high": v + 30, "kd_low": v / 100 - 1,
                "kd_high": v / 100 + 1}  # fmt: skip

    distances = pd.DataFrame([row("real held-out", "", 150, 300.0), row("dcgan", "dcgan", 150, 600.0),
                              row("wgan_gp", "wgan_gp", 150, 450.0), row("dcgan (all 300)", "dcgan", 300, 590.0)])  # fmt: skip
    per_painter = pd.DataFrame([prow("claude-monet", "real held-out", 350.0),
                                prow("claude-monet", "real other painter", 420.0), prow("claude-monet", "wgan_gp", 500.0)])  # fmt: skip

    def run(steps: int, epochs: int, seconds: float, wasserstein: bool) -> SimpleNamespace:
        history = pd.DataFrame({"step": range(20), **({"wasserstein": [1.5] * 20} if wasserstein else {})})
        return SimpleNamespace(step=steps, epoch=epochs, seconds=seconds, steps_per_second=steps / seconds,
                               resumed_from=0, history=history)  # fmt: skip

    runs = {"dcgan": run(300, 27, 30.0, False), "wgan_gp": run(140, 63, 50.0, True)}
    memo = {
        kind: gan.Memorisation(model=kind, median_generated=0.42, n_generated=150, median_held_out=0.37,
                               n_held_out=150, min_generated=0.27, threshold=0.25, close_samples=close_samples,
                               close_low=wilson_interval(close_samples, 150)[0],
                               close_high=wilson_interval(close_samples, 150)[1])
        for kind in ("dcgan", "wgan_gp")
    }  # fmt: skip
    training_set = gan.TrainingSet(classes=["berthe-morisot", "claude-monet"], n_train=359, n_held_out=155)
    overall = [comparison("the train paintings", "dcgan", "wgan_gp", (-150.0, -200.0, -100.0), (-1.5, -2.0, -1.0))]
    painter = [comparison("claude-monet", "wgan_gp", "real other painter", fd_gain, kd_gain)]
    return gan.gan_record(
        cfg, runs, space, gan.Distances(distances, overall), gan.Distances(per_painter, painter), memo,
        training_set, "CPU (2 threads), no GPU",
    )  # fmt: skip


def comparison(reference: str, a: str, b: str, fd_gain: tuple, kd_gain: tuple):
    """A :class:`artdl.gan.DistanceComparison` from (value, low, high) closeness gains of ``a`` over ``b``."""
    from artdl import gan
    from artdl.core import Interval, verdict

    fd, kd = (
        verdict(Interval(*g, n=70, confidence=0.95, kind="bootstrap over images"), a, b, name, digits=1)
        for g, name in ((fd_gain, "closeness (FD)"), (kd_gain, "closeness (KD)"))
    )
    claim, reason = gan.agreement(fd, kd)
    return gan.DistanceComparison(reference=reference, a=a, b=b, fd=fd, kd=kd, claim=claim, reason=reason)


# --- 07 -------------------------------------------------------------------------------------
def vqgan_clip_sample():
    from artdl.vqgan_clip import vqgan_clip_record

    cfg = load_config()
    results = {
        "baroque": SimpleNamespace(
            image=np.zeros((64, 64, 3), np.uint8),
            losses=[0.6, 0.55, 0.5],
            seconds=1.0,
            iterations_per_second=20.0,
        )  # fmt: skip
    }
    vqgan, clip = torch.nn.Linear(10, 10), SimpleNamespace(model=torch.nn.Linear(10, 5), random=True)
    scores = {"top1": 1.0, "chance": 1.0, "margin": 0.0}
    return vqgan_clip_record(cfg, vqgan, clip, results, scores, 1.04, "CPU (1 thread(s)), no GPU", 1)


SAMPLES = {
    "00_data": data_sample,
    "01_crawl": crawl_sample,
    "02_classify": classification_sample,
    "03_autoencode": autoencode_sample,
    "04_retrieve": retrieval_sample,
    "05_archive": archive_sample,
    "06_gan": gan_sample,
    "07_vqgan_clip": vqgan_clip_sample,
}
