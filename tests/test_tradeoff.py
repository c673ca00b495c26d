"""04's claims a reader can trust: the weight rule against chance, the P@10 cost of the chosen
weight, the paired comparisons of embeddings, and report sentences written only from verdicts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from artdl import retrieve
from artdl.core import StatsConfig, paired_bootstrap
from artdl.report import retrieve as report

from .record_samples import retrieval_sample

K = 10
STATS = StatsConfig(resamples=2000)
CHANCE = {f"connected share@{K} (d<=1)": 0.05, f"connected share@{K} (d<=2)": 0.4}
COVERAGE = retrieval_sample().influence.coverage.__dict__


def _sweep(
    connected: dict[float, np.ndarray], label: dict[float, np.ndarray], chance_d1: np.ndarray | None = None
) -> retrieve.RerankSweep:
    """A sweep with the given per-query connected shares (d<=1) and label P@10 per weight, and each
    query's chance (``CHANCE`` for every query unless ``chance_d1`` is given)."""
    per_query = {
        w: {f"label P@{K}": label[w], f"same-artist share@{K}": label[w], f"connected share@{K} (d<=1)": c,
            f"connected share@{K} (d<=2)": np.clip(c + 0.3, 0, 1), f"distinct artists@{K}": np.full(len(c), 3.0)}
        for w, c in connected.items()
    }  # fmt: skip
    means = [{"weight": w, **{n: float(v.mean()) for n, v in s.items()}} for w, s in per_query.items()]
    n = len(next(iter(connected.values())))
    chance = {name: np.full(n, level) for name, level in CHANCE.items()}
    if chance_d1 is not None:
        chance[f"connected share@{K} (d<=1)"] = np.asarray(chance_d1, dtype=float)
    return retrieve.RerankSweep(pd.DataFrame(means).set_index("weight"), per_query, np.arange(n), K, chance)


def _shares(n: int, mean: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).binomial(K, mean, size=n) / K


def _record(sweep: retrieve.RerankSweep):
    chosen = retrieve.pick_weight(sweep, STATS)
    rec = retrieval_sample()
    rec.influence = retrieve.influence_results(COVERAGE, sweep, chosen, None, STATS)
    return rec


def test_the_rule_takes_the_smallest_weight_beyond_chance_and_states_its_cost():
    n = 400
    label0 = _shares(n, 0.6, 1)
    sweep = _sweep(
        {0.0: _shares(n, 0.03, 2), 0.01: _shares(n, 0.055, 3), 0.05: _shares(n, 0.09, 4), 0.1: _shares(n, 0.12, 5)},
        {0.0: label0, 0.01: label0, 0.05: np.clip(label0 - 0.1, 0, 1), 0.1: np.clip(label0 - 0.2, 0, 1)},
    )
    rec = _record(sweep)
    # 0.01 sits at chance (its mean 0.055 is within noise of 0.05); 0.05 is far above it
    assert rec.influence.sweep.chosen == 0.05
    rows = {r.weight: r for r in rec.influence.sweep.rows}
    assert not rows[0.01].vs_chance.significant and rows[0.05].vs_chance.significant
    assert rows[0.05].connected_d1_interval.low > 0.05 >= rows[0.01].connected_d1_interval.low
    cost = rows[0.05].cost  # P@10 at the chosen weight against alpha = 0, paired over the same queries
    expected = paired_bootstrap(sweep.scores(0.05, "label P@k"), label0, STATS)
    assert cost.difference == pytest.approx(expected.value) and cost.low == pytest.approx(expected.low)
    assert cost.significant and cost.difference < 0 and rows[0.0].cost is None
    text = report.findings(rec)
    assert "picks **α = 0.05**" in text and f"What it costs: {cost.sentence}" in text
    headline = report.headline_rows(rec)[1]
    assert "re-rank α = 0.05" in headline[1] and "chance (random list) 0.050" in headline[3]
    assert re.search(r"label P@10 cost -0\.\d+ \[-0\.\d+, -0\.\d+\] lower", headline[3])


