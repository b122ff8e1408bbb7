"""Replicated runs of both sides: paired seeds, bands, paired effects, snapshots, export."""

import io
import zipfile

import networkx as nx
import numpy as np
import polars as pl
import pytest

import ecosystem
from ecosystem.social import barabasi_albert, snowball_sample
from viz.runs import (
    LARGER,
    PEOPLE_RUNS_PER_SIDE,
    WITHIN,
    RunSet,
    band,
    paired_effect,
    replicate_seeds,
    replicates_for,
)


@pytest.fixture
def small(small_file):
    return ecosystem.load_scenario(small_file)


def _column(snapshot, run, column):
    return snapshot.series[run][:, :, snapshot.column(column)]


def test_replicates_are_paired_runs_of_ecosystem_simulate(small):
    runs = RunSet(small, small, replicates=3)
    for _ in range(3):
        snapshot = runs.advance()
    assert snapshot.step == 3 and snapshot.series["baseline"].shape[:2] == (3, 4)
    assert runs.seeds[0] == small.scenario.seed and len(set(runs.seeds)) == 3
    np.testing.assert_array_equal(snapshot.series["baseline"], snapshot.series["intervention"])
    # Replicate i is `ecosystem.simulate` with seed i: drawing the network changes nothing.
    for i, seed in enumerate(runs.seeds):
        table = ecosystem.simulate(small, seed=seed, steps=3, progress=False).timeseries
        expected = table.select(pl.all().cast(pl.Float64)).to_numpy()
        np.testing.assert_array_equal(snapshot.series["baseline"][i], expected)


def test_replicates_change_the_band(small):
    """One replicate has no band; several have one as wide as their spread says."""
    changed = small.with_overrides({"population.ai_users": 0.9})
    widths = {}
    for replicates in (1, 6):
        runs = RunSet(small, changed, replicates=replicates)
        for _ in range(3):
            snapshot = runs.advance()
        mean, low, high = snapshot.band("intervention", "ai_share")
        values = _column(snapshot, "intervention", "ai_share")
        np.testing.assert_allclose(mean, values.mean(axis=0))
        widths[replicates] = high - low
        if replicates > 1:
            se = values.std(axis=0, ddof=1) / np.sqrt(replicates)
            np.testing.assert_allclose(high - mean, 2 * se)
    assert np.all(widths[1] == 0)
    assert np.all(widths[6][1:] > 0)


def test_band_ignores_missing_values():
    values = np.array([[1.0, np.nan, np.nan], [3.0, 2.0, np.nan]])
    mean, low, high = band(values)
    np.testing.assert_allclose(mean[:2], [2.0, 2.0])
    assert np.isnan(mean[2])
    np.testing.assert_allclose(high[0] - mean[0], 2 * np.std([1, 3], ddof=1) / np.sqrt(2))
    assert low[1] == high[1] == 2.0  # one value: no band


