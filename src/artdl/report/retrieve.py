"""04 · retrieval: Findings and the README section from ``results/04_retrieve.json``
(a :class:`artdl.retrieve.RetrievalRecord`).

Every statement is computed from the record, and every comparison is written from a verdict of
:func:`artdl.core.verdict` (a bootstrap interval over the queries), never from the sign of a
difference: each embedding against pixels, each connected share against a random list's, the
re-rank's gain and its cost in label precision, the style-tuned backbone against ImageNet's.
Two label precisions are told apart by their query sets: "all N queries" (the evaluation over
the whole collection) and "N graph queries" (the re-rank sweep).
"""

from __future__ import annotations

from artdl.core import Interval, Verdict
from artdl.report.markdown import md_table
from artdl.retrieve import Coverage, RetrievalRecord, StyleRetrieval, Sweep, SweepRow

RECORD = RetrievalRecord


RERUN_04 = "re-run of 04 (`python -m artdl run --only 04`)"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _share(value: float, interval: Interval | None) -> str:
    """``0.069 [0.058, 0.080]``: a connected share with its bootstrap interval (or the mean alone)."""
    return f"{value:.3f}" + (f" [{interval.low:.3f}, {interval.high:.3f}]" if interval else "")


def _diff(v: Verdict | None) -> str:
    """A verdict as a table cell: the difference, its interval, and the verdict's word for it."""
    if v is None:
        return "re-run 04"
    word = ("higher" if v.difference > 0 else "lower") if v.significant else "no measurable difference"
    return f"{v.difference:+.3f} [{v.low:+.3f}, {v.high:+.3f}] {word}"


def coverage_line(cov: Coverage) -> str:
    """One sentence on how much of the collection the graph reaches."""
    kinds = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in cov.edge_types_among_collection.items())
    return (
        f"{cov.artists_matched} of {cov.artists} named artists matched in the graph "
        f"({cov.matched_exact} exactly, {cov.matched_words} by words and birth year, "
        f"{cov.matched_override} by user overrides); {cov.paintings_in_graph} of {cov.paintings} "
        f"paintings ({_pct(cov.paintings_in_graph / cov.paintings)}) are by a matched artist; "
        f"{cov.edges_among_collection} edges join {cov.collection_artists_with_edges} of the collection's "
        f"artists ({kinds})."
    )


def _sweep_rows(sweep: Sweep) -> list[list[str]]:
    rows = [
        [
            f"{r.weight:g}" + (" (chosen)" if r.weight == sweep.chosen else ""),
            f"{r.graph_label_precision:.3f}",
            "–" if r.weight == sweep.rows[0].weight else _diff(r.cost),
            _share(r.connected_share_d1, r.connected_d1_interval),
            _share(r.connected_share_d2, r.connected_d2_interval),
            f"{r.distinct_artists:.2f}",
        ]
        for r in sweep.rows
    ]
    rows.append(["chance (random list)", "–", "–", f"{sweep.chance_d1:.3f}", f"{sweep.chance_d2:.3f}", "–"])
    return rows


def sweep_header(sweep: Sweep, k: int) -> list[str]:
    """The column names of the re-rank sweep table, with each connected@k column's chance level in its name."""
    n = sweep.queries
    return [
        "weight α",
        f"label P@{k}, {n} graph queries",
        f"label P@{k} vs α = 0",
        f"connected@{k} d≤1 (chance {sweep.chance_d1:.3f})",
        f"connected@{k} d≤2 (chance {sweep.chance_d2:.3f})",
        "distinct artists",
    ]


def _verdict_text(v: Verdict | None) -> str:
    return v.sentence if v is not None else f"needs a {RERUN_04}"


def _sweep_sentence(sweep: Sweep, k: int) -> str:
    rows = {r.weight: r for r in sweep.rows}
    base, strongest = sweep.rows[0], sweep.rows[-1]
    if base.vs_chance is None:  # a record converted from schema 1: the means, and no claim
        return (
            f"On the {sweep.queries} graph queries, a random list's connected share (d ≤ 1) is "
            f"{sweep.chance_d1:.3f}, plain cosine's {base.connected_share_d1:.3f} and the strongest re-rank's "
            f"(α = {strongest.weight:g}) {strongest.connected_share_d1:.3f}; their intervals, the re-rank's gain "
            f"and cost, and the weight the rule picks need a {RERUN_04}."
        )
    text = (
        f"On the {sweep.queries} graph queries (those whose artist has a graph neighbour in the collection), "
        f"a random list's connected share (d ≤ 1) is {sweep.chance_d1:.3f} and plain cosine's "
        f"{_share(base.connected_share_d1, base.connected_d1_interval)}: {_verdict_text(base.vs_chance)}. "
        f"The strongest re-rank (α = {strongest.weight:g}): {_verdict_text(strongest.gain)}; "
        f"its cost: {_verdict_text(strongest.cost)}. "
    )
    rule = (
        "The rule (the smallest α whose connected share (d ≤ 1) exceeds each query's own chance, paired "
        "over the queries, beyond a bootstrap interval made Bonferroni-wide for the weights it tries) "
    )
    if sweep.chosen is None:
        return text + rule + "has not been applied to this record: re-run 04."
    if sweep.chosen not in rows or sweep.chosen == base.weight:
        return (
            text
            + rule
            + "finds **no weight in the sweep that lifts the connected share above chance**, so the "
            "showcase and the default use no re-rank (α = 0, plain cosine)."
        )
    chosen = rows[sweep.chosen]
    return (
        text
        + rule
        + f"picks **α = {sweep.chosen:g}**: {_verdict_text(chosen.vs_chance)}. What it costs: "
        + f"{_verdict_text(chosen.cost)}."
    )


