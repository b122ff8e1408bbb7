"""``EcosystemModel``: one Mesa model wiring a step of the human–AI content ecosystem together.

One step is one period. Creators post (by hand, or through the current AI generation, decoded and
curated); content farms upload the model's output; listeners read their feed and update their
marker-word rate and stance; every ``ai.retrain_every`` steps the lab scrapes the web by its data
regime and fits the next generation; then the step's measures are recorded. Step 0 is the state
after generation 0 is fitted on the original, purely human corpus.

The model never writes files and never imports plotting code: :mod:`ecosystem.run` saves runs,
``viz/`` draws them.
"""

from __future__ import annotations

import mesa
import numpy as np
import polars as pl

from ecosystem import social
from ecosystem.agents.ai import AIModel, Curator
from ecosystem.agents.people import (
    VIEW_LIMIT,
    Creator,
    Listener,
    listen,
    make_people,
    relabel_people,
    update_adoption,
    write_posts,
)
from ecosystem.agents.per_agent import build_persons, step_per_agent
from ecosystem.core.corpus import HUMAN, Corpus, Docs, initial_corpus, make_culture
from ecosystem.core.curate import CurationParams
from ecosystem.core.decode import DecodingParams
from ecosystem.core.fit import FitParams, ModelState, fit, learned_types
from ecosystem.core.measure import (
    Occurrence,
    classifier_share,
    classify,
    counterfactual,
    distributional_mle,
    excess_vocabulary,
    occurrence_probabilities,
)
from ecosystem.core.metrics import model_metrics, people_metrics, upload_metrics, word_rates
from ecosystem.core.scrape import ScrapeParams
from ecosystem.core.words import Vocabulary, make_vocabulary, word_occurrence
from ecosystem.scenario import Scenario, ScenarioError
from ecosystem.social import build_graph

STREAMS = ("mesa", "culture", "corpus", "network", "people", "writing", "reading", "training",
           "scraping", "measurement")
"""Independent random streams, one spawned ``SeedSequence`` child each, in this order (a child
depends only on its position, so a stream added at the end leaves the others unchanged)."""

MODEL_SCHEMA: dict[str, pl.DataType] = {
    "model_richness": pl.Int64,
    "model_entropy": pl.Float64,
    "model_gini_simpson": pl.Float64,
    "top_share": pl.Float64,
    "tail_mass": pl.Float64,
    "model_variance": pl.Float64,
    "drift": pl.Float64,
}
"""Measures of one AI generation (``core.metrics.model_metrics``), in both tables."""

TIMESERIES_SCHEMA: dict[str, pl.DataType] = {
    "step": pl.Int64,
    "generation": pl.Int64,
    "corpus_docs": pl.Int64,
    "ai_share": pl.Float64,
    **MODEL_SCHEMA,
    "corpus_richness": pl.Int64,
    "quality_ai": pl.Float64,
    "quality_human": pl.Float64,
    "artifact": pl.Float64,
    "gpt_rate_ai": pl.Float64,
    "gpt_rate_users": pl.Float64,
    "gpt_rate_nonusers": pl.Float64,
    "neutral_share_users": pl.Float64,
    "neutral_share_nonusers": pl.Float64,
    "stance_std": pl.Float64,
    "web_entropy": pl.Float64,
    "web_effective_styles": pl.Float64,
    "people_entropy": pl.Float64,
    "people_richness": pl.Int64,
    "ai_share_detected": pl.Float64,
    "excess_vocabulary": pl.Float64,
    "excess_vocabulary_se": pl.Float64,
    "ai_share_estimated": pl.Float64,
    "ai_share_estimated_se": pl.Float64,
}
"""Columns of ``timeseries.parquet``, in order (DESIGN.md §4)."""

WORDS_SCHEMA: dict[str, pl.DataType] = {
    "step": pl.Int64,
    "word": pl.String,
    "rate_ai": pl.Float64,
    "rate_users": pl.Float64,
    "rate_nonusers": pl.Float64,
}
"""Columns of ``words.parquet``: one row per step and marker word, rates per million words."""

