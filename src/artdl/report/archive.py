"""05 · Training the Archive: Findings and the README section from ``results/05_archive.json``.

The headline is the artist-disjoint graph-triplet result (held-out artists the head never saw, in
any role), read against chance; the label-triplet run is reported only as a sanity check.
"""

from __future__ import annotations

from typing import Any

from artdl.report import md_table

NOTEBOOK = "05_archive"


def _verdict(r: dict[str, Any]) -> str:
    """Plain words for a held-out mean rank change (lower is better), judged against 2 standard errors."""
    before, after, chance = r["before"], r["after"], r["chance"]
    noise = 2 * r.get("change_se", 0.05)
    span = (
        f"{before:.2f} → {after:.2f}, change {after - before:+.2f} ± {noise:.2f} (2 SE); chance {chance:.2f}"
    )
    if after < before - noise:
        return f"the head **lowered** it ({span})"
    if after > before + noise:
        return f"the head **raised** it ({span}): it did not generalise"
    return f"the head did **not** change it beyond noise ({span})"


def _closer(r: dict[str, Any]) -> str:
    """Whether the frozen embedding ranks graph neighbours above chance, against 2 standard errors."""
    gap = r["chance"] - r["before"]
    noise = 2 * r.get("before_se", 0.05)
    if gap > noise:
        return "graph neighbours are closer than chance in it"
    return "graph neighbours are no closer than chance in it beyond noise"


def _rows(m: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, r in (("graph triplets", m["graph"]), ("label triplets (sanity check)", m["labels"])):
        for part in ("train", "heldout"):
            x = r[part]
            rows.append(
                [name, part.replace("heldout", "held-out"), x["triplets"], _pm(x["before"], x.get("before_se")),
                 _pm(x["after"], x.get("after_se")), f"{x['chance']:.2f}"]
            )  # fmt: skip
    return rows


def _pm(value: float, se: float | None) -> str:
    return f"{value:.2f}" if se is None else f"{value:.2f} ± {2 * se:.2f}"


HEADER = ["triplets", "split", "n", "mean rank before", "after head", "chance"]


def findings(record: dict[str, Any]) -> str:
    m = record["metrics"]
    g, lab, split = m["graph"], m["labels"], m["graph"]["split"]
    held = g["heldout"]
    lines = [
        f"- **Graph triplets** (anchor by artist A, positive by an artist within graph distance "
        f"{g['positive_distance']}, {g['negatives']} negatives by artists with no path within "
        f"{g['far_distance']}): {split['train_artists']} training and {split['heldout_artists']} held-out "
        f"artists, {split['artists_in_both']} artists in both.",
        f"- On **held-out artists** ({held['triplets']} triplets; anchors by "
        f"{', '.join(split['heldout_anchor_artists'])}), the frozen `{m['source']}` embedding ranks the "
        f"positive at {held['before']:.2f} on average (1 = first; chance {held['chance']:.2f}), so "
        + _closer(held)
        + f"; {_verdict(held)}.",
        f"- On its own training triplets the head goes {g['train']['before']:.2f} → {g['train']['after']:.2f}: "
        + ("what it fits there does not carry to unseen artists."
           if held["after"] >= held["before"] - 2 * held.get("change_se", 0.05)
           else "part of that carries to unseen artists."),
        f"- **Sanity check, label triplets** (positive shares the label; held out by anchor only, so "
        f"not a test of generalisation): held-out {lab['heldout']['before']:.2f} → {lab['heldout']['after']:.2f} "
        f"(chance {lab['heldout']['chance']:.2f}). The head can learn labels; that is all this shows.",
    ]  # fmt: skip
    return "\n".join(lines)


def readme(record: dict[str, Any]) -> dict[str, str]:
    m = record["metrics"]
    split = m["graph"]["split"]
    text = (
        f"Mean rank of the positive among 1 positive + {m['graph']['negatives']} negatives (1 = best; ± 2 standard "
        f"errors), "
        f"`{m['source']}` embedding, before and after the projection head. Graph triplets are split by "
        f"artist ({split['train_artists']} train / {split['heldout_artists']} held-out artists, "
        f"{split['artists_in_both']} shared)."
    )
    return {"archive": text + "\n\n" + md_table(_rows(m), HEADER, "llrrrr")}
