"""04 · retrieval: Findings and the README section from ``results/04_retrieve.json``.

Every statement is computed from the record: whether the re-rank raised the graph-connected share
and at what cost in label precision, which weight the stated rule picked, how much of the
collection the influence graph reaches, and whether a style-tuned backbone retrieves by style
better than ImageNet features.
"""

from __future__ import annotations

from typing import Any

from artdl.report import md_table

NOTEBOOK = "04_retrieve"
K = 10


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def coverage_line(cov: dict[str, Any]) -> str:
    """One sentence on how much of the collection the graph reaches."""
    kinds = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in cov["edge_types_among_collection"].items())
    return (
        f"{cov['artists_matched']} of {cov['artists']} named artists matched in the graph "
        f"({cov['matched_exact']} exactly, {cov['matched_words']} by words and birth year, "
        f"{cov['matched_override']} by user overrides); {cov['paintings_in_graph']} of {cov['paintings']} "
        f"paintings ({_pct(cov['paintings_in_graph'] / cov['paintings'])}) are by a matched artist; "
        f"{cov['edges_among_collection']} edges join {cov['collection_artists_with_edges']} of the collection's "
        f"artists ({kinds})."
    )


def _sweep_rows(sweep: dict[str, Any]) -> list[list[str]]:
    rows = []
    for r in sweep["rows"]:
        mark = " (chosen)" if r["weight"] == sweep["chosen"] else ""
        rows.append(
            [
                f"{r['weight']:g}{mark}",
                f"{r[f'label P@{K}']:.3f}",
                f"{r[f'connected share@{K} (d<=1)']:.3f}",
                f"{r[f'connected share@{K} (d<=2)']:.3f}",
                f"{r[f'distinct artists@{K}']:.2f}",
            ]
        )
    ch = sweep["chance"]
    rows.append(["chance (random list)", "–", f"{ch['d<=1']:.3f}", f"{ch['d<=2']:.3f}", "–"])
    return rows


SWEEP_HEADER = ["weight α", f"label P@{K}", f"connected@{K} d≤1", f"connected@{K} d≤2", "distinct artists"]


def _sweep_sentence(sweep: dict[str, Any]) -> str:
    rows = {r["weight"]: r for r in sweep["rows"]}
    base = rows[0.0] if 0.0 in rows else sweep["rows"][0]
    chosen = rows[sweep["chosen"]]
    strongest = sweep["rows"][-1]
    c1, lab = f"connected share@{K} (d<=1)", f"label P@{K}"
    gain = strongest[c1] - base[c1]
    cost = base[lab] - strongest[lab]
    text = (
        f"On the {sweep['queries']} queries whose artist has a graph neighbour in the collection, "
        f"the strongest re-rank (α = {strongest['weight']:g}) "
        + ("raised" if gain > 0 else "did not raise")
        + f" the connected share (d ≤ 1) from {base[c1]:.3f} to {strongest[c1]:.3f} ({gain:+.3f}), "
        f"at a label P@{K} cost of {cost:.3f} ({base[lab]:.3f} → {strongest[lab]:.3f}). "
    )
    if sweep["chosen"] == base["weight"]:
        text += (
            f"The rule (highest connected share among weights that lose at most {sweep['max_label_drop']:g} label "
            f"P@{K}) keeps **α = {sweep['chosen']:g}, plain cosine**: no weight bought connected artists that cheaply."
        )
    else:
        text += (
            f"The rule (highest connected share among weights that lose at most {sweep['max_label_drop']:g} label "
            f"P@{K}) picks **α = {sweep['chosen']:g}**: connected share {base[c1]:.3f} → {chosen[c1]:.3f}, "
            f"label P@{K} {base[lab]:.3f} → {chosen[lab]:.3f}."
        )
    return text


