import networkx as nx
import numpy as np
import pytest
from scipy import stats

import ecosystem
from ecosystem.scenario import ScenarioError, load_scenario
from ecosystem.social import (
    barabasi_albert,
    barabasi_albert_reference,
    build_graph,
    read_edgelist,
)


def test_barabasi_albert_matches_networkx_in_distribution():
    n, m = 3000, 3
    ours = np.concatenate([barabasi_albert(n, m, np.random.default_rng(s)).degree
                           for s in range(5)])
    theirs = np.concatenate([
        [d for _, d in nx.barabasi_albert_graph(n, m, seed=np.random.default_rng(s)).degree()]
        for s in range(5)])
    assert ours.mean() == pytest.approx(theirs.mean(), rel=0.02)
    bins = [m, m + 1, m + 2, m + 4, m + 8, m + 16, m + 32, 10**9]
    table = np.array([np.histogram(ours, bins)[0], np.histogram(theirs, bins)[0]])
    assert stats.chi2_contingency(table).pvalue > 1e-3
    assert ours.min() >= 1


@pytest.mark.parametrize(("n", "m"), [(3, 5), (6, 5), (7, 5), (50, 1), (2000, 4), (5000, 5)])
def test_barabasi_albert_one_pass_equals_the_whole_array_reference(n, m):
    # the compiled one-pass CSR build takes the same draws: the same arrays, bit for bit
    ours = barabasi_albert(n, m, np.random.default_rng(n + m))
    ref = barabasi_albert_reference(n, m, np.random.default_rng(n + m))
    assert ours.indptr.dtype == np.int64 and ours.indices.dtype == np.int32
    np.testing.assert_array_equal(ours.indptr, ref.indptr)
    np.testing.assert_array_equal(ours.indices, ref.indices)


def test_barabasi_albert_chunked_draws_are_one_draw(monkeypatch):
    # the uniform draws taken in chunks are the numbers of one draw of every slot
    import ecosystem.social as social

    whole = barabasi_albert(3000, 3, np.random.default_rng(2))
    monkeypatch.setattr(social, "BA_CHUNK", 7)
    chunked = barabasi_albert(3000, 3, np.random.default_rng(2))
    np.testing.assert_array_equal(whole.indices, chunked.indices)


@pytest.mark.parametrize("shift", [0, 3, 7])
def test_barabasi_albert_rows_written_by_block_are_the_reference(monkeypatch, shift):
    # the rows are written a block of people at a time; with small blocks (one person, 8,
    # 128) every block boundary is crossed and the arrays are still the reference's, bit for bit
    import ecosystem.social as social

    monkeypatch.setattr(social, "BA_BLOCK_SHIFT", shift)
    for n, m in [(7, 5), (3000, 3), (5000, 5)]:
        ours = barabasi_albert(n, m, np.random.default_rng(n))
        ref = barabasi_albert_reference(n, m, np.random.default_rng(n))
        np.testing.assert_array_equal(ours.indptr, ref.indptr)
        np.testing.assert_array_equal(ours.indices, ref.indices)


@pytest.mark.parametrize("threads", [2, 3])
def test_ba_built_on_threads_is_the_reference(monkeypatch, threads, all_threads):
    # split between threads (the picks resolved in two passes, parts of the slots, blocks of
    # rows: 2 or 3 parts, blocks of 8 people), the arrays are still the reference's, bit for bit
    import numba

    import ecosystem.social as social
    from ecosystem.core import threads as policy

    monkeypatch.setattr(policy, "PARALLEL_MIN_PEOPLE", 0)
    if not policy.threads_available():
        pytest.skip("one thread only")
    monkeypatch.setattr(social, "BA_BLOCK_SHIFT", 3)
    monkeypatch.setattr(social, "BA_CHUNK", 1000)  # picks of slots in earlier chunks too
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        for n, m in [(7, 5), (3000, 3), (5000, 5)]:
            ours = barabasi_albert(n, m, np.random.default_rng(n))
            ref = barabasi_albert_reference(n, m, np.random.default_rng(n))
            np.testing.assert_array_equal(ours.indptr, ref.indptr)
            np.testing.assert_array_equal(ours.indices, ref.indices)
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("parts", [3, 7])
def test_ba_sorted_and_gathered_in_parts_is_the_reference(monkeypatch, parts):
    # the slots split into uneven parts (whole people each; one core), each part's links placed
    # after the earlier parts': the arrays are still the reference's, bit for bit
    import ecosystem.social as social

    monkeypatch.setattr(social, "BA_PARTS", parts)
    monkeypatch.setattr(social, "BA_BLOCK_SHIFT", 3)
    for n, m in [(7, 5), (12, 5), (3000, 3), (5000, 5)]:
        ours = barabasi_albert(n, m, np.random.default_rng(n))
        ref = barabasi_albert_reference(n, m, np.random.default_rng(n))
        np.testing.assert_array_equal(ours.indptr, ref.indptr)
        np.testing.assert_array_equal(ours.indices, ref.indices)


