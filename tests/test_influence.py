"""Artist graph (PainterPalette, DBpedia on a local server), name matching, search and the re-rank
sweep, graph triplets split by artist, the annotator's rows, and the 04/05 report modules."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest

from artdl import archive, retrieve, viz
from artdl.core import StatsConfig
from artdl.retrieve import (
    chosen_weight,
    connected_chance,
    coverage,
    graph_queries,
    leave_one_out,
    per_label_precision,
    pick_weight,
    rerank_sweep,
    retrieval_metrics,
)
from artdl.retrieve.graph import (
    DBPEDIA_RESOURCE,
    EDGE_COLUMNS,
    ArtistGraph,
    artist_uri,
    birth_year,
    build_graph,
    build_query,
    collection_graph,
    match_artists,
    name_key,
    painter_palette_edges,
    parse_results,
    read_overrides,
    write_unmatched,
)

FIXTURES = Path(__file__).parent / "fixtures"

PALETTE = pd.DataFrame(
    {
        "artist": ["Paul Cezanne", "Camille Pissarro", "Camille Corot", "Jean-Baptiste-Camille Corot",
                   "Berthe Morisot", "Edouard Manet", "Claude Monet", "Jan Steen", "Claude Lorrain"],
        "birth_year": ["1839.0", "1830.0", "1796.0", "1796.0", "1841.0", "1832.0", "1840.0", "1626.0", "1600.0"],
        "movement": [""] * 9,
        "Nationality": [""] * 9,
        "Influencedby": ["Camille Pissarro,Private Collection,", "", "", "", "", "", "allegories-and-symbols,",
                         "", ""],
        "Influencedon": ["", "", "", "", "", "Berthe Morisot,", "", "", ""],
        "Teachers": ["", "Camille Corot,", "", "", "", "", "", "", ""],
        "Pupils": ["", "", "", "", "", "", "", "", "Artists2/X/y.jpg,"],
        "FriendsandCoworkers": ["", "Claude Monet,", "", "", "Edouard Manet,", "", "", "", ""],
    }
)  # fmt: skip


@pytest.fixture
def palette_graph() -> ArtistGraph:
    table = pd.DataFrame(
        {
            "artist": ["Paul Cezanne", "Camille Pissarro", "Jean-Baptiste-Camille Corot", "Berthe Morisot",
                       "Édouard Manet", "Claude Monet", "Jan Steen", "Nobody Known"],
            "artist_raw": ["Paul Cezanne (French, 1839–1906)", "Camille Pissarro (French, 1830–1903)",
                           "Jean-Baptiste-Camille Corot (French, 1796–1875)", "", "", "", "", ""],
        }
    )  # fmt: skip
    edges = painter_palette_edges(PALETTE)
    graph = build_graph(edges, PALETTE)
    birth = {n: birth_year(r) for n, r in zip(table["artist"], table["artist_raw"])}
    matches = match_artists(table["artist"], graph, {k: v for k, v in birth.items() if v})
    node_of = {r.name: r.node for r in matches.itertuples() if r.node}
    return ArtistGraph(graph, node_of, matches, edges)


# --- names and edges ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, key",
    [
        ("After Édouard Manet (French, 1832–1883)", "edouard manet"),
        ("Manet, Edouard", "edouard manet"),
        ("claude-monet", "claude monet"),
        ("Attributed to Workshop of Jan Steen", "jan steen"),
        ("Vergós Workshop", "vergos"),
        ("Joos de Momper, II", "joos de momper"),
        ("Jacob Cornelisz. (Netherlandish)\nor Workshop of Jacob Cornelisz.", "jacob cornelisz"),
        ("", ""),
    ],
)
def test_name_key(raw: str, key: str):
    assert name_key(raw) == key


def test_painter_palette_edges_types_directions_and_junk():
    edges = painter_palette_edges(PALETTE)
    got = {
        (name_key(a), name_key(b), t) for a, b, t in edges[["src", "dst", "type"]].values
    }
    assert ("camille pissarro", "paul cezanne", "influenced_by") in got  # Cezanne influenced by Pissarro
    assert ("edouard manet", "berthe morisot", "influenced_by") in got  # Manet influenced on Morisot
    assert ("camille corot", "camille pissarro", "teacher_of") in got
    assert ("berthe morisot", "edouard manet", "friend") in got  # friends stored once, sorted
    assert ("camille pissarro", "claude monet", "friend") in got
    assert len(got) == 5  # "Private Collection", tag slugs and image paths are not painters
    assert set(edges["source"]) >= {"PainterPalette:Influencedby", "PainterPalette:Teachers"}


def test_duplicate_painter_rows_merge_and_matching(palette_graph: ArtistGraph):
    g = palette_graph.graph
    assert "jean baptiste camille corot" not in g  # merged into "camille corot" (same surname + birth year)
    how = palette_graph.matches.set_index("name")["how"].to_dict()
    assert how["Paul Cezanne"] == "exact" and how["Édouard Manet"] == "exact"  # accents
    assert palette_graph.node_of["Jean-Baptiste-Camille Corot"] == "camille corot"
    assert how["Nobody Known"] == ""
    d = palette_graph.distances(2)
    assert d[("Paul Cezanne", "Camille Pissarro")] == 1
    assert d[("Paul Cezanne", "Jean-Baptiste-Camille Corot")] == 2  # via Pissarro's teacher
    assert ("Jan Steen", "Paul Cezanne") not in d
    assert palette_graph.path("Paul Cezanne", "Camille Pissarro") == "Cezanne ← Pissarro"
    assert palette_graph.path("Camille Pissarro", "Jean-Baptiste-Camille Corot") == "Pissarro ⇐ Corot"
    assert palette_graph.path("Berthe Morisot", "Édouard Manet") == "Morisot ← Manet"


def test_words_match_needs_unique_fit_and_agreeing_birth_year():
    graph = build_graph(pd.DataFrame(columns=EDGE_COLUMNS), PALETTE)
    m = match_artists(
        ["Jean Camille Pissarro", "Claude Oscar Monet"], graph, {"Claude Oscar Monet": 1700}
    )
    got = m.set_index("name")["node"].to_dict()
    assert got["Jean Camille Pissarro"] == "camille pissarro"
    assert got["Claude Oscar Monet"] == ""  # born 1700 is not the Monet born 1840


def test_unmatched_csv_round_trip_as_overrides(tmp_path: Path, palette_graph: ArtistGraph):
    out = write_unmatched(palette_graph.matches, {"Nobody Known": 3}, tmp_path / "unmatched.csv")
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns) == ["name", "paintings", "graph_name"] and df["name"].tolist() == ["Nobody Known"]
    df.loc[0, "graph_name"] = "Claude Lorrain"
    df.to_csv(out, index=False)
    overrides = read_overrides(out)
    m = match_artists(["Nobody Known"], palette_graph.graph, overrides=overrides)
    assert m.iloc[0]["node"] == "claude lorrain" and m.iloc[0]["how"] == "override"
    assert read_overrides(tmp_path / "absent.csv") == {}


def test_coverage_counts(palette_graph: ArtistGraph):
    table = pd.DataFrame({"artist": ["Paul Cezanne", "Paul Cezanne", "Nobody Known", "Anon"],
                          "artist_known": [True, True, True, False]})  # fmt: skip
    ag = ArtistGraph(palette_graph.graph, {"Paul Cezanne": "paul cezanne"}, palette_graph.matches,
                               palette_graph.edges)  # fmt: skip
    cov = coverage(ag, table)
    assert cov["artists"] == 2 and cov["artists_matched"] == 1
    assert cov["paintings_in_graph"] == 2 and cov["paintings_known_artist"] == 3
    assert cov["edges_among_collection"] == 0


# --- DBpedia, served by a local imitation on 127.0.0.1 ------------------------------------------
@pytest.fixture
def sparql_server() -> Iterator[str]:
    curated = pd.read_csv(FIXTURES / "influence_edges_curated.csv", comment="#")
    bindings = [
        {"a": {"type": "uri", "value": a}, "b": {"type": "uri", "value": b}}
        for a, b in curated[["influenced", "influencer"]].values
    ]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            query = parse_qs(urlparse(self.path).query).get("query", [""])[0]
            wanted = [b for b in bindings if b["a"]["value"] in query or b["b"]["value"] in query]
            body = json.dumps({"head": {"vars": ["a", "b"]}, "results": {"bindings": wanted}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()


def test_dbpedia_source_same_interface(tmp_path: Path, sparql_server: str):
    table = pd.DataFrame(
        {"artist": ["Berthe Morisot", "Édouard Manet", "Claude Monet"], "artist_known": True}
    )
    cache = tmp_path / "dbpedia.csv"
    ag = collection_graph(
        table, source="dbpedia", dbpedia_cache=cache, endpoint=sparql_server, fetch=True
    )
    assert cache.is_file() and set(ag.edges.columns) == set(EDGE_COLUMNS)
    assert (ag.edges["source"] == "dbpedia").all()
    assert ag.distances(1)[("Berthe Morisot", "Édouard Manet")] == 1
    assert ag.path("Berthe Morisot", "Édouard Manet") == "Morisot ← Manet"
    again = collection_graph(table, source="dbpedia", dbpedia_cache=cache)  # offline, from cache
    assert again.graph.number_of_edges() == ag.graph.number_of_edges()
    with pytest.raises(FileNotFoundError, match="fetch"):
        collection_graph(table, source="dbpedia", dbpedia_cache=tmp_path / "none.csv")


def test_sparql_query_and_parsing():
    uri = artist_uri("Claude Monet")
    q = build_query([uri])
    assert f"<{uri}>" in q and "dbo:influencedBy" in q
    r = DBPEDIA_RESOURCE
    fake = {"results": {"bindings": [
        {"a": {"type": "uri", "value": r + "Claude_Monet"}, "b": {"type": "uri", "value": r + "Eug%C3%A8ne_Boudin"}},
        {"a": {"type": "uri", "value": r + "Claude_Monet"}, "b": {"type": "literal", "value": "x"}},
    ]}}  # fmt: skip
    edges = parse_results(fake)
    assert edges[["src", "dst", "type"]].values.tolist() == [
        ["Eugène Boudin", "Claude Monet", "influenced_by"]
    ]


# --- re-ranking and search ----------------------------------------------------------------------
def test_rerank_formula():
    artists = ["A", "A", "A", "B", "C", "D"]
    dist = {("A", "A"): 0, ("A", "B"): 1, ("A", "C"): 2}
    cand = np.array([1, 2, 3, 4, 5])
    cos = np.array([0.90, 0.89, 0.85, 0.84, 0.86])
    # bonus alpha/d for other artists only: B 0.85+0.1, C 0.84+0.05; same artist A gets nothing
    idx, sc = retrieve.rerank(cand, cos, "A", artists, dist, graph_weight=0.1, repeat_penalty=0.0, k=5)
    assert list(idx) == [3, 1, 2, 4, 5] and sc[0] == pytest.approx(0.95) and sc[3] == pytest.approx(0.89)
    idx, _ = retrieve.rerank(cand, cos, "A", artists, dist, 0.0, 0.2, k=5)  # penalty: second A drops
    assert list(idx) == [1, 5, 3, 4, 2]
    idx0, _ = retrieve.rerank(cand, cos, "A", artists, dist, 0.0, 0.0, k=5)
    assert list(idx0) == list(cand[np.argsort(-cos)])


def _toy() -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(6, 8))
    feats = np.repeat(base, 4, axis=0) + 0.05 * rng.normal(size=(24, 8))
    table = pd.DataFrame({"artist": np.repeat(list("ABCDEF"), 4), "label": np.repeat(list("xxyyzz"), 4),
                          "artist_known": True})  # fmt: skip
    groups = np.arange(24)
    groups[1] = 0  # painting 1 is another scan of painting 0
    groups[3] = groups[2] = 2  # 2 and 3 look alike
    return feats, table, groups


def test_search_drops_other_scans_and_collapses_lookalikes():
    feats, table, groups = _toy()
    five = retrieve.SearchConfig(k=5)
    plain = retrieve.search(feats, [0], five)
    assert 1 in plain.indices[0] and 0 not in plain.indices[0]
    res = retrieve.search(feats, [0], five, groups=groups)
    assert 1 not in res.indices[0] and res.same_group_removed[0] == 1
    both = set(res.indices[0]) >= {2, 3}
    col = retrieve.search(feats, [0], replace(five, collapse=True), groups=groups)
    assert both and len({2, 3} & set(col.indices[0])) == 1 and col.collapsed[0] == 1


def test_search_config_reads_the_retrieve_section():
    from artdl.core import load_config

    r = load_config("default", ["retrieve.influence.candidates=30", "retrieve.k=7"]).retrieve
    config = retrieve.SearchConfig.from_cfg(r)
    assert (config.k, config.pool, config.batch_size) == (7, 30, r.batch_size)
    assert (config.collapse, config.graph_weight) == (r.influence.collapse_duplicates, r.influence.graph_weight)
    assert config.repeat_penalty == r.influence.repeat_penalty
    assert retrieve.SearchConfig.from_cfg(r, k=3).k == 3
    with pytest.raises(TypeError, match="no field"):
        retrieve.SearchConfig.from_cfg(r, candidates=3)  # a field is named pool, its key candidates


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("k", 0, "retrieve.k=0: must be an integer >= 1"),
        ("pool", 0, "retrieve.influence.candidates=0: must be an integer >= 1"),
        ("graph_weight", -0.5, "retrieve.influence.graph_weight=-0.5: must be a number >= 0"),
        ("repeat_penalty", -1.0, "retrieve.influence.repeat_penalty=-1.0: must be a number >= 0"),
        ("batch_size", 0, "retrieve.batch_size=0: must be an integer >= 1"),
    ],
)
def test_search_config_names_the_config_key_of_a_bad_field(field, value, message):
    from artdl.core import ConfigRangeError

    with pytest.raises(ConfigRangeError) as err:
        retrieve.SearchConfig(**{field: value})
    assert str(err.value) == message


def test_search_with_a_config_reranks_like_rerank_itself():
    feats, table, _ = _toy()
    artists = table["artist"].tolist()
    dist = {("A", "E"): 1, ("E", "A"): 1}
    config = retrieve.SearchConfig(k=4, pool=20, graph_weight=0.5, repeat_penalty=0.1)
    res = retrieve.search(feats, [0], config, artists=artists, distances=dist)
    cand, cos = retrieve.cosine_topk(feats[[0]], feats, 21)
    keep = cand[0] != 0
    idx, _ = retrieve.rerank(cand[0][keep], cos[0][keep], "A", artists, dist, 0.5, 0.1, 4)
    assert list(res.indices[0]) == list(idx[:4]) and {table["artist"][i] for i in idx[:4]} & {"E"}


def test_explorer_rerank_searches_with_the_influence_section(monkeypatch):
    from artdl.archive.explorer import neighbours as explorer_neighbours
    from artdl.core import load_config

    feats, table, _ = _toy()
    dist = {("A", "E"): 1, ("E", "A"): 1}
    monkeypatch.setattr(explorer_neighbours, "_distances", lambda t, c: dist)  # no ../shared graph needed
    monkeypatch.setattr(explorer_neighbours, "chosen_weight", lambda cfg: 0.5)
    cfg = load_config("default", ["retrieve.influence.candidates=20", "retrieve.influence.repeat_penalty=0.1"])
    out = explorer_neighbours.influence_reranked(feats, table, cfg, k=4, progress=False)
    cand, cos = retrieve.cosine_topk(feats[[0]], feats, 21)
    keep = cand[0] != 0
    idx, _ = retrieve.rerank(cand[0][keep], cos[0][keep], "A", table["artist"].tolist(), dist, 0.5, 0.1, 4)
    assert out.shape == (24, 4) and list(out[0]) == list(idx[:4])


def test_sweep_summary_and_the_weight_rule():
    feats, table, groups = _toy()
    dist = {("A", "E"): 1, ("E", "A"): 1}
    queries = graph_queries(table, dist, 2)
    assert set(queries) == set(range(4)) | set(range(16, 20))
    sweep = rerank_sweep(feats, queries, table, dist, [0.0, 0.05, 5.0], k=4, pool=20, groups=groups)
    c1 = "connected share@4 (d<=1)"
    means = sweep.table
    assert means.loc[5.0, c1] == 1.0 > means.loc[0.0, c1]  # a huge weight fills the lists with the partner
    assert means.loc[5.0, "label P@4"] < means.loc[0.0, "label P@4"]
    for w in (0.0, 0.05, 5.0):  # the table is the mean of the per-query scores the intervals come from
        assert len(sweep.scores(w, "connected share@k (d<=1)")) == len(queries)
        assert sweep.scores(w, "label P@k").mean() == pytest.approx(means.loc[w, "label P@4"])
    chance = connected_chance([0, 16], table, dist, 1, groups)
    assert chance[0] == pytest.approx(4 / 22)  # 4 E paintings among the 22 outside the query's group
    assert chance[1] == pytest.approx(4 / 23)  # an E query: the 4 A paintings among the 23 others
    assert sweep.chance_of(c1).shape == (len(queries),)
    assert pick_weight(sweep) in (0.05, 5.0)  # 5.0 lifts every list to 1.0, far beyond chance
    sweep.chance = {name: np.ones(len(queries)) for name in sweep.chance}
    assert pick_weight(sweep) == 0.0  # nothing beats a share no list can exceed: no re-rank


def test_retrieval_metrics_skip_the_query_group_and_per_label():
    labels = np.array(["a", "a", "a", "b", "b"])
    ranked = np.array([[1, 3, 2, 4], [0, 2, 3, 4], [0, 1, 3, 4], [0, 4, 1, 2], [3, 0, 1, 2]])
    groups = np.array([0, 0, 2, 3, 4])  # item 1 is another scan of item 0
    m = retrieval_metrics(ranked, labels, k=1, groups=groups)
    # query 0: [1 (dropped), 3, 2, 4] -> 3 first: P@1 = 0; query 1 likewise loses 0
    assert m["precision@k"] == pytest.approx((0 + 1 + 1 + 0 + 1) / 5)
    table = per_label_precision(m["per_query"], m["counted"], labels, 1)
    assert table.loc["a", "paintings"] == 3 and table.loc["a", "chance"] == pytest.approx(2 / 4)
    assert table.loc["a", "P@1"] == pytest.approx(2 / 3) and table.loc["b", "P@1"] == pytest.approx(1 / 2)


def test_retrieval_metrics_read_labels_of_any_kind_alike_and_a_missing_label_matches_none():
    ranked = np.array([[1, 2, 3], [0, 2, 3], [3, 0, 1], [2, 0, 1]])
    names = np.array(["Claude Monet", "Claude Monet", "Berthe Morisot", "Berthe Morisot"])
    by_name = retrieval_metrics(ranked, names, k=1)
    for same in (np.array([7, 7, 3, 3]), pd.Series(names, dtype="category"), list(names)):
        again = retrieval_metrics(ranked, same, k=1)
        assert np.array_equal(again["per_query"], by_name["per_query"])
        assert np.array_equal(again["counted"], by_name["counted"])
    unknown = np.array(["Claude Monet", "Claude Monet", None, None], dtype=object)
    m = retrieval_metrics(ranked, unknown, k=1)
    assert m["counted"].tolist() == [True, True, False, False]  # two missing artists are not one painter


# --- graph triplets, annotator rows -------------------------------------------------------------
def test_graph_triplets_are_artist_disjoint_and_own_rng():
    names = [f"P{i}" for i in range(12)]
    artists = np.repeat(names, 3)
    dist = {}
    for i in range(0, 12, 2):  # pairs P0-P1, P2-P3, ... are linked
        dist[(names[i], names[i + 1])] = dist[(names[i + 1], names[i])] = 1
    train, held, info = archive.graph_triplet_split(
        artists, dist, names, n=100, negatives=3, heldout=0.34, seed=5
    )
    assert info["artists_in_both"] == 0 and len(held) and len(train)
    for t in (train, held):
        a, p = artists[t["anchor"]], artists[t["positive"]]
        assert all(dist.get((x, y)) == 1 for x, y in zip(a, p))
        for x, negs in zip(a, t["negatives"]):
            assert all((x, artists[int(v)]) not in dist and artists[int(v)] != x for v in negs.split())
    again = archive.graph_triplet_split(artists, dist, names, n=100, negatives=3, heldout=0.34, seed=5)
    np.random.default_rng(0).random(10)  # figure code drawing elsewhere changes nothing
    assert again[1].equals(held)
    assert archive.chance_rank(held) == pytest.approx(2.5)


def test_annotator_candidates_are_distinct_and_never_the_anchor():
    rng = np.random.default_rng(0)
    feats = np.random.default_rng(1).normal(size=(8, 4))
    for _ in range(50):
        a = int(rng.integers(8))
        pool = archive.annotator_candidates(feats, a, 6, rng)
        assert len(pool) == 6 == len(set(pool)) and a not in pool
    with pytest.raises(ValueError):
        archive.annotator_candidates(feats, 0, 8, rng)


def test_triplets_by_path_with_ragged_negatives(tmp_path: Path):
    table = pd.DataFrame({"path": [f"/img/{i}.jpg" for i in range(6)]})
    paths = table["path"].tolist()
    rows = [archive.annotation_row(paths, 0, 1, [1, 2, 3]), archive.annotation_row(paths, 4, 5, [5, 2, 3, 1])]
    assert rows[0] == {
        "anchor_path": paths[0],
        "positive_path": paths[1],
        "negative_paths": f"{paths[2]}|{paths[3]}",
    }
    csv = tmp_path / "t.csv"
    pd.DataFrame(
        rows + [{"anchor_path": "/gone.jpg", "positive_path": paths[1], "negative_paths": paths[2]}]
    ).to_csv(csv, index=False)
    trip = archive.load_triplets(csv, table)
    assert len(trip) == 2 and trip["negatives"].tolist() == ["2 3", "2 3 1"]
    feats = np.eye(6)
    feats[1, 0] = 1.0  # painting 1 (positive of the first triplet) now leans towards painting 0
    assert archive.mean_positive_rank(feats, trip) == pytest.approx((1 + 1) / 2)
    assert archive.chance_rank(trip) == pytest.approx((2 + 2.5) / 2)
    head, losses = archive.train_projection_head(feats, trip, epochs=2, hidden=8)
    assert len(losses) == 2
    saved = archive.save_triplets(trip, tmp_path / "again.csv", table)
    assert archive.load_triplets(saved, table).equals(trip)


# --- report modules ------------------------------------------------------------------------------
def test_report_retrieve_states_computed_claims():
    import dataclasses

    from artdl.core import paired_bootstrap, verdict
    from artdl.report import retrieve
    from artdl.retrieve import StyleScores

    from .record_samples import retrieval_sample

    rec = retrieval_sample()
    text = retrieve.findings(rec)
    assert "picks **α = 0.1**: α = 0.1 beats a random list in connected share (d ≤ 1)" in text
    assert "Cezanne ← Pissarro" in text
    assert "Monet and Morisot hold 70 %" in text and "no fine-tuned checkpoint yet" in text
    assert "`cnn` beats `pixels` in label P@10 (all 100 queries)" in text
    assert "2 result list(s)" in text
    section = retrieve.readme(rec)["retrieve"]
    assert "| 0.1 (chosen) | 0.618 |" in section and "7 of 10 named artists" in section
    assert "label P@10, all 100 queries" in section and "label P@10, 50 graph queries" in section
    styles = dataclasses.replace(rec.styles, note="")
    styles.finetuned = StyleScores(precision=0.4, mean_ap=0.3, chance=0.14, queries=70)
    styles.finetuned_phase = "finetune"
    assert "needs a re-run of 04" in retrieve.style_sentence(styles, 10)  # no verdict: nothing claimed
    rng = np.random.default_rng(0)
    base = rng.binomial(10, 0.3, 70) / 10
    for lift, said in ((0.3, "the fine-tuned backbone beats ImageNet features"), (0.0, "no measurable difference")):
        styles.verdict = verdict(paired_bootstrap(np.clip(base + lift, 0, 1), base), "the fine-tuned backbone",
                                 "ImageNet features", "style P@10")  # fmt: skip
        assert said in retrieve.style_sentence(styles, 10)


def test_report_archive_reads_the_held_out_artists():
    from artdl.report import archive as report

    from .record_samples import archive_sample, rank_part

    rec = archive_sample()
    text = report.findings(rec)
    assert "did **not** change it beyond noise: 3.40 → 3.50, change +0.10 ± 0.20 (95%, 8 anchor-artist clusters)" in text
    assert "no closer than chance" in text and "does not carry" in text and "sanity check" in text.lower()
    rec = archive_sample(heldout=rank_part(180, 3.0, 2.5, se=0.05))
    text = report.findings(rec)
    assert "**lowered** it" in text and "closer than chance in it;" in text and "part of that carries" in text
    table = report.readme(rec)["archive"]
    assert "| graph triplets | held-out | 180 | 3.00 ± 0.10 | 2.50 ± 0.10 | 3.50 | 8 anchor artists |" in table
    # the same change against the interval of 3 clusters (t with 2 df: 4.30 SE) is within noise
    text = report.findings(archive_sample(heldout=rank_part(180, 3.0, 2.5, se=0.2, clusters=3, critical=4.30)))
    assert "did **not** change it beyond noise: 3.00 → 2.50, change -0.50 ± 0.86 (95%, 3 anchor-artist clusters)" in text
    # a run at stats.confidence=0.9 says 90%, in Findings and in the README's table caption
    at90 = archive_sample(heldout={**rank_part(180, 3.0, 2.5, se=0.2), "critical": 1.9, "confidence": 0.9})
    assert "(90%, 8 anchor-artist clusters)" in report.findings(at90) and "half a 90% interval" in report.readme(at90)["archive"]


def test_clustered_errors_count_an_anchor_artist_once():
    """Copies of one triplet add no information: clustered, the error stays that of the distinct ones."""
    rng = np.random.default_rng(0)
    ranks = rng.integers(1, 7, 12).astype(float)
    assert archive.clustered_se(ranks) == pytest.approx(ranks.std(ddof=1) / np.sqrt(12))  # own clusters
    tenfold, artist = np.repeat(ranks, 10), np.repeat(np.arange(12), 10)
    naive, clustered = archive.clustered_se(tenfold), archive.clustered_se(tenfold, artist)
    assert naive < 0.35 * clustered  # 120 "independent" triplets would be ~3x too sure
    assert clustered == pytest.approx(archive.clustered_se(ranks), rel=1e-9)
    assert np.isnan(archive.clustered_se(ranks, np.zeros(12)))  # one cluster: no error to be had

    trip = pd.DataFrame({"anchor": [0, 0, 3], "positive": [1, 2, 2], "negatives": ["2 3", "1 3", "0 1"]})
    feats = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    res = archive.rank_results(feats, feats, np.array(["a", "b", "c", "d"]), "anchor artist", heldout=trip)
    assert res["heldout"]["clusters"] == 2 and res["heldout"]["clustered_by"] == "anchor artist"
    assert res["heldout"]["critical"] == pytest.approx(12.706, abs=1e-3)  # t(0.975, 1 df)
    # The config's stats.confidence sets the level: 90% is t(0.95, 1 df), and the report says 90%.
    res90 = archive.rank_results(
        feats, feats, np.array(["a", "b", "c", "d"]), "anchor artist", StatsConfig(confidence=0.9), heldout=trip
    )
    assert res90["heldout"]["critical"] == pytest.approx(6.314, abs=1e-3)
    assert res90["heldout"]["confidence"] == pytest.approx(0.9)


def test_rank_report_and_known_artists():
    from artdl.retrieve import artist_known

    trip = pd.DataFrame({"anchor": [0, 0], "positive": [1, 2], "negatives": ["2 3", "1 3"]})
    feats = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    r = archive.rank_report(feats, feats, trip)
    assert r["before"] == r["after"] == pytest.approx(1.5) and r["chance"] == 2.0 and r["change_se"] == 0
    names = ["Claude Monet", "Artist unknown", "Italian; Tuscany", "Netherlandish or German", "Master of Riglos",
             "Flemish", "Northern Italian", "Giovanni di Paolo", ""]  # fmt: skip
    assert artist_known(names).tolist() == [True, False, False, False, False, False, False, True, False]


def test_chosen_weight_reads_the_rule_from_the_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from omegaconf import OmegaConf

    from artdl.core import RecordError, write_results

    from .record_samples import retrieval_sample

    record = retrieval_sample(chosen=0.1)  # built with the repository's config
    for name in ("configs", "src/artdl"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "configs" / "default.yaml").write_text("")
    monkeypatch.setenv("ARTDL_ROOT", str(tmp_path))
    cfg = OmegaConf.create({"retrieve": {"influence": {"graph_weight": 0.3}}})
    assert chosen_weight(cfg) == 0.3  # 04 has not run
    path = write_results(record)
    assert chosen_weight(cfg) == 0.1
    record.influence.sweep.chosen = None  # a converted record that waits for a re-run of 04
    path = write_results(record)
    assert chosen_weight(cfg) == 0.3
    path.write_text(path.read_text().replace('"schema_version": 2', '"schema_version": 1'))
    with pytest.raises(RecordError, match="re-run notebook 04"):  # a stale record is not read as a weight
        chosen_weight(cfg)


def test_checkpoint_info_absent_or_unreadable(tmp_path: Path):
    from artdl.retrieve import checkpoint_info

    assert checkpoint_info(tmp_path / "none.pt") == {}
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert checkpoint_info(bad) == {}


def test_retrieval_figures_smoke(palette_graph: ArtistGraph, tmp_path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image


    fig = viz.influence_graph_plot(
        palette_graph, {"Paul Cezanne": 2, "Camille Pissarro": 3, "Berthe Morisot": 9}
    )
    assert fig.axes and len(fig.axes[0].collections) >= 1
    sweep = pd.DataFrame(
        {
            "label P@10": [0.6, 0.5],
            "connected share@10 (d<=1)": [0.03, 0.1],
            "connected share@10 (d<=2)": [0.2, 0.4],
        },
        index=pd.Index([0.0, 0.1], name="weight"),
    )
    fig2 = viz.tradeoff_plot(sweep, 0.1, {"connected share@10 (d<=1)": 0.05})
    assert len(fig2.axes) == 2
    paths = []
    for i in range(3):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.new("RGB", (20, 30), (40 * i, 0, 0)).save(paths[-1])
    row = viz.strip_row("re-ranked", 0, [1, -1, 2], paths, ["a", "b", "c"], marks=[True, False, False])
    assert (
        row[1] == [paths[0], paths[1], paths[2]]
        and row[2] == ["QUERY", "a", "c"]
        and row[3] == [False, True, False]
    )
    fig3 = viz.result_strips([row, viz.strip_row("cosine", 0, [2, 1], paths, ["x", "y"])])
    assert len(fig3.axes) == 6
    plt.close("all")


def test_leave_one_out_scores_every_label_set_of_one_ranking():
    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], 20)
    good = rng.normal(size=(60, 8)) + 3 * np.eye(8)[np.repeat([0, 1, 2], 20)]
    noise = rng.normal(size=(60, 8))
    half = np.arange(60) % 2 == 0
    out = leave_one_out({"good": good, "noise": noise}, {"all": (labels, None), "half": (labels, half)}, 5)
    assert out["all"]["good"]["precision@k"] > 0.9 > 0.6 > out["all"]["noise"]["precision@k"]
    assert out["all"]["good"]["queries"] == 60 and out["half"]["good"]["queries"] == 30
    assert np.array_equal(out["half"]["good"]["per_query"], out["all"]["good"]["per_query"][half])


def test_leave_one_out_counts_missing_labels_as_no_match_like_retrieval_metrics():
    # Two paintings with no label are not a same-label pair: as strings ("None", "nan") they were.
    rng = np.random.default_rng(1)
    labels = np.array(["a", "a", None, None, "b", "b", np.nan, np.nan], dtype=object)
    feats = rng.normal(size=(8, 4))
    out = leave_one_out({"f": feats}, {"label": (labels, None)}, 3)["label"]["f"]
    ranked, _ = retrieve.cosine_topk(feats, feats, 7, exclude_self=True)
    direct = retrieve.retrieval_metrics(ranked, labels, 3)
    assert out["queries"] == direct["queries"] == 4
    assert np.array_equal(out["counted"], [True, True, False, False, True, True, False, False])
    assert out["mAP"] == pytest.approx(direct["mAP"])


def test_leave_one_out_in_blocks_of_queries_scores_as_one_block(monkeypatch):
    from artdl.retrieve import evaluation

    rng = np.random.default_rng(3)
    labels = np.repeat(["a", "b", "c", "d"], 10)
    feats = rng.normal(size=(40, 6)) + 2 * np.eye(6)[np.repeat([0, 1, 2, 3], 10)]
    groups = np.arange(40) // 2  # pairs of scans: each query loses its twin
    sets = {"label": (labels, None), "some": (labels, np.arange(40) % 3 > 0)}
    whole = leave_one_out({"f": feats}, sets, 5, groups)
    monkeypatch.setattr(evaluation, "_LEAVE_ONE_OUT_ENTRIES", 7 * 40)  # blocks of 7 queries, the last of 5
    blocks = leave_one_out({"f": feats}, sets, 5, groups)
    for what in sets:
        a, b = whole[what]["f"], blocks[what]["f"]
        assert (a["precision@k"], a["mAP"], a["queries"]) == pytest.approx((b["precision@k"], b["mAP"], b["queries"]))
        assert np.array_equal(a["per_query"], b["per_query"]) and np.array_equal(a["counted"], b["counted"])
    ranked, _ = retrieve.cosine_topk(feats[7:14], feats, 39, exclude_self=True, first_row=7)
    assert not (ranked == np.arange(7, 14)[:, None]).any()  # a block leaves its own paintings out


def test_style_retrieval_judges_the_fine_tuned_backbone_by_a_paired_verdict(tmp_path: Path, monkeypatch):
    from types import SimpleNamespace

    from PIL import Image

    from artdl.core import load_config
    from artdl.report import retrieve as report
    from artdl.retrieve import styles as styles_module

    rng = np.random.default_rng(0)
    root = tmp_path / "styles"
    for c, style in enumerate(("Baroque", "Cubism", "Rococo")):
        (root / style).mkdir(parents=True)
        for i in range(40):  # enough for a test split of a dozen paintings per style
            Image.fromarray((rng.integers(0, 60, (24, 24, 3)) + 90 * c).astype(np.uint8)).save(root / style / f"{i}.jpg")
    cfg = load_config("default", [f"datasets.wikiart_styles7.root={root}", "data.num_workers=0", "retrieve.k=3",
                                  "stats.resamples=500"])  # fmt: skip
    info = {"dataset": "wikiart_styles7", "phase": "finetune", "image_size": 16}
    monkeypatch.setattr(styles_module, "checkpoint_info", lambda path: info)
    monkeypatch.setattr(styles_module, "collection_images", lambda table, size: table)

    def embedder(kind, cfg, device, image_size, checkpoint):  # ImageNet: noise; "fine-tuned": the style itself
        def embed(table):
            codes = table["label"].astype("category").cat.codes.to_numpy()
            noise = np.random.default_rng(1).normal(size=(len(table), 4))
            return noise + (6 * np.eye(4)[codes] if checkpoint else 0)

        return SimpleNamespace(embed_images=embed)

    monkeypatch.setattr(styles_module, "create_embedder", embedder)
    out = styles_module.style_retrieval(cfg)
    assert out.finetuned is not None and out.verdict is not None
    assert out.verdict.significant and out.verdict.difference == pytest.approx(
        out.finetuned.precision - out.imagenet.precision
    )
    assert "the fine-tuned backbone beats ImageNet features in style P@3" in report.style_sentence(out, 3)
    # A checkpoint of the same set but another split may have trained on this test split: no verdict.
    from omegaconf import OmegaConf

    info["split"] = OmegaConf.to_container(cfg.data.split)
    assert styles_module.style_retrieval(cfg).verdict is not None  # its own split: compared
    info["split"] = {**info["split"], "seed": 7}
    other = styles_module.style_retrieval(cfg)
    assert other.finetuned is None and other.verdict is None and "another split" in other.note


_UNDER_ANY_HASH_SEED = """
import matplotlib
matplotlib.use("Agg")
import networkx as nx
from types import SimpleNamespace
from artdl import viz
from artdl.retrieve.graph.artists import path_label