def findings(record: dict[str, Any]) -> str:
    m = record["metrics"]
    ev, chance = m["evaluation"], m["chance"]
    learned = {k: v for k, v in ev.items() if k not in ("pixels",) and not v.get("random_weights")}
    best = max(learned or ev, key=lambda s: ev[s][f"label P@{K}"])
    per = m["per_label"]
    top2 = sorted(per, key=lambda lab: -per[lab]["paintings"])[:2]
    share2 = sum(per[lab]["paintings"] for lab in top2) / m["collection"]["paintings"]
    dup = m["near_duplicates"]
    lines = [
        f"- **Retrieval.** Of the learned embeddings, `{best}` retrieves best: label P@{K} "
        f"{ev[best][f'label P@{K}']:.3f} (chance {chance['label']:.3f}), artist P@{K} "
        f"{ev[best][f'artist P@{K}']:.3f} (chance {chance['artist']:.3f}); pixels reach "
        f"{ev['pixels'][f'label P@{K}']:.3f}."
        if "pixels" in ev
        else "",
        f"- **Per label.** {top2[0]} and {top2[1]} hold {_pct(share2)} of the collection, so the overall "
        f"P@{K} is mostly theirs: {per[top2[0]][f'P@{K}']:.3f} and {per[top2[1]][f'P@{K}']:.3f}; the AIC "
        f"period labels range {min(v[f'P@{K}'] for k, v in per.items() if k not in top2):.3f}–"
        f"{max(v[f'P@{K}'] for k, v in per.items() if k not in top2):.3f}.",
        f"- **Near-duplicates.** {dup['groups_merged']} group(s) of look-alike scans "
        f"({dup['paintings_in_groups']} paintings); another scan of the query was removed from "
        f"{dup['queries_with_removed']} result list(s), and collapsing look-alikes folded "
        f"{dup['collapsed']} result(s) across all lists.",
        f"- **Influence graph** ({m['coverage']['source']}). " + coverage_line(m["coverage"]),
        f"- **Trade-off.** {_sweep_sentence(m['sweep'])}",
    ]
    show = m.get("showcase")
    if show:
        parts = [
            f"at α = {w}: {len(moved)} new result(s)"
            + (": " + "; ".join(f"{x['artist']} ({x['path'] or 'no path'})" for x in moved) if moved else "")
            for w, moved in show["weights"].items()
        ]
        lines.append(f"- **Showcase**, a query by {show['artist']}: " + " — ".join(parts) + ".")
    lines.append(f"- **Style retrieval.** {style_sentence(m['styles'])}")
    return "\n".join(x for x in lines if x)


def style_sentence(st: dict[str, Any]) -> str:
    """ImageNet vs the fine-tuned style backbone on the styles test split, or why it was skipped."""
    if not st.get("imagenet"):
        return st.get("note", "not run.")
    im = st["imagenet"]
    text = (
        f"On the {st['split']} split of `{st['dataset']}` ({st['paintings']} paintings, {st['labels']} styles, "
        f"chance P@{K} {st['chance']:.3f}): ImageNet features reach style P@{K} {im[f'P@{K}']:.3f}, mAP {im['mAP']:.3f}"
    )
    ft = st.get("finetuned")
    if not ft:
        return text + f"; {st.get('note', 'no fine-tuned checkpoint')}"
    gap = ft.get(f"P@{K} gap", ft[f"P@{K}"] - im[f"P@{K}"])
    noise = ft.get(f"P@{K} gap 2se")
    if noise is None:
        verdict = (
            "it does retrieve by style better" if gap > 0 else "it does **not** retrieve by style better"
        )
        span = f"{gap:+.3f} P@{K}"
    else:
        verdict = (
            "it retrieves by style better, beyond noise"
            if gap > noise
            else "it is worse"
            if gap < -noise
            else "the difference is within noise"
        )
        span = f"{gap:+.3f} ± {noise:.3f} P@{K}, paired over queries"
    return (
        text
        + f"; the fine-tuned style backbone ({st.get('finetuned_phase', '?')} phase) reaches {ft[f'P@{K}']:.3f}, "
        + f"mAP {ft['mAP']:.3f}: {verdict} ({span})."
        + (f" Note: {st['note']}" if st.get("note") else "")
    )


def readme(record: dict[str, Any]) -> dict[str, str]:
    m = record["metrics"]
    ev = m["evaluation"]
    eval_rows = [
        [s, v["dim"], f"{v[f'label P@{K}']:.3f}", f"{v['label mAP']:.3f}", f"{v[f'artist P@{K}']:.3f}"]
        for s, v in ev.items()
    ]
    eval_rows.append(["chance", "–", f"{m['chance']['label']:.3f}", "–", f"{m['chance']['artist']:.3f}"])
    parts = [
        md_table(eval_rows, ["embedding", "dim", f"label P@{K}", "label mAP", f"artist P@{K}"], "lrrrr"),
        f"Influence graph ({m['coverage']['source']}): " + coverage_line(m["coverage"]),
        f"Re-rank sweep ({m['sweep']['queries']} queries with a graph neighbour in the collection, "
        f"near-duplicates of the query excluded):",
        md_table(_sweep_rows(m["sweep"]), SWEEP_HEADER, "lrrrr"),
        _sweep_sentence(m["sweep"]),
        "Style retrieval: " + style_sentence(m["styles"]),
    ]
    return {"retrieve": "\n\n".join(parts)}
