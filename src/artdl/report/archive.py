"""05 · Training the Archive: Findings and the README section from ``results/05_archive.json``
(a :class:`artdl.archive.ArchiveRecord`).

The headline is the artist-disjoint graph-triplet result (held-out artists the head never saw, in
any role), read against chance; the label-triplet run is reported only as a sanity check.
"""

from __future__ import annotations

from artdl.archive import ArchiveRecord, RankResult
from artdl.report.markdown import md_table

RECORD = ArchiveRecord


def _clusters(r: RankResult) -> str:
    return f"{r.confidence:.0%}, {r.clusters} {r.clustered_by.replace(' ', '-')} clusters"


def _verdict(r: RankResult) -> str:
    """Plain words for a held-out mean rank change (lower is better), judged by its interval (``r.confidence``)."""
    noise = r.half_width(r.change_se)
    span = (
        f"{r.before:.2f} → {r.after:.2f}, change {r.after - r.before:+.2f} ± {noise:.2f} ({_clusters(r)}); "
        f"chance {r.chance:.2f}"
    )
    if r.after < r.before - noise:
        return f"the head **lowered** it: {span}"
    if r.after > r.before + noise:
        return f"the head **raised** it, so it did not generalise: {span}"
    return f"the head did **not** change it beyond noise: {span}"


def _closer(r: RankResult) -> str:
    """Whether the frozen embedding ranks graph neighbours above chance, by the interval of its rank."""
    if r.chance - r.before > r.half_width(r.before_se):
        return "graph neighbours are closer than chance in it"
    return "graph neighbours are no closer than chance in it beyond noise"


def _rows(record: ArchiveRecord) -> list[list[str]]:
    rows = []
    for name, result in (("graph triplets", record.graph), ("label triplets (sanity check)", record.labels)):
        for part, x in (("train", result.train), ("held-out", result.heldout)):
            rows.append(
                [
                    name,
                    part,
                    x.triplets,
                    _pm(x.before, x.half_width(x.before_se)),
                    _pm(x.after, x.half_width(x.after_se)),
                    f"{x.chance:.2f}",
                    f"{x.clusters} {x.clustered_by}s",
                ]
            )
    return rows


def _pm(value: float, half_width: float) -> str:
    return f"{value:.2f} ± {half_width:.2f}"


HEADER = ["triplets", "split", "n", "mean rank before", "after head", "chance", "clusters"]


def findings(record: ArchiveRecord) -> str:
    """05's Findings: each triplet kind's mean rank before and after the head, judged by its interval."""
    g, lab = record.graph, record.labels
    split, held = g.split, g.heldout
    carries = held.after < held.before - held.half_width(held.change_se)
    lines = [
        f"- **Graph triplets** (anchor by artist A, positive by an artist within graph distance "
        f"{g.positive_distance}, {g.negatives} negatives by artists with no path within "
        f"{g.far_distance}): {split.train_artists} training and {split.heldout_artists} held-out "
        f"artists, {split.artists_in_both} artists in both.",
        f"- On **held-out artists** ({held.triplets} triplets; anchors by "
        f"{', '.join(split.heldout_anchor_artists)}), the frozen `{record.source}` embedding ranks the "
        f"positive at {held.before:.2f} on average (1 = first; chance {held.chance:.2f}), so "
        + _closer(held)
        + f"; {_verdict(held)}.",
        f"- On its own training triplets the head goes {g.train.before:.2f} → {g.train.after:.2f}: "
        + (
            "part of that carries to unseen artists."
            if carries
            else "what it fits there does not carry to unseen artists."
        ),
        f"- **Sanity check, label triplets** (positive shares the label; held out by anchor only, so "
        f"not a test of generalisation): held-out {lab.heldout.before:.2f} → {lab.heldout.after:.2f} "
        f"(chance {lab.heldout.chance:.2f}). The head can learn labels; that is all this shows.",
    ]
    return "\n".join(lines)


def readme(record: ArchiveRecord) -> dict[str, str]:
    """The README's 05 section: mean ranks with half-intervals whose errors count one anchor as one sample."""
    split = record.graph.split
    text = (
        f"Mean rank of the positive among 1 positive + {record.graph.negatives} negatives (1 = best; ± half a "
        f"{record.graph.heldout.confidence:.0%} "
        f"interval whose standard errors count the triplets of one anchor artist (graph) or one anchor painting "
        f"(labels) as one sample: triplets around the same anchor are not independent), "
        f"`{record.source}` embedding, before and after the projection head. Graph triplets are split by "
        f"artist ({split.train_artists} train / {split.heldout_artists} held-out artists, "
        f"{split.artists_in_both} shared)."
    )
    return {"archive": text + "\n\n" + md_table(_rows(record), HEADER, "llrrrrr")}