GENERATIONS_SCHEMA: dict[str, pl.DataType] = {
    "generation": pl.Int64,
    "trained_at": pl.Int64,
    "train_docs": pl.Int64,
    "train_ai_share": pl.Float64,
    **MODEL_SCHEMA,
    "quality": pl.Float64,
    "artifact": pl.Float64,
    "gpt_rate": pl.Float64,
    "stance_mean": pl.Float64,
}
"""Columns of ``generations.parquet``: one row per AI generation."""

_NO_PEOPLE = dict.fromkeys(
    ("gpt_rate_users", "gpt_rate_nonusers", "neutral_share_users", "neutral_share_nonusers",
     "stance_std", "people_entropy", "people_richness")
)


def vocabulary(scenario: Scenario) -> Vocabulary:
    """The marker-word vocabulary of a scenario (``[gpt_words]``), base rates from wordfreq."""
    words = scenario.gpt_words
    return make_vocabulary(words.words, words.ai_preference, words.human_rate, words.ai_rate)


def fit_params(scenario: Scenario) -> FitParams:
    """The lab's training parameters from a scenario."""
    ai = scenario.ai
    return FitParams(
        capacity=None if ai.capacity == "unlimited" else ai.capacity,
        min_count=ai.min_count,
        fit_noise=ai.fit_noise,
        artifact_gain=ai.artifact_gain,
        artifact_quality_cost=ai.artifact_quality_cost,
        house_rate=vocabulary(scenario).house_rate,
        house_weight=scenario.gpt_words.house_weight,
        neutral_pull=scenario.opinion.ai_neutral_pull,
    )


def scrape_params(scenario: Scenario) -> ScrapeParams:
    """The lab's scraping policy from a scenario."""
    ai, policy = scenario.ai, scenario.interventions
    return ScrapeParams(
        data_regime=ai.data_regime,
        window=ai.window,
        training_docs=None if ai.training_docs == "all" else ai.training_docs,
        human_data_reserve=policy.human_data_reserve,
        detector_recall=policy.detector_recall,
        detector_false_positive=policy.detector_false_positive,
        fresh_docs=policy.fresh_human_docs,
    )


def farm_quota(outputs_per_generation: int, retrain_every: int, step: int) -> int:
    """Content-farm uploads at ``step``: a generation's outputs spread evenly over its steps."""
    position = (step - 1) % retrain_every + 1
    total = outputs_per_generation
    return total * position // retrain_every - total * (position - 1) // retrain_every


