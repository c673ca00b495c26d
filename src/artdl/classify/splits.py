"""Style or artist? 02's recipe on a stratified and on an artist-disjoint split of the same set.

A stratified split puts paintings of the same artist on both sides, so a classifier can score by
recognising Monet's hand and knowing that Monet is an Impressionist. An artist-disjoint split
(``data.split.group_by=artist``) keeps every artist on one side, which asks for the style itself.
The gap between the two test accuracies is itself a finding, so ``classify.split_comparison``
trains the same recipe on the split that the run did not use and reports both side by side.

The two test sets hold different paintings, so the difference gets Newcombe's unpaired interval
(:func:`artdl.core.difference_of_proportions`), and the verdict says "no measurable difference"
when that interval includes zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from omegaconf import OmegaConf

from artdl import data
from artdl.classify.evaluation import evaluate
from artdl.classify.experiment import configured_loaders, finetune_pretrained
from artdl.classify.record import SplitComparison, SplitScore
from artdl.core import StatsConfig, difference_of_proportions

__all__ = ["SPLIT_NAMES", "compare_splits", "missing_classes", "split_score"]

SPLIT_NAMES = {"none": "stratified", "artist": "artist-disjoint"}  # data.split.group_by -> its name


def _group_by(cfg: Any) -> str:
    return str(OmegaConf.select(cfg, "data.split.group_by", default="none") or "none")


def split_score(table: pd.DataFrame, metrics: dict[str, Any], group_by: str) -> SplitScore:
    """One split's row: sizes, how many test artists train has seen, and the kept model's top-1."""
    train, test = table[table["split"] == "train"], table[table["split"] == "test"]
    names = test["artist"].fillna("").astype(str).str.strip()
    known = ~data.artist_unknown(names)  # each unknown artist is nobody seen before
    seen = int(names[known].isin(set(train["artist"].fillna("").astype(str).str.strip())).sum())
    low, high = metrics["top1_ci"]
    return SplitScore(
        split=SPLIT_NAMES[group_by], group_by=group_by, n_train=len(train), n_test=len(test),
        test_artist_seen=float(seen / len(test)) if len(test) else 0.0,
        top1=float(metrics["top1"]), top1_low=float(low), top1_high=float(high),
    )  # fmt: skip


def missing_classes(
    table: pd.DataFrame, classes: Sequence[str], splits: Sequence[str] = ("train", "test")
) -> dict[str, list[str]]:
    """``{split: classes with no painting in it}`` for each of ``splits`` that lacks one (``{}``: none).

    An artist-disjoint split keeps each artist's paintings together, so a style painted by a single
    artist lands whole in one split: a class with no test painting cannot be scored, and one with no
    training painting cannot be learnt. The class list of the whole table cannot show this.
    """
    labels = table["label"].astype(str)
    out: dict[str, list[str]] = {}
    for split in splits:
        present = set(labels[table["split"] == split])
        lacking = [c for c in classes if c not in present]
        if lacking:
            out[split] = lacking
    return out


def compare_splits(
    cfg: Any,
    table: pd.DataFrame,
    metrics: dict[str, Any],
    classes: Sequence[str],
    device: torch.device,
    out_dir: str | Path,
    progress: bool = True,
) -> SplitComparison:
    """Fine-tune ``cfg``'s recipe on the other split and compare the two kept models' test top-1.

    ``table`` and ``metrics`` are this run's split and its kept fine-tune's :func:`evaluate`
    result. The other model's checkpoint goes to ``<out_dir>/split_<group_by>/best.pt``, so the
    run's own ``best.pt`` is untouched. Needs an ``artist`` column (``wikiart_full``, a crawl).
    """
    if "artist" not in table.columns:
        raise data.DataError(
            f"classify.split_comparison needs an `artist` column, which {cfg.classify.dataset} lacks "
            "(wikiart_styles7 has none; use wikiart_full or a crawl), or set classify.split_comparison=false."
        )
    mine = _group_by(cfg)
    other = "none" if mine == "artist" else "artist"
    other_cfg = OmegaConf.merge(cfg, {"data": {"split": {"group_by": other}}})
    c = other_cfg.classify
    other_table = data.load_splits(other_cfg, c.dataset)
    for group_by, split in ((mine, table), (other, other_table)):
        missing = missing_classes(split, classes)
        if missing:
            listing = "; ".join(f"no {side} paintings of {', '.join(names)}" for side, names in missing.items())
            raise data.DataError(
                f"The {SPLIT_NAMES[group_by]} split of {c.dataset} has {listing}: such a style has too few "
                f"artists (all its paintings fell on one side), so the two splits would not score the same "
                f"classes. Drop those styles from the set (a view's `where`), use a set with more artists per "
                f"style, or set classify.split_comparison=false."
            )
    loaders = configured_loaders(other_cfg, other_table, classes, progress)
    _, fitted = finetune_pretrained(
        other_cfg, loaders, classes, device, Path(out_dir) / f"split_{other}", progress
    )
    assert fitted.test_scores is not None  # finetune_pretrained scores the test split
    scores = {mine: split_score(table, metrics, mine)}
    scores[other] = split_score(other_table, evaluate(*fitted.test_scores, classes), other)
    stratified, disjoint = scores["none"], scores["artist"]
    interval = difference_of_proportions(
        round(stratified.top1 * stratified.n_test), stratified.n_test,
        round(disjoint.top1 * disjoint.n_test), disjoint.n_test, StatsConfig.from_config(cfg).confidence,
    )  # fmt: skip
    return SplitComparison(
        scores=[stratified, disjoint], difference=interval.value, low=interval.low, high=interval.high,
        confidence=interval.confidence,
    )  # fmt: skip