def test_each_query_is_held_to_its_own_chance():
    """A re-rank that lifts every query 0.01 above its own chance beats chance, however unequal the
    chances are: pairing removes the spread between well- and poorly-connected queries, which a
    comparison of the mean with one level would count as noise (and find nothing)."""
    n = 100
    chance = np.linspace(0.0, 0.5, n)
    label = _shares(n, 0.6, 1)
    sweep = _sweep({0.0: chance.copy(), 0.1: chance + 0.01}, {0.0: label, 0.1: label}, chance_d1=chance)
    assert retrieve.pick_weight(sweep, STATS) == 0.1
    assert retrieve.versus_chance(sweep, 0.1, STATS).low == pytest.approx(0.01)
    assert sweep.chance_levels()[f"connected share@{K} (d<=1)"] == pytest.approx(0.25)


def test_the_rule_pays_for_trying_many_weights():
    """A share just beyond chance at 95% passes when it is the only weight tried, and not when nine
    more weights are tried too (Bonferroni over the sweep): the rule would otherwise find a weight
    "beyond chance" by luck more often than one time in twenty."""
    n, chance = 400, 0.2
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    borderline = chance + 0.0115 + 0.1 * sign  # mean 2.3 standard errors above chance
    at_chance = chance + 0.1 * sign
    label = _shares(n, 0.6, 1)
    one = _sweep({0.0: at_chance, 0.01: borderline}, {0.0: label, 0.01: label}, np.full(n, chance))
    assert retrieve.pick_weight(one, STATS) == 0.01
    many = {0.0: at_chance, 0.01: borderline, **{0.02 * i: at_chance for i in range(1, 10)}}
    ten = _sweep(many, {w: label for w in many}, np.full(n, chance))
    assert retrieve.rule_stats(ten, STATS).family == 10
    assert retrieve.pick_weight(ten, STATS) == 0.0
    assert "Bonferroni" in _record(ten).influence.sweep.rows[1].vs_chance.sentence


def test_no_weight_beyond_chance_means_no_rerank_said_plainly():
    n = 300
    label = _shares(n, 0.6, 1)
    sweep = _sweep({0.0: _shares(n, 0.034, 2), 0.005: _shares(n, 0.036, 3), 0.02: _shares(n, 0.045, 4)},
                   {0.0: label, 0.005: label, 0.02: label})  # fmt: skip
    rec = _record(sweep)
    assert rec.influence.sweep.chosen == 0.0
    text, section = report.findings(rec), report.readme(rec)["retrieve"]
    for out in (text, section):
        assert "no weight in the sweep that lifts the connected share above chance" in out
        assert "picks **α" not in out
    headline = report.headline_rows(rec)[1]
    assert "no re-rank" in headline[1] and "no weight in the sweep lifts the connected share above chance" in headline[3]
    assert "a random list beats α = 0" in text  # plain cosine sits below chance, and the verdict says so


def test_no_sentence_claims_a_win_without_a_significant_verdict():
    n = 200
    same = _shares(n, 0.05, 7)
    sweep = _sweep({0.0: same, 0.1: same.copy()}, {0.0: _shares(n, 0.6, 1), 0.1: _shares(n, 0.6, 1)})
    rec = _record(sweep)
    pixels = _shares(781, 0.34, 2)
    rec.evaluation.vs_pixels = retrieve.versus_baseline(
        {"pixels": pixels, "cnn": pixels.copy()}, "pixels", "label P@10 (all 781 queries)", STATS
    )
    texts = [report.findings(rec), report.readme(rec)["retrieve"], *map(str, report.headline_rows(rec))]
    verdicts = [r.vs_chance for r in rec.influence.sweep.rows] + [r.gain for r in rec.influence.sweep.rows if r.gain]
    verdicts += list(rec.evaluation.vs_pixels.values())
    assert not any(v.significant for v in verdicts)
    for out in texts:
        assert "beats" not in out and "higher" not in out and "picks **α" not in out
    assert "no measurable difference" in texts[0]


def test_a_converted_record_says_re_run_04_instead_of_a_claim():
    rec = retrieval_sample()
    rec.evaluation.vs_pixels, rec.influence.sweep.chosen, rec.styles.verdict = None, None, None
    for row in rec.influence.sweep.rows:
        row.connected_d1_interval = row.connected_d2_interval = row.vs_chance = row.gain = row.cost = None
    text, section = report.findings(rec), report.readme(rec)["retrieve"]
    assert "beats" not in text + section and "re-run 04" in text and "re-run 04" in section
    assert report.headline_rows(rec)[1][2] == "re-run 04"