def headline_rows(record: RetrievalRecord) -> list[list[str]]:
    """The README's "at a glance" rows of 04 (step, measure, result, against), from the verdicts."""
    ev, chance, k, sweep = (
        record.evaluation.scores,
        record.evaluation.chance,
        record.k,
        record.influence.sweep,
    )
    learned = {s: v for s, v in ev.items() if not v.random_weights} or ev
    best = max(learned, key=lambda s: ev[s].label_precision)
    versus = (record.evaluation.vs_pixels or {}).get(best)
    rows = [
        [
            "04",
            f"label P@{k}, cosine top-{k} ({record.collection.paintings} paintings, all queries)",
            f"`{best}` {ev[best].label_precision:.3f}",
            f"chance {chance.label:.3f}"
            + (f"; pixels {ev['pixels'].label_precision:.3f}" if "pixels" in ev and best != "pixels" else "")
            + (f"; vs pixels {_diff(versus)}" if versus else ""),
        ],
        ["04", *_connected_headline(sweep, k)],
    ]
    st = record.styles
    if st.imagenet is not None:
        tuned = st.finetuned
        rows.append(
            [
                "04",
                f"style P@{k}, `{st.dataset}` {st.split} (n={st.paintings})",
                f"fine-tuned backbone {tuned.precision:.3f}" if tuned else "fine-tuned backbone: not run",
                f"ImageNet {st.imagenet.precision:.3f}; chance {st.chance:.3f}"
                + (f"; difference {_diff(st.verdict)}" if tuned else ""),
            ]
        )
    return rows


def _connected_headline(sweep: Sweep, k: int) -> list[str]:
    base = sweep.rows[0]
    measure = f"influence-connected share@{k} (d ≤ 1), {sweep.queries} graph queries"
    against = f"chance (random list) {sweep.chance_d1:.3f}"
    rows: dict[float, SweepRow] = {r.weight: r for r in sweep.rows}
    if sweep.chosen is None:
        return [measure, "re-run 04", against + f"; no re-rank {base.connected_share_d1:.3f}"]
    if sweep.chosen not in rows or sweep.chosen == base.weight:
        return [
            measure + ", no re-rank",
            _share(base.connected_share_d1, base.connected_d1_interval),
            against + "; no weight in the sweep lifts the connected share above chance",
        ]
    chosen = rows[sweep.chosen]
    return [
        measure + f", re-rank α = {sweep.chosen:g}",
        _share(chosen.connected_share_d1, chosen.connected_d1_interval),
        against + f"; no re-rank {_share(base.connected_share_d1, base.connected_d1_interval)}; "
        f"label P@{k} cost {_diff(chosen.cost)}",
    ]


def _source_name(source: str, random_weights: bool) -> str:
    return f"{source} (RANDOM weights: a wiring check, not a measurement)" if random_weights else source


def _retrieval_line(record: RetrievalRecord) -> str:
    ev, chance, k, evaluation = (
        record.evaluation.scores,
        record.evaluation.chance,
        record.k,
        record.evaluation,
    )
    n = evaluation.label_queries
    scores = ", ".join(
        f"`{_source_name(s, v.random_weights)}` {v.label_precision:.3f}" for s, v in ev.items()
    )
    text = (
        f"- **Retrieval** (label P@{k} over all {n or record.collection.paintings} queries, chance "
        f"{chance.label:.3f}; artist P@{k} chance {chance.artist:.3f}): {scores}."
    )
    if "pixels" not in ev:
        return text
    if evaluation.vs_pixels is None:
        return text + " Each embedding against the pixels floor, paired over the queries: re-run 04."
    said = "; ".join(
        v.sentence + (" — random weights, a wiring check" if ev[s].random_weights else "")
        for s, v in evaluation.vs_pixels.items()
        if s in ev
    )
    return text + f" Against the pixels floor, paired over the same queries: {said}."


