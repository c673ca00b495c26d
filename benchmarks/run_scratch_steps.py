"""02's from-scratch baseline at the fine-tune's number of optimizer steps, for the committed CPU default.

The notebook gives the baseline the fine-tune's *wall time* (``classify.scratch.budget: time``): on
the 2-core CPU that is about 43 optimizer steps against the fine-tune's 612, since a from-scratch
step trains every layer on images (about 2.4 s) while the fine-tune trains the top on cached
activations. This script gives it the same *steps* instead (same loader, batch size and epochs),
about 25 minutes there, too long for the notebook:

    nice -n 10 python benchmarks/run_scratch_steps.py > scratch_steps.log 2>&1 &

It writes ``results/02_classify.scratch_steps.json`` (:class:`artdl.classify.ScratchStepsRecord`):
the baseline's test scores with intervals, its steps and seconds, and McNemar's exact test against
the committed run's kept fine-tune (``results/02_classify.json``) on the same test paintings. The
02 Findings and the README show the pretraining gain at equal steps from it. Checkpoints go to
``models/classifier/scratch_steps/``; the notebook's model is untouched.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import pandas as pd  # noqa: E402

from artdl import classify, data  # noqa: E402
from artdl.core import StatsConfig, load_config, load_record, models_dir, setup, write_results  # noqa: E402


def steps_record(
    cfg, committed: classify.ClassificationRecord, scratch: classify.FitResult, scores: dict
) -> classify.ScratchStepsRecord:
    """The typed record of one equal-steps baseline, paired with the committed fine-tune where it can be.

    McNemar needs both models' hits on the same paintings in the same order: the committed record's
    ``hits`` (absent in a record converted from an older schema) over a test split of the same size.
    """
    name, baseline = "from scratch, same steps", classify.model_scores(scores)
    paired = classify.pair_with_finetune(committed.models["fine-tune"], baseline, name, StatsConfig.from_config(cfg))
    label = f"same {scratch.optimizer_steps} steps, {scratch.seconds:.0f} s"
    history_columns = ["epoch", "phase", "val_acc", "train_acc", "seconds"]
    return classify.ScratchStepsRecord(
        dataset=str(cfg.classify.dataset),
        run=classify.ScratchRun(budget="steps", model=name, steps=scratch.optimizer_steps,
                                seconds=scratch.seconds, label=label),  # fmt: skip
        scores=baseline,
        finetune_steps=int(committed.optimizer_steps.get("fine-tune") or 0),
        finetune_date=committed.provenance.date,
        paired=paired,
        history=[classify.EpochRow(**row) for row in scratch.history[history_columns].to_dict("records")],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("overrides", nargs="*", help="config overrides, key=value (the committed run's, if any)")
    args = parser.parse_args()
    cfg = load_config("default", [*args.overrides, "classify.scratch.budget=steps"])
    committed = load_record(classify.ClassificationRecord)  # the fine-tune it is paired with
    device = setup(cfg)
    c = cfg.classify
    table = data.load_splits(cfg, c.dataset)
    classes = data.class_names(table)
    loaders = classify.configured_loaders(cfg, table, classes, progress=True)
    finetune = classify.FitResult("committed fine-tune", pd.DataFrame(), committed.kept.val_acc or 0.0, None,
                                  seconds=committed.seconds.get("fine-tune", 0.0))  # fmt: skip
    started = time.perf_counter()
    model, scratch = classify.scratch_baseline(
        cfg, loaders, classes, device, models_dir("classifier") / "scratch_steps", finetune, True, "steps"
    )
    scores = classify.evaluate(*classify.predict(model, loaders["test"], device, c.precision), classes)
    record = steps_record(cfg, committed, scratch, scores)
    if record.run.steps != record.finetune_steps:
        print(f"note: {record.run.steps} steps against the committed fine-tune's {record.finetune_steps}")
    path = write_results(record, cfg, config_name=classify.ScratchStepsRecord.CONFIG_NAME)
    verdict = record.paired.verdict().sentence if record.paired else "no paired test (re-run 02 first)"
    print(f"{record.run.label}: top-1 {record.scores.top1:.3f}; {verdict}; "
          f"{time.perf_counter() - started:.0f} s; wrote {path}")  # fmt: skip


if __name__ == "__main__":
    main()