def test_random_clip_weights_are_named_in_the_table_and_findings():
    rec = retrieval_sample()
    scores = rec.evaluation.scores
    scores["clip"] = retrieve.EmbeddingScores(dim=64, weights="open_clip RANDOM", random_weights=True,
                                              label_precision=0.34, label_map=0.3, artist_precision=0.38,
                                              artist_map=0.35)  # fmt: skip
    table = report.readme(rec)["retrieve"]
    assert "| clip (RANDOM weights: a wiring check, not a measurement) | 64 | 0.340 |" in table
    assert "`clip (RANDOM weights" in report.findings(rec)
    assert report.headline_rows(rec)[0][2].startswith("`cnn`")  # a random model is never the headline


def test_paired_comparison_of_embeddings_tells_a_real_gap_from_none(monkeypatch):
    from artdl.retrieve import evaluation

    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], 30)
    centres = rng.normal(size=(3, 8)) * 4
    good = centres[np.repeat([0, 1, 2], 30)] + rng.normal(size=(90, 8))
    noise = rng.normal(size=(90, 8))
    named = np.arange(90) % 3 != 0  # e.g. only paintings by named artists are artist queries
    table = pd.DataFrame({"label": labels, "artist": labels, "artist_known": named})
    rankings = []
    ranking = evaluation.cosine_topk
    monkeypatch.setattr(evaluation, "cosine_topk", lambda *a, **kw: rankings.append(1) or ranking(*a, **kw))
    evaluation = retrieve.evaluate_retrieval({"pixels": noise, "good": good, "same": noise}, table, k=5)
    assert len(rankings) == 3  # one leave-one-out ranking per embedding, shared by label and artist
    per_query = evaluation.per_query["label"]
    assert {len(v) for v in per_query.values()} == {90}
    assert evaluation.table.loc["good", "label P@5"] == pytest.approx(per_query["good"].mean())
    verdicts = retrieve.versus_baseline(per_query, "pixels", "label P@5", STATS)
    assert verdicts["good"].significant and verdicts["good"].difference > 0.3
    assert not verdicts["same"].significant and verdicts["same"].difference == 0
    assert retrieve.versus_baseline(per_query, "absent", "label P@5") == {}
    kept = evaluation.per_query["artist"]["good"]
    assert len(kept) == named.sum() == evaluation.table.loc["good", "artist queries"]
    assert np.array_equal(kept, per_query["good"][named])  # the same queries' P@5, the others left out


def test_random_weights_are_read_from_the_line_that_named_them():
    from artdl.models import has_random_weights, weights_line

    assert has_random_weights(weights_line("open_clip ViT-B-32", "file x.pt", random=True))
    assert not has_random_weights(weights_line("open_clip ViT-B-32", "openai (open_clip, downloaded)"))


def test_embeddings_against_pixels_are_one_family():
    """A gain 2.3 standard errors above pixels is "measurable" alone and not when three more
    embeddings are read beside it: the four verdicts share 95% (Bonferroni), as the README reads them."""
    n = 400
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    pixels = 0.4 + 0.1 * sign
    per_query = {"pixels": pixels, "dae": pixels + 0.0115 + 0.1 * sign[np.arange(n) // 2]}  # paired sd 0.1
    alone = retrieve.versus_baseline(per_query, "pixels", "label P@5", STATS)["dae"]
    assert alone.significant
    read_together = {**per_query, "swae": pixels.copy(), "cnn": pixels.copy(), "clip": pixels.copy()}
    together = retrieve.versus_baseline(read_together, "pixels", "label P@5", STATS)["dae"]
    assert not together.significant and together.sentence.startswith("no measurable difference")
    assert together.low < alone.low and "Bonferroni" in together.sentence


def test_plain_cosine_against_chance_is_not_one_of_the_rules_tries():
    n = 200
    sweep = _sweep({0.0: _shares(n, 0.05, 2), 0.1: _shares(n, 0.1, 3), 0.2: _shares(n, 0.2, 4)},
                   {w: _shares(n, 0.6, 1) for w in (0.0, 0.1, 0.2)})  # fmt: skip
    assert retrieve.versus_chance(sweep, 0.0, STATS).family == 1
    assert retrieve.versus_chance(sweep, 0.1, STATS).family == 2