class EcosystemModel(mesa.Model):
    """The human–AI content ecosystem.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`ecosystem.load_scenario`).
    seed : int, optional
        Root seed; ``None`` uses ``scenario.scenario.seed``. Every random draw comes from a
        stream spawned from it, so the same scenario and seed give the same numbers.
    people_step : {"vectorised", "per_agent"}
        How people are stepped: vectorised over arrays (the default), or agent by agent through
        Mesa (:mod:`ecosystem.agents.per_agent`, the slow reference for tests and benchmarks).

    Attributes
    ----------
    corpus : Corpus
        Every uploaded document, the original human corpus first.
    current : AIModel
        The generation that writes now.
    people : People or None
        The population, or None in a pure retraining chain.
    """

    def __init__(
        self, scenario: Scenario, seed: int | None = None, people_step: str = "vectorised"
    ):
        if people_step not in ("vectorised", "per_agent"):
            raise ValueError(
                f"people_step must be 'vectorised' or 'per_agent', not {people_step!r}"
            )
        self.people_step = people_step
        self.seed = scenario.scenario.seed if seed is None else int(seed)
        children = np.random.SeedSequence(self.seed).spawn(len(STREAMS))
        self.rngs = {name: np.random.default_rng(child)
                     for name, child in zip(STREAMS, children, strict=True)}
        super().__init__(rng=self.rngs["mesa"])
        self.scenario = scenario
        content = scenario.content

        self.culture = make_culture(
            content.types, content.type_weights, content.zipf_exponent, content.dims,
            content.type_spread, content.type_std, self.rngs["culture"],
        )
        self.n_types = self.culture.types
        self.vocabulary = vocabulary(scenario)
        original = initial_corpus(
            self.culture, content.initial_docs, content.quality_mean, content.quality_std,
            self.vocabulary.human_rate, scenario.gpt_words.human_rate_spread,
            self.rngs["corpus"],
        )
        self.corpus = Corpus(content.dims, capacity=self._expected_docs())
        self.corpus.append(original)
        self.n_original = len(original)
        self.initial_mean = original.x.astype(np.float64).mean(axis=0)

        self.fit_params = fit_params(scenario)
        self.decoding = DecodingParams(**scenario.decoding.model_dump())
        self.drafts = Curator(self, "drafts", CurationParams(**scenario.curation.model_dump()))
        self.lab = Curator(self, "lab", scrape_params(scenario))
        self.people = self._make_people()

        self._rows: list[dict] = []
        self._generation_rows: list[dict] = []
        self._word_rows: list[dict] = []
        self._occurrence: list[Occurrence] = []
        counts = np.bincount(original.type, minlength=self.n_types)
        if not learned_types(counts, self.fit_params.capacity, self.fit_params.min_count).any():
            raise ScenarioError(
                f"ai.min_count = {scenario.ai.min_count}: no style appears that often in the "
                f"original corpus (the commonest appears {counts.max()} times among "
                f"content.initial_docs = {content.initial_docs}); lower ai.min_count or raise "
                "content.initial_docs"
            )
        state = fit(original, self.n_types, self.fit_params, self.rngs["training"], generation=0)
        self.current = AIModel(self, state, trained_at=0)
        self._record_generation()
        self._record(0, original, state)

    # -- set-up ---------------------------------------------------------------------------------
    def _expected_docs(self) -> int:
        sc = self.scenario
        per_step = sc.ai.outputs_per_generation / sc.ai.retrain_every
        per_step += sc.population.humans * sc.population.creators * sc.population.posts_per_step
        return int(sc.content.initial_docs + 1.05 * per_step * sc.scenario.steps) + 1024

    def _make_people(self):
        n = self.scenario.population.humans
        if n == 0:
            return None
        graph = build_graph(self.scenario.network, n, self.rngs["network"])
        people = make_people(self.scenario, self.culture, graph, self.rngs["people"],
                             human_rate=self.vocabulary.human_rate)
        threshold = social.LOCALITY_MIN_PEOPLE
        if threshold is not None and n >= threshold and self.people_step == "vectorised":
            # a locality order, invisible in outputs: the initial draws are taken in the
            # people's own order, then everyone is renumbered so neighbours sit close in memory
            order = social.locality_order(graph)
            people = relabel_people(people, order, social.relabel(graph, order))
            del graph
        update_adoption(people, self.scenario, 0)
        if self.people_step == "per_agent":
            self._persons = build_persons(self, people)
        elif n <= VIEW_LIMIT:
            for person in range(n):
                (Creator if people.creator[person] else Listener)(self, person)
        return people

    def network_sample(
        self, max_people: int = 300, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """A sample of people and the edges among them, for drawing (None without people)."""
        if self.people is None:
            return None
        rng = np.random.default_rng(0) if rng is None else rng
        ids, edges = self.people.graph.sample(max_people, rng)
        if self.people.order is not None:  # the people's own numbers, sorted
            ids = self.people.order[ids]
            sort = np.argsort(ids)
            position = np.empty_like(sort)
            position[sort] = np.arange(sort.size)
            ids, edges = ids[sort].astype(np.int64), position[edges]
        return ids, edges

    # -- one step -------------------------------------------------------------------------------
    @property
    def period(self) -> int:
        """The period being simulated: 0 after set-up, ``t`` during and after the t-th step.

        Mesa counts it before calling :meth:`step`: as ``model.time`` from Mesa 3.5 on (Mesa 4
        keeps only that), as ``model.steps`` before.
        """
        time = getattr(self, "time", None)
        if isinstance(time, int | float) and not isinstance(time, bool):
            return int(time)
        return int(self.steps)

    def step(self) -> None:
        """Advance one period: write, upload, read, maybe retrain, record."""
        now = self.period
        sc = self.scenario
        writer = self.current.state
        uploads: list[Docs] = []
        people = self.people
        if people is not None and self.people_step == "per_agent":
            posts = step_per_agent(self, self._persons, now)
            uploads.append(posts)
        elif people is not None:
            update_adoption(people, sc, now)
            posts, self.n_types = write_posts(
                people, self.current.state, sc, self.drafts, self.decoding, self.n_types, now,
                self.rngs["writing"],
            )
            uploads.append(posts)
        quota = farm_quota(sc.ai.outputs_per_generation, sc.ai.retrain_every, now)
        if quota:
            uploads.append(
                self.current.write(quota, self.decoding, self.drafts, self.rngs["writing"], now)
            )
        batch = Docs.concat(uploads) if uploads else Docs.empty(sc.content.dims)
        self.corpus.append(batch)
        if people is not None and self.people_step == "vectorised":
            listen(people, self.current.state, posts, sc, self.decoding, self.rngs["reading"])
        if now % sc.ai.retrain_every == 0:
            self.retrain(now)
        self._record(now, batch, writer)

    def retrain(self, now: int) -> None:
        """Scrape the web by the lab's policy and fit the next generation on it.

        The training set follows the reserve contract of :func:`ecosystem.core.scrape.scrape`;
        ``interventions.fresh_human_docs`` newly drawn human documents join it.

        If the scrape yields no document the model could learn (nothing uploaded, or no type
        seen ``min_count`` times), the lab keeps the current generation.
        """
        corpus = self.corpus
        chosen = self.lab.select_training(
            corpus.column("step"), corpus.column("origin"), now, self.current.trained_at,
            self.n_original, self.rngs["scraping"],
        )
        training = corpus.take(chosen)
        fresh = self.scenario.interventions.fresh_human_docs
        if fresh:
            # newly collected human writing, from the original culture; the lab's own data,
            # not uploaded to the web
            content = self.scenario.content
            new = initial_corpus(self.culture, fresh, content.quality_mean, content.quality_std,
                                 self.vocabulary.human_rate,
                                 self.scenario.gpt_words.human_rate_spread,
                                 self.rngs["scraping"])
            training = Docs.concat([training, new])
        if len(training) == 0:
            return
        counts = np.bincount(training.type, minlength=self.n_types)
        if not learned_types(counts, self.fit_params.capacity, self.fit_params.min_count).any():
            return
        state = fit(training, self.n_types, self.fit_params, self.rngs["training"],
                    generation=self.current.generation + 1)
        self.current = AIModel(self, state, trained_at=now)
        self._record_generation()

    # -- measures -------------------------------------------------------------------------------
    def _record_generation(self) -> None:
        state = self.current.state
        row = {
            "generation": state.generation,
            "trained_at": self.current.trained_at,
            "train_docs": state.train_docs,
            "train_ai_share": state.train_ai_share,
            **model_metrics(state, self.culture, self.initial_mean),
            "quality": float(state.probs @ state.quality + state.quality_shift),
            "artifact": state.artifact,
            "gpt_rate": state.gpt_rate,
            "stance_mean": state.stance_mean,
        }
        self._generation_rows.append(row)

    def _record(self, now: int, uploads: Docs, writer: ModelState) -> None:
        state = self.current.state
        row = {
            "step": now,
            "generation": state.generation,
            "corpus_docs": len(self.corpus),
            **upload_metrics(uploads),
            **model_metrics(state, self.culture, self.initial_mean),
            "artifact": state.artifact,
            "gpt_rate_ai": state.gpt_rate,
            **(self._people_metrics() if self.people is not None else _NO_PEOPLE),
            **self._measure(now, uploads, writer),
        }
        self._rows.append({name: row[name] for name in TIMESERIES_SCHEMA})
        self._record_words(now)

    def _record_words(self, now: int) -> None:
        people, state = self.people, self.current.state
        rates = word_rates(
            self.vocabulary, state.gpt_rate, state.gpt_ai,
            None if people is None else people.gpt_rate,
            None if people is None else people.gpt_ai,
            None if people is None else people.ai_user,
        )
        self._word_rows.append({"step": now, **rates})

    def _measure(self, now: int, uploads: Docs, writer: ModelState) -> dict:
        """The field's estimates of the AI share of this step's uploads (``[measurement]``).

        A crawl sample of the uploads gets its marker-word occurrence; the classifier labels it, the
        excess-vocabulary bound compares its window with the pre-AI counterfactual, and the
        distributional MLE weighs it between the human reference (the vocabulary's base
        rates) and the AI reference (the rates of the generation that wrote this step).
        """
        m, rng, vocab = self.scenario.measurement, self.rngs["measurement"], self.vocabulary
        n = len(uploads)
        if m.sample_docs and n > m.sample_docs:
            chosen = np.sort(rng.choice(n, size=m.sample_docs, replace=False))
            gpt_rate, gpt_ai = uploads.gpt_rate[chosen], uploads.gpt_ai[chosen]
            is_ai = uploads.origin[chosen] != HUMAN
        else:
            gpt_rate, gpt_ai, is_ai = uploads.gpt_rate, uploads.gpt_ai, uploads.origin != HUMAN
        present = word_occurrence(vocab, gpt_rate, gpt_ai, m.document_words, rng)
        self._occurrence.append(Occurrence.of(present))
        labels = classify(is_ai, m.classifier_false_positive, m.classifier_false_negative, rng)
        excess, excess_se = self._excess_vocabulary(now)
        p_human = occurrence_probabilities(vocab.human, m.document_words)
        q_ai = occurrence_probabilities(vocab.per_word(writer.gpt_rate, writer.gpt_ai),
                                        m.document_words)
        estimate, estimate_se = distributional_mle(present, p_human, q_ai, m.bootstrap, rng)
        return {
            "ai_share_detected": classifier_share(labels),
            "excess_vocabulary": excess,
            "excess_vocabulary_se": excess_se,
            "ai_share_estimated": estimate,
            "ai_share_estimated_se": estimate_se,
        }

    def _excess_vocabulary(self, now: int) -> tuple[float | None, float | None]:
        """Kobak et al.'s bound on the window ending at ``now`` against the pre-AI period.

        The pre-AI period is step 0 (the original corpus) and ``measurement.baseline_steps``
        steps after it. With at least two windows of it, the counterfactual is projected
        linearly from its last two windows; otherwise it is the period's frequency.
        """
        m = self.scenario.measurement
        base, width, history = m.baseline_steps, m.window_steps, self._occurrence
        if now <= base:
            return None, None
        n_words = self.vocabulary.size
        observed = Occurrence.pool(history[max(base + 1, now - width + 1): now + 1], n_words)
        if base >= 2 * width:
            later = Occurrence.pool(history[base - width + 1: base + 1], n_words)
            earlier = Occurrence.pool(history[base - 2 * width + 1: base - width + 1], n_words)
            ahead = (now - base) / width
        else:
            later, earlier, ahead = Occurrence.pool(history[: base + 1], n_words), None, 0.0
        if observed.docs == 0 or later.docs == 0 or (earlier is not None and earlier.docs == 0):
            return None, None
        q, variance = counterfactual(earlier, later, ahead)
        return excess_vocabulary(observed, q, variance)

    def _people_metrics(self) -> dict:
        people = self.people
        return people_metrics(people.gpt_rate, people.stance, people.ai_user,
                              self.scenario.opinion.neutral_band, people.style_type)

    # -- tables ---------------------------------------------------------------------------------
    def timeseries(self) -> pl.DataFrame:
        """One row per step from 0 (the columns of ``timeseries.parquet``)."""
        return pl.DataFrame(self._rows, schema=TIMESERIES_SCHEMA, orient="row")

    def words(self) -> pl.DataFrame:
        """One row per step and marker word (the columns of ``words.parquet``)."""
        if not self._word_rows:
            return pl.DataFrame(schema=WORDS_SCHEMA)
        v = self.vocabulary.size
        columns = {"step": np.repeat([r["step"] for r in self._word_rows], v),
                   "word": list(self.vocabulary.words) * len(self._word_rows)}
        for name in ("rate_ai", "rate_users", "rate_nonusers"):
            columns[name] = [value for r in self._word_rows
                             for value in (r[name] if r[name] is not None else [None] * v)]
        return pl.DataFrame(columns, schema=WORDS_SCHEMA)

    def generations(self) -> pl.DataFrame:
        """One row per AI generation (the columns of ``generations.parquet``)."""
        return pl.DataFrame(self._generation_rows, schema=GENERATIONS_SCHEMA, orient="row")

    def humans(self) -> pl.DataFrame:
        """One row per person at the current step (empty without people)."""
        from ecosystem.agents.people import HUMANS_SCHEMA

        if self.people is None:
            return pl.DataFrame(schema=HUMANS_SCHEMA)
        return self.people.table()