def _per_label_line(record: RetrievalRecord) -> str:
    per, k = record.per_label, record.k
    top2 = sorted(per, key=lambda lab: -per[lab].paintings)[:2]
    share2 = sum(per[lab].paintings for lab in top2) / record.collection.paintings
    rest = [v.precision for lab, v in per.items() if lab not in top2]
    return (
        f"- **Per label.** {top2[0]} and {top2[1]} hold {_pct(share2)} of the collection, so the overall "
        f"P@{k} is mostly theirs: {per[top2[0]].precision:.3f} and {per[top2[1]].precision:.3f}; the AIC "
        f"period labels range {min(rest):.3f}–{max(rest):.3f}."
    )


def findings(record: RetrievalRecord) -> str:
    """04's Findings: precision per embedding, look-alikes removed, and what the influence re-rank changed."""
    dup, influence = record.near_duplicates, record.influence
    lines = [
        _retrieval_line(record),
        _per_label_line(record),
        f"- **Near-duplicates.** {dup.groups_merged} group(s) of look-alike scans "
        f"({dup.paintings_in_groups} paintings); another scan of the query was removed from "
        f"{dup.queries_with_removed} result list(s), and collapsing look-alikes folded "
        f"{dup.collapsed} result(s) across all lists.",
        f"- **Influence graph** ({influence.coverage.source}). " + coverage_line(influence.coverage),
        f"- **Trade-off.** {_sweep_sentence(influence.sweep, record.k)}",
    ]
    show = influence.showcase
    if show is not None:
        parts = [
            f"at α = {w}: {len(moved)} new result(s)"
            + (": " + "; ".join(f"{x.artist} ({x.path or 'no path'})" for x in moved) if moved else "")
            for w, moved in show.weights.items()
        ]
        lines.append(f"- **Showcase**, a query by {show.artist}: " + " — ".join(parts) + ".")
    lines.append(f"- **Style retrieval.** {style_sentence(record.styles, record.k)}")
    return "\n".join(x for x in lines if x)


def style_sentence(st: StyleRetrieval, k: int) -> str:
    """ImageNet vs the fine-tuned style backbone on the styles test split, or why it was skipped."""
    im = st.imagenet
    if im is None:
        return st.note or "not run."
    text = (
        f"On the {st.split} split of `{st.dataset}` ({st.paintings} paintings, {st.labels} styles, "
        f"chance P@{k} {st.chance:.3f}): ImageNet features reach style P@{k} {im.precision:.3f}, mAP {im.mean_ap:.3f}"
    )
    ft = st.finetuned
    if ft is None:
        return text + f"; {st.note or 'no fine-tuned checkpoint'}"
    judged = st.verdict.sentence if st.verdict is not None else "the paired comparison needs a re-run of 04"
    return (
        text
        + f"; the fine-tuned style backbone ({st.finetuned_phase or '?'} phase) reaches {ft.precision:.3f}, "
        + f"mAP {ft.mean_ap:.3f}. Paired over the same queries: {judged}."
        + (f" Note: {st.note}" if st.note else "")
    )


def readme(record: RetrievalRecord) -> dict[str, str]:
    """The README's 04 tables: precision per embedding against chance and pixels, and the re-rank sweep."""
    ev, chance, k, influence = record.evaluation.scores, record.evaluation.chance, record.k, record.influence
    versus = record.evaluation.vs_pixels
    n = record.evaluation.label_queries or record.collection.paintings
    eval_rows = [
        [
            _source_name(s, v.random_weights),
            v.dim,
            f"{v.label_precision:.3f}",
            "–" if s == "pixels" else _diff(versus.get(s)) if versus is not None else "re-run 04",
            f"{v.label_map:.3f}",
            f"{v.artist_precision:.3f}",
        ]
        for s, v in ev.items()
    ]
    eval_rows.append(["chance", "–", f"{chance.label:.3f}", "–", "–", f"{chance.artist:.3f}"])
    header = [
        "embedding",
        "dim",
        f"label P@{k}, all {n} queries",
        "vs pixels (paired)",
        "label mAP",
        f"artist P@{k}",
    ]
    parts = [
        md_table(eval_rows, header, "lrrrrr"),
        f"Influence graph ({influence.coverage.source}): " + coverage_line(influence.coverage),
        f"Re-rank sweep ({influence.sweep.queries} graph queries: their artist has a graph neighbour in the "
        "collection; near-duplicates of the query excluded; 95 % bootstrap intervals over the queries):",
        md_table(_sweep_rows(influence.sweep), sweep_header(influence.sweep, k), "lrrrrr"),
        _sweep_sentence(influence.sweep, k),
        "Style retrieval: " + style_sentence(record.styles, k),
    ]
    return {"retrieve": "\n\n".join(parts)}
