"""The pair of runs: same seed, stepped together, snapshots, export."""

import io
import zipfile

import networkx as nx
import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import ecosystem
from ecosystem.social import barabasi_albert, snowball_sample
from viz.runs import RunPair


@pytest.fixture
def small(small_file):
    return ecosystem.load_scenario(small_file)


def test_unchanged_pair_matches_ecosystem_run_step_for_step(small):
    pair = RunPair(small, small)
    for _ in range(3):
        snapshot = pair.advance()
    assert snapshot.step == 3
    series = snapshot.timeseries
    baseline = series.filter(pl.col("run") == "baseline").drop("run")
    intervention = series.filter(pl.col("run") == "intervention").drop("run")
    assert_frame_equal(baseline, intervention)
    # Drawing the network uses its own random stream: the numbers are those of `ecosystem run`.
    reference = ecosystem.simulate(small, steps=3).timeseries
    assert_frame_equal(baseline, reference)


def test_a_change_shows_as_a_gap(small):
    pair = RunPair(small, small.with_overrides({"population.ai_users": 1.0}))
    for _ in range(3):
        snapshot = pair.advance()
    last = snapshot.timeseries.filter(pl.col("step") == 3)
    shares = dict(zip(last["run"], last["ai_share"], strict=True))
    assert shares["intervention"] > shares["baseline"]


def test_pair_stops_at_the_last_step(small):
    pair = RunPair(small.with_overrides({"scenario.steps": 2}), small)
    for _ in range(4):
        snapshot = pair.advance()
    assert pair.step == 2 and pair.finished and snapshot.finished
    assert snapshot.timeseries.height == 2 * 3


def test_snapshot_holds_the_models_state(small):
    pair = RunPair(small, small)
    snapshot = pair.advance()
    model = pair.models["intervention"]
    np.testing.assert_array_equal(snapshot.type_probs["intervention"], model.current.state.probs)
    np.testing.assert_array_equal(snapshot.culture, model.culture.weights)
    view = snapshot.network["intervention"]
    assert view.positions.shape == (300, 2)  # everyone, in a population of 300
    np.testing.assert_array_equal(view.gpt_rate, model.people.gpt_rate)
    # Arrays are copies: the next step does not change a snapshot already drawn.
    before = view.gpt_rate.copy()
    pair.advance()
    np.testing.assert_array_equal(view.gpt_rate, before)


def test_chain_has_no_network(small):
    chain = small.with_overrides({"population.humans": 0})
    snapshot = RunPair(chain, chain).snapshot()
    assert snapshot.network == {"baseline": None, "intervention": None}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_holds_both_runs_tables_and_scenarios(small, fmt):
    pair = RunPair(small, small.with_overrides({"decoding.temperature": 0.5}))
    pair.advance()
    with zipfile.ZipFile(io.BytesIO(pair.export(fmt))) as archive:
        names = set(archive.namelist())
        assert names == {f"timeseries.{fmt}", f"generations.{fmt}", f"humans.{fmt}",
                         "baseline.toml", "intervention.toml"}
        data = archive.read(f"timeseries.{fmt}")
        table = pl.read_csv(data) if fmt == "csv" else pl.read_parquet(data)
        assert table["run"].to_list() == ["baseline"] * 2 + ["intervention"] * 2
        humans = archive.read(f"humans.{fmt}")
        humans = pl.read_csv(humans) if fmt == "csv" else pl.read_parquet(humans)
        assert humans.height == 2 * 300
        saved = archive.read("intervention.toml").decode()
        assert ecosystem.load_scenario(
            __import__("tomllib").loads(saved)).decoding.temperature == 0.5
    with pytest.raises(ValueError, match="csv"):
        pair.export("xlsx")


def _induced_edges(indptr, indices, ids):
    """Slow reference: the edges of the subgraph on ``ids``, via networkx."""
    graph = nx.Graph()
    for person in range(indptr.size - 1):
        for other in indices[indptr[person]:indptr[person + 1]]:
            graph.add_edge(person, int(other))
    sub = graph.subgraph(ids.tolist())
    position = {person: i for i, person in enumerate(ids.tolist())}
    return {tuple(sorted((position[a], position[b]))) for a, b in sub.edges()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_snowball_sample_keeps_exactly_the_edges_among_the_sampled(seed):
    graph = barabasi_albert(2000, 3, np.random.default_rng(seed))
    ids, edges = snowball_sample(graph.indptr, graph.indices, 150,
                                      np.random.default_rng(seed))
    assert ids.size == 150 and np.all(np.diff(ids) > 0)
    assert {tuple(e) for e in edges.tolist()} == _induced_edges(graph.indptr, graph.indices, ids)
    assert np.all(edges[:, 0] < edges[:, 1])
    # Following neighbours keeps structure: far more edges than a uniform sample's handful.
    assert edges.shape[0] >= ids.size - 10


def test_snowball_sample_takes_everyone_in_a_small_graph():
    graph = barabasi_albert(50, 2, np.random.default_rng(0))
    ids, edges = snowball_sample(graph.indptr, graph.indices, 300,
                                      np.random.default_rng(0))
    np.testing.assert_array_equal(ids, np.arange(50))
    assert edges.shape[0] == graph.edges
