"""04 · retrieval: Findings and the README section from ``results/04_retrieve.json``
(a :class:`artdl.retrieve.RetrievalRecord`).

Every statement is computed from the record: whether the re-rank raised the graph-connected share
and at what cost in label precision, which weight the stated rule picked, how much of the
collection the influence graph reaches, and whether a style-tuned backbone retrieves by style
better than ImageNet features.
"""

from __future__ import annotations

from artdl.report import md_table
from artdl.retrieve import Coverage, RetrievalRecord, StyleRetrieval, Sweep

RECORD = RetrievalRecord


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


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
            f"{r.label_precision:.3f}",
            f"{r.connected_share_d1:.3f}",
            f"{r.connected_share_d2:.3f}",
            f"{r.distinct_artists:.2f}",
        ]
        for r in sweep.rows
    ]
    rows.append(["chance (random list)", "–", f"{sweep.chance_d1:.3f}", f"{sweep.chance_d2:.3f}", "–"])
    return rows


def sweep_header(k: int) -> list[str]:
    return ["weight α", f"label P@{k}", f"connected@{k} d≤1", f"connected@{k} d≤2", "distinct artists"]


def _sweep_sentence(sweep: Sweep, k: int) -> str:
    rows = {r.weight: r for r in sweep.rows}
    base = rows.get(0.0, sweep.rows[0])
    chosen = rows[sweep.chosen]
    strongest = sweep.rows[-1]
    gain = strongest.connected_share_d1 - base.connected_share_d1
    cost = base.label_precision - strongest.label_precision
    text = (
        f"On the {sweep.queries} queries whose artist has a graph neighbour in the collection, "
        f"the strongest re-rank (α = {strongest.weight:g}) "
        + ("raised" if gain > 0 else "did not raise")
        + f" the connected share (d ≤ 1) from {base.connected_share_d1:.3f} to {strongest.connected_share_d1:.3f} "
        f"({gain:+.3f}), at a label P@{k} cost of {cost:.3f} ({base.label_precision:.3f} → "
        f"{strongest.label_precision:.3f}). "
    )
    rule = (
        f"The rule (highest connected share among weights that lose at most {sweep.max_label_drop:g} label "
        f"P@{k}) "
    )
    if sweep.chosen == base.weight:
        return (
            text
            + rule
            + (
                f"keeps **α = {sweep.chosen:g}, plain cosine**: no weight bought connected artists that cheaply."
            )
        )
    return (
        text
        + rule
        + (
            f"picks **α = {sweep.chosen:g}**: connected share {base.connected_share_d1:.3f} → "
            f"{chosen.connected_share_d1:.3f}, label P@{k} {base.label_precision:.3f} → {chosen.label_precision:.3f}."
        )
    )


def _retrieval_line(record: RetrievalRecord) -> str:
    ev, chance, k = record.evaluation.scores, record.evaluation.chance, record.k
    if "pixels" not in ev:
        return ""
    learned = {s: v for s, v in ev.items() if s != "pixels" and not v.random_weights}
    best = max(learned or ev, key=lambda s: ev[s].label_precision)
    return (
        f"- **Retrieval.** Of the learned embeddings, `{best}` retrieves best: label P@{k} "
        f"{ev[best].label_precision:.3f} (chance {chance.label:.3f}), artist P@{k} "
        f"{ev[best].artist_precision:.3f} (chance {chance.artist:.3f}); pixels reach "
        f"{ev['pixels'].label_precision:.3f}."
    )


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
    gap = ft.gap if ft.gap is not None else ft.precision - im.precision
    noise = ft.gap_2se  # None when the split had a single query (no standard error)
    if noise is None:
        verdict = (
            "it does retrieve by style better" if gap > 0 else "it does **not** retrieve by style better"
        )
        span = f"{gap:+.3f} P@{k}"
    else:
        verdict = (
            "it retrieves by style better, beyond noise"
            if gap > noise
            else "it is worse"
            if gap < -noise
            else "the difference is within noise"
        )
        span = f"{gap:+.3f} ± {noise:.3f} P@{k}, paired over queries"
    return (
        text
        + f"; the fine-tuned style backbone ({st.finetuned_phase or '?'} phase) reaches {ft.precision:.3f}, "
        + f"mAP {ft.mean_ap:.3f}: {verdict} ({span})."
        + (f" Note: {st.note}" if st.note else "")
    )


def readme(record: RetrievalRecord) -> dict[str, str]:
    ev, chance, k, influence = record.evaluation.scores, record.evaluation.chance, record.k, record.influence
    eval_rows = [
        [s, v.dim, f"{v.label_precision:.3f}", f"{v.label_map:.3f}", f"{v.artist_precision:.3f}"]
        for s, v in ev.items()
    ]
    eval_rows.append(["chance", "–", f"{chance.label:.3f}", "–", f"{chance.artist:.3f}"])
    parts = [
        md_table(eval_rows, ["embedding", "dim", f"label P@{k}", "label mAP", f"artist P@{k}"], "lrrrr"),
        f"Influence graph ({influence.coverage.source}): " + coverage_line(influence.coverage),
        f"Re-rank sweep ({influence.sweep.queries} queries with a graph neighbour in the collection, "
        f"near-duplicates of the query excluded):",
        md_table(_sweep_rows(influence.sweep), sweep_header(k), "lrrrr"),
        _sweep_sentence(influence.sweep, k),
        "Style retrieval: " + style_sentence(record.styles, k),
    ]
    return {"retrieve": "\n\n".join(parts)}