def test_graph_is_simple_and_symmetric():
    g = barabasi_albert(2000, 4, np.random.default_rng(7))
    assert not np.any(g.indices == g.rows)
    pairs = set(zip(g.rows.tolist(), g.indices.tolist(), strict=True))
    assert len(pairs) == g.indices.size
    assert all((b, a) in pairs for a, b in pairs)


@pytest.mark.parametrize("kind", ["barabasi_albert", "watts_strogatz", "erdos_renyi",
                                  "stochastic_block"])
def test_every_kind_builds(kind):
    sc = load_scenario({"network": {"kind": kind, "p": 0.02}})
    g = build_graph(sc.network, 500, np.random.default_rng(0))
    assert g.size == 500 and g.edges > 0


def test_stochastic_block_has_communities():
    sc = load_scenario({"network": {"kind": "stochastic_block", "blocks": 4, "p_in": 0.05,
                                    "p_out": 0.001}})
    g = build_graph(sc.network, 800, np.random.default_rng(0))
    inside = (g.rows // 200) == (g.indices // 200)
    assert inside.mean() > 0.8


def test_edgelist_file_and_its_errors(tmp_path):
    good = tmp_path / "g.txt"
    good.write_text("# a ring\n0 1\n1 2\n2 3\n3 0\n")
    g = read_edgelist(good, 4)
    assert g.degree.tolist() == [2, 2, 2, 2]
    bad = tmp_path / "bad.txt"
    bad.write_text("0 1\n1 x\n")
    with pytest.raises(ScenarioError, match="line 2"):
        read_edgelist(bad, 4)
    out = tmp_path / "out.txt"
    out.write_text("0 1\n1 9\n")
    with pytest.raises(ScenarioError, match="out of range"):
        read_edgelist(out, 4)
    with pytest.raises(ScenarioError, match="no such edge-list file"):
        read_edgelist(tmp_path / "missing.txt", 4)


def test_edgelist_run_and_cli_errors(cli, tmp_path):
    edges = tmp_path / "edges.txt"
    edges.write_text("\n".join(f"{i} {(i + 1) % 50}" for i in range(50)))
    run = ecosystem.simulate({"population": {"humans": 50},
                              "network": {"kind": "edgelist", "path": str(edges)},
                              "scenario": {"steps": 2}}, seed=0)
    assert run.humans["degree"].to_list() == [2] * 50
    scenario = tmp_path / "s.toml"
    scenario.write_text('[population]\nhumans = 10\n[network]\nkind = "edgelist"\n'
                        'path = "edges.txt"\n')
    result = cli("run", str(scenario), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "out of range" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_network_sample_edges_are_real():
    from ecosystem.model import EcosystemModel

    model = EcosystemModel(load_scenario({"population": {"humans": 1000}}), seed=0)
    ids, edges = model.network_sample(200)
    assert ids.size == 200 and edges.shape[1] == 2 and edges.size > 0
    for a, b in edges[:50]:
        assert ids[b] in model.people.graph.neighbours(ids[a])


def test_locality_order_relabels_to_the_same_graph():
    # two components (a BA graph and a separate path) and an isolated person
    g = barabasi_albert(3000, 4, np.random.default_rng(3))
    a = np.concatenate([g.rows, [3000, 3001]])
    b = np.concatenate([g.indices, [3001, 3002]])
    from ecosystem.social import from_edges, locality_order, relabel

    graph = from_edges(3004, a, b)
    order = locality_order(graph)
    assert np.array_equal(np.sort(order), np.arange(graph.size))
    assert order[0] == np.argmax(graph.degree)  # the search starts at the hub
    new = relabel(graph, order)
    # the same degree sequence under the permutation
    np.testing.assert_array_equal(new.degree, graph.degree[order])
    # the same edge set under the permutation, each list sorted
    old_edges = set(zip(graph.rows.tolist(), graph.indices.tolist(), strict=True))
    mapped = set(zip(order[new.rows].tolist(), order[new.indices].tolist(), strict=True))
    assert mapped == old_edges and new.indices.size == graph.indices.size
    assert all(np.all(np.diff(new.neighbours(i)) > 0) for i in range(new.size))
    assert new.indices.dtype == np.int32 and new.indptr.dtype == np.int64