def test_paired_effect_interval_is_the_t_interval_of_the_differences():
    from scipy import stats

    b = np.array([1.0, 2.0, 3.0, 4.0])
    d = np.array([0.5, 0.7, 0.2, 0.6])
    effect = paired_effect("x", "x", b, b + d)
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert effect.difference == pytest.approx(d.mean())
    assert (effect.low, effect.high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert effect.verdict == LARGER
    assert paired_effect("x", "x", b, b + d - d.mean()).verdict == WITHIN
    assert paired_effect("x", "x", b[:1], b[:1] + 1).verdict == "needs 2 or more replicates"
    assert paired_effect("x", "x", b, b).verdict == WITHIN


def _verdicts(small, change, steps=4, replicates=5):
    runs = RunSet(small, small.with_overrides(change), replicates=replicates)
    for _ in range(steps):
        snapshot = runs.advance()
    return {e.column: e.verdict for e in snapshot.effects()}


def test_effect_verdict_flips_from_a_no_op_to_greedy_decoding(small):
    """A change that does not act leaves every measure within chance: the bonus for typical
    styles only matters when drafts are compared, and the small scenario posts every draft
    (best-of-1). Greedy decoding makes the AI's diversity fall by more than chance."""
    assert small.curation.best_of_n == 1
    no_op = _verdicts(small, {"curation.typicality_weight": 2.0})
    assert set(no_op.values()) <= {WITHIN, "nothing to measure yet"}
    greedy = _verdicts(small, {"decoding.method": "greedy"})
    assert greedy["model_entropy"] == LARGER
    assert greedy["tail_mass"] == LARGER


def test_replicates_scale_down_for_large_populations():
    assert replicates_for(10_000, 5) == 5
    assert replicates_for(100_000, 5) == 5
    assert replicates_for(PEOPLE_RUNS_PER_SIDE // 2, 5) == 2
    assert replicates_for(1_000_000, 5) == 1
    assert replicates_for(0, 4) == 4
    assert replicate_seeds(7, 3)[0] == 7 and len(set(replicate_seeds(7, 3))) == 3


def test_runs_stop_at_the_last_step(small):
    runs = RunSet(small.with_overrides({"scenario.steps": 2}), small, replicates=2)
    for _ in range(4):
        snapshot = runs.advance()
    assert runs.step == 2 and runs.finished and snapshot.finished
    assert snapshot.series["baseline"].shape[1] == 3


def test_snapshot_holds_the_models_state(small):
    runs = RunSet(small, small, replicates=2)
    snapshot = runs.advance()
    models = runs.models["intervention"]
    np.testing.assert_allclose(snapshot.type_probs["intervention"],
                               np.mean([m.current.state.probs for m in models], axis=0))
    np.testing.assert_array_equal(snapshot.culture, models[0].culture.weights)
    view = snapshot.network["intervention"]
    assert view.positions.shape == (300, 2)  # everyone, in a population of 300
    np.testing.assert_array_equal(view.gpt_rate, models[0].people.gpt_rate)
    # Arrays are copies: the next step does not change a snapshot already drawn.
    before = view.gpt_rate.copy(), snapshot.series["baseline"].copy()
    runs.advance()
    np.testing.assert_array_equal(view.gpt_rate, before[0])
    np.testing.assert_array_equal(snapshot.series["baseline"], before[1])


def test_chain_has_no_network(small):
    chain = small.with_overrides({"population.humans": 0})
    snapshot = RunSet(chain, chain, replicates=1).snapshot()
    assert snapshot.network == {"baseline": None, "intervention": None}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_holds_every_replicate_the_bands_and_the_effects(small, fmt):
    runs = RunSet(small, small.with_overrides({"decoding.temperature": 0.5}), replicates=2)
    runs.advance()
    with zipfile.ZipFile(io.BytesIO(runs.export(fmt))) as archive:
        names = set(archive.namelist())
        assert names == {f"{name}.{fmt}" for name in (
            "timeseries", "generations", "humans", "bands", "effects")} | {
            "baseline.toml", "intervention.toml"}

        def read(name):
            data = archive.read(f"{name}.{fmt}")
            return pl.read_csv(data) if fmt == "csv" else pl.read_parquet(data)

        table = read("timeseries")
        assert table["run"].to_list() == ["baseline"] * 4 + ["intervention"] * 4
        assert table["replicate"].to_list() == [1, 1, 2, 2] * 2
        assert table["seed"].to_list()[::2] == list(runs.seeds) * 2
        assert read("humans").height == 2 * 2 * 300
        effects = read("effects")
        assert effects["verdict"].to_list() == [e.verdict for e in runs.snapshot().effects()]
        bands = read("bands").filter((pl.col("run") == "baseline")
                                     & (pl.col("measure") == "ai_share"))
        mean, _, _ = runs.snapshot().band("baseline", "ai_share")
        np.testing.assert_allclose(bands["mean"].to_numpy(), mean)
        saved = archive.read("intervention.toml").decode()
        assert ecosystem.load_scenario(
            __import__("tomllib").loads(saved)).decoding.temperature == 0.5
    with pytest.raises(ValueError, match="csv"):
        runs.export("xlsx")


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