graph = nx.DiGraph()
for middle in ("m1", "m2", "m3", "m4"):  # four shortest paths from a to b
    graph.add_edge("a", middle, types=("influenced_by",))
    graph.add_edge(middle, "b", types=("friend",))
    graph.add_node(middle, name=middle.upper())
graph.add_edge("b", "c", types=("teacher_of",))
ag = SimpleNamespace(graph=graph, node_of={n: n for n in graph})
fig = viz.influence_graph_plot(ag, {n: 1 for n in graph})
nodes = fig.axes[0].collections[0].get_offsets().round(6).tolist()
print(path_label(graph, "a", "b"), nodes)
"""


def test_path_labels_and_the_graph_layout_do_not_change_with_string_hashing():
    """networkx lists an undirected view's neighbours and a subgraph's nodes from sets: the shown
    path and the layout must not follow Python's per-process string hash seed."""
    import os
    import subprocess
    import sys

    def run(seed: int) -> str:
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        return subprocess.run([sys.executable, "-c", _UNDER_ANY_HASH_SEED], env=env, capture_output=True,
                              text=True, check=True).stdout  # fmt: skip

    outputs = {run(seed) for seed in range(4)}
    assert len(outputs) == 1, outputs
    assert outputs.pop().startswith("a → M1 ↔ b")  # the alphabetically first of the four paths
