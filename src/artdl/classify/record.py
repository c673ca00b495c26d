"""02's results record: the task, the recipe, the kept epoch and every model's test scores.

:func:`artdl.classify.classification_record` builds it (for the notebook and for
``benchmarks/run_classify_full.py`` alike, so the CPU default and the ``full`` run report the
same fields) and :mod:`artdl.report.classify` reads it. The per-model scores are those of
:func:`artdl.classify.evaluate`, typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from artdl.core import Interval, McNemarResult, Record, StatsConfig, Verdict, mcnemar_exact, verdict
from artdl.data import DuplicateGroups

__all__ = [
    "ClassScores",
    "ClassificationRecord",
    "ConfusedPair",
    "EpochRow",
    "Kept",
    "ModelScores",
    "PairedTest",
    "Recipe",
    "ScratchRun",
    "ScratchStepsRecord",
    "SplitComparison",
    "SplitScore",
    "SplitSpec",
    "Task",
    "model_scores",
    "pair_with_finetune",
]


@dataclass(kw_only=True)
class SplitSpec:
    val: float
    test: float
    seed: int
    groups: DuplicateGroups = field(default_factory=DuplicateGroups)
    given_test: bool = False


@dataclass(kw_only=True)
class Task:
    dataset: str
    classes: list[str]
    n: dict[str, int]  # train / val / test
    split: SplitSpec


@dataclass(kw_only=True)
class Recipe:
    """The ``classify`` settings that decide the numbers, with ``cache_precision`` (the cached top's)
    and ``trunk_precision`` (its one trunk pass's) as resolved; "" where a record predates it."""

    backbone: str
    image_size: int
    batch_size: int
    head_epochs: int
    epochs: int
    unfreeze_stages: int
    frozen_cache: bool
    cache_precision: str
    trunk_precision: str = ""
    lr: float
    backbone_lr_mult: float
    warmup: float
    label_smoothing: float
    precision: str
    channels_last: bool
    cache: str
    crop_scale: tuple[float, float]
    trunk_seconds: float | None = None
    scratch_budget: str | None = None  # "time", "steps" or "both"; None when no baseline ran
    scratch_lr: float


@dataclass(kw_only=True)
class Kept:
    """The checkpoint the fine-tune kept: the head-only epoch 0 (= the probe) or a fine-tuning epoch."""

    epoch: int | None = None
    phase: str = "finetune"
    val_acc: float | None = None


@dataclass(kw_only=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(kw_only=True)
class ModelScores:
    """One model's test scores; top-3 is ``None`` where it says nothing (4 classes or fewer)."""

    n: int
    top1: float
    top1_ci: tuple[float, float]
    chance_top1: float
    top3: float | None = None
    top3_ci: tuple[float, float] | None = None
    chance_top3: float | None = None
    macro_f1: float
    per_class_accuracy: dict[str, float | None]
    per_class: dict[str, ClassScores]
    confusion_matrix: list[list[int]]
    classes: list[str]
    hits: str | None = None  # "1"/"0" per test painting in split order; None in a converted old record


def model_scores(metrics: Mapping[str, Any]) -> ModelScores:
    """:class:`ModelScores` from an :func:`artdl.classify.evaluate` result."""
    intervals = {k: tuple(metrics[k]) for k in ("top1_ci", "top3_ci") if metrics.get(k) is not None}
    return ModelScores(
        **{k: v for k, v in metrics.items() if k != "per_class" and k not in intervals},
        **intervals,
        per_class={c: ClassScores(**v) for c, v in metrics["per_class"].items()},
    )


@dataclass(kw_only=True)
class ConfusedPair:
    true: str
    predicted: str
    count: int
    share_of_true: float


@dataclass(kw_only=True)
class EpochRow:
    epoch: int
    phase: str
    val_acc: float | None = None
    train_acc: float | None = None
    seconds: float = 0.0


@dataclass(kw_only=True)
class ScratchRun:
    """One from-scratch baseline and the budget it was given, named in the table ("same 103 s, 43 steps").

    ``budget`` is ``time`` (the fine-tune's wall time) or ``steps`` (its optimizer steps); ``model``
    is its key in the record's ``models``.
    """

    budget: str
    model: str
    steps: int
    seconds: float
    label: str


@dataclass(kw_only=True)
class PairedTest:
    """McNemar's exact test of two models on the same test paintings (``a_only``: only A right).

    The fields of :class:`artdl.core.McNemarResult`, kept so the report rebuilds the verdict, and
    its sentence, from the record alone (:meth:`verdict`) instead of from the sign of a difference.
    """

    a: str
    b: str
    a_only: int
    b_only: int
    n: int
    difference: float
    p_value: float
    alpha: float
    significant: bool
    family: int = 1  # the fine-tune's comparisons in one record (Bonferroni: alpha is shared); 1 in older records

    @classmethod
    def of(cls, result: McNemarResult, a: str, b: str) -> PairedTest:
        return cls(a=a, b=b, a_only=result.a_only, b_only=result.b_only, n=result.n,
                   difference=result.difference, p_value=result.p_value, alpha=result.alpha,
                   significant=result.p_value < result.alpha, family=result.family)  # fmt: skip

    def within(self, family: int) -> PairedTest:
        """This test as one of ``family`` stated together: Bonferroni's alpha shared out anew (the
        p-value stays). Why: the report may state a separately run baseline beside the record's own."""
        alpha = self.alpha * self.family / max(1, family)
        return replace(self, alpha=alpha, family=max(1, family), significant=self.p_value < alpha)

    def verdict(self, metric: str = "test top-1") -> Verdict:
        result = McNemarResult(
            self.a_only, self.b_only, self.n, self.difference, self.p_value, self.alpha, self.family
        )
        return verdict(result, self.a, self.b, metric)


@dataclass(kw_only=True)
class SplitScore:
    """The kept fine-tune on one split of the data set: ``stratified`` or ``artist-disjoint``.

    ``test_artist_seen`` is the share of test paintings whose artist also has paintings in train:
    near 1 for a stratified split, 0 for an artist-disjoint one (unknown artists aside).
    """

    split: str
    group_by: str
    n_train: int
    n_test: int
    test_artist_seen: float
    top1: float
    top1_low: float
    top1_high: float


@dataclass(kw_only=True)
class SplitComparison:
    """02 on both splits of one set (``classify.split_comparison``), the same recipe on each.

    Different test paintings, so the difference (stratified minus artist-disjoint) has Newcombe's
    unpaired interval (:func:`artdl.core.difference_of_proportions`), not McNemar's test.
    """

    scores: list[SplitScore]
    difference: float
    low: float
    high: float
    confidence: float

    def verdict(self) -> Verdict:
        a, b = self.scores
        interval = Interval(self.difference, self.low, self.high, a.n_test + b.n_test, self.confidence,
                            kind="Newcombe interval, two test splits")  # fmt: skip
        return verdict(interval, f"the {a.split} split", f"the {b.split} split", "test top-1")


@dataclass(kw_only=True)
class ClassificationRecord(Record):
    """A 02 run. ``models`` maps ``fine-tune``, ``fine-tune, last epoch``, ``linear probe`` and
    ``from scratch, same time`` / ``from scratch, same steps`` (those that ran) to their test scores;
    ``scratch_runs`` names each baseline's budget and ``paired`` holds McNemar's test of the
    fine-tune against the probe and each baseline, on the same test paintings. Whether the fine-tune
    beats one is not stored apart: it depends on every test stated beside it (the report adds the
    separately run equal-steps baseline to the family, ``PairedTest.within``)."""

    NOTEBOOK = "02_classify"
    SCHEMA_VERSION = 4  # 2: look-alike groups whose labels disagree; 3: McNemar verdicts, a scratch row per
    #   budget; 4: the McNemar tests are one Bonferroni family (PairedTest.family), no stored beats_probe
    SECTIONS = ("classify", "data")

    task: Task
    recipe: Recipe
    kept: Kept
    models: dict[str, ModelScores]
    optimizer_steps: dict[str, int | None]
    scratch_runs: list[ScratchRun] = field(default_factory=list)
    paired: dict[str, PairedTest] = field(default_factory=dict)  # "fine-tune vs linear probe", ...
    seconds: dict[str, float] = field(default_factory=dict)
    most_confused: list[ConfusedPair] = field(default_factory=list)
    history: dict[str, list[EpochRow]] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    split_comparison: SplitComparison | None = None  # classify.split_comparison: both splits side by side


@dataclass(kw_only=True)
class ScratchStepsRecord(Record):
    """The equal-steps from-scratch baseline of the committed CPU default, run apart
    (``benchmarks/run_scratch_steps.py``, ``results/02_classify.scratch_steps.json``) because on
    the 2-core CPU it takes about 25 minutes, too long for the notebook.

    ``paired`` is McNemar's test against the committed run's kept fine-tune (``finetune_date``) on
    the same test paintings; ``None`` when that record holds no per-painting hits.
    """

    NOTEBOOK = "02_classify"
    SCHEMA_VERSION = 1
    SECTIONS = ("classify", "data")
    CONFIG_NAME = "scratch_steps"

    dataset: str
    run: ScratchRun
    scores: ModelScores
    finetune_steps: int
    finetune_date: str
    paired: PairedTest | None = None
    history: list[EpochRow] = field(default_factory=list)


def pair_with_finetune(
    finetune: ModelScores, baseline: ModelScores, name: str, stats: StatsConfig | None = None
) -> PairedTest | None:
    """McNemar's test of the kept fine-tune against a baseline scored in another run, on the same
    test paintings (their ``hits`` in the same order), or ``None`` where either run kept no hits or
    they scored different test sets.

    Why: a baseline that takes too long for the notebook (the equal-steps one) is paired with
    whichever fine-tune the README shows, so a re-run of 02 never leaves it paired with an older one.
    """
    a, b = finetune.hits, baseline.hits
    if a is None or b is None or len(a) != len(b) or finetune.classes != baseline.classes:
        return None
    result = mcnemar_exact([h == "1" for h in a], [h == "1" for h in b], stats)
    return PairedTest.of(result, "fine-tune", name)
