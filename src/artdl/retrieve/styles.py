"""04's style-retrieval experiment: does 02's style-tuned backbone retrieve by style better than ImageNet?

Both backbones embed one split of the styles set (``retrieve.styles``: the test split of
``wikiart_styles7`` by default, paintings the fine-tune never trained on) at the checkpoint's
input size; each painting queries the rest of the split, other scans of itself excluded, and a
result counts when it shares the query's style. The fine-tuned row is scored paired against the
ImageNet row over the same queries (:func:`artdl.core.verdict` of a paired bootstrap), so a small
difference can be told from noise.

The experiment is skipped, with a note that says why, when the set is not available or 02 has not
left a checkpoint of the same set; the note travels in the record to the Findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import OmegaConf

from artdl import data
from artdl.core import StatsConfig, Verdict, paired_bootstrap, verdict
from artdl.retrieve.embed import checkpoint_info, collection_images
from artdl.retrieve.embedders import create_embedder
from artdl.retrieve.evaluation import chance_precision, leave_one_out

__all__ = ["StyleRetrieval", "StyleScores", "style_retrieval", "style_scores"]


@dataclass(kw_only=True)
class StyleScores:
    """Leave-one-out style P@k and mAP of one backbone (the comparison is :attr:`StyleRetrieval.verdict`)."""

    precision: float
    mean_ap: float
    chance: float
    queries: int


def style_scores(metrics: Mapping[str, Any], chance: float) -> StyleScores:
    """:class:`StyleScores` from :func:`artdl.retrieve.retrieval_metrics`' result and the chance precision."""
    return StyleScores(
        precision=metrics["precision@k"],
        mean_ap=metrics["mAP"],
        chance=chance,
        queries=int(metrics["queries"]),
    )


@dataclass(kw_only=True)
class StyleRetrieval:
    """The comparison, or as much of it as could run; ``note`` says what was skipped and why."""

    dataset: str
    split: str
    paintings: int = 0
    labels: int = 0
    image_size: int = 0
    chance: float | None = None
    imagenet: StyleScores | None = None
    finetuned: StyleScores | None = None
    finetuned_phase: str = ""
    note: str = ""
    verdict: Verdict | None = None  # fine-tuned vs ImageNet style P@k, paired over the same queries


def style_retrieval(cfg: Any, device: Any = "cpu") -> StyleRetrieval:
    """ImageNet features vs 02's fine-tuned checkpoint (``retrieve.styles.checkpoint``) on the split
    ``retrieve.styles.split`` of ``retrieve.styles.dataset``, at ``retrieve.k``."""
    S, k = cfg.retrieve.styles, int(cfg.retrieve.k)
    out = StyleRetrieval(dataset=str(S.dataset), split=str(S.split))
    try:
        table = data.load_splits(cfg, S.dataset)
    except (FileNotFoundError, ValueError, KeyError) as err:
        out.note = f"skipped: {S.dataset} is not available ({type(err).__name__})."
        return out
    table = table[table["split"] == S.split].reset_index(drop=True)
    groups = data.dataset_groups(table, progress=False)
    info = checkpoint_info(S.checkpoint)
    size = int(info.get("image_size", cfg.classify.image_size))  # the fine-tune's input size, for both rows
    images = collection_images(table, size)
    out.paintings, out.labels, out.image_size = len(table), int(table["label"].nunique()), size
    out.chance = chance_precision(table["label"])
    styles = {"style": (table["label"], None)}
    imagenet = create_embedder("cnn", cfg, device, image_size=size, checkpoint="").embed_images(images)
    base = leave_one_out({"imagenet": imagenet}, styles, k, groups, device)["style"]["imagenet"]
    if not base["queries"]:  # no style has two paintings in this split: nothing to retrieve
        out.note = f"no style of the {S.split} split has two paintings, so style retrieval has no query."
        return out
    out.imagenet = style_scores(base, out.chance)
    if info.get("dataset") != S.dataset:
        out.note = _missing_checkpoint_note(S, info)
        return out
    split = OmegaConf.to_container(cfg.data.split, resolve=True)
    if info.get("split") not in (None, split):  # its training paintings may be in this test split
        out.note = (
            f"the checkpoint at {S.checkpoint} was trained on another split of {S.dataset} "
            f"(data.split {info['split']}, here {split}), so this {S.split} split may hold paintings it "
            "trained on; skipped (re-run 02 with this split)."
        )
        return out
    tuned = create_embedder("cnn", cfg, device, image_size=size, checkpoint=S.checkpoint).embed_images(images)
    fine = leave_one_out({"tuned": tuned}, styles, k, groups, device)["style"]["tuned"]
    out.finetuned = style_scores(fine, out.chance)
    out.finetuned_phase = str(info.get("phase", "?"))
    out.verdict = verdict(  # the same queries count under both: a paired comparison
        paired_bootstrap(fine["per_query"], base["per_query"], StatsConfig.from_config(cfg)),
        "the fine-tuned backbone", "ImageNet features", f"style P@{k}",
    )  # fmt: skip
    if out.finetuned_phase == "head":
        out.note = (
            "02's kept checkpoint is its head-only epoch, so its backbone is ImageNet's: "
            "the two rows differ only by input normalisation."
        )
    return out


def _missing_checkpoint_note(styles_cfg: Any, info: Mapping[str, Any]) -> str:
    if not info:
        return (
            f"no fine-tuned {styles_cfg.dataset} checkpoint at {styles_cfg.checkpoint} yet (run 02_classify), "
            "so only the ImageNet row is measured."
        )
    return (
        f"the checkpoint at {styles_cfg.checkpoint} was trained on {info.get('dataset', '?')}, "
        f"not {styles_cfg.dataset}; skipped."
    )
