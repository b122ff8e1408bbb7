"""People: listeners who read and speak, creators who also post, as arrays with thin Mesa views.

State lives in :class:`People` (one array per attribute, vectorised updates over everyone);
:class:`Listener` and :class:`Creator` are Mesa agents that view one person's entries, created
only for populations small enough to browse (the dashboard), never on the hot path.

A step of people, in order:

1. AI adoption grows (``population.adoption_steps``);
2. creators post: by hand in their own style (sometimes inventing a new style type), or, for AI
   users, through the current AI generation, decoded, best-of-N curated and co-written;
3. listeners read their neighbours' posts and hear their speech: marker-word contagion and
   bounded-confidence opinions; AI users also read AI output;
4. a few people adopt the style of something they read, and (``population.cowrite_style``) of
   what they co-wrote with AI (homogenisation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np
import polars as pl

from ecosystem.core.contagion import update_rates
from ecosystem.core.corpus import HUMAN, Culture, Docs, put_rows, take_rows
from ecosystem.core.decode import decode, prompt_points, weighted_choice
from ecosystem.core.fit import ModelState
from ecosystem.core.listening import listen_pass
from ecosystem.core.opinion import absorb
from ecosystem.scenario import Scenario
from ecosystem.social import SocialGraph

if TYPE_CHECKING:
    from ecosystem.agents.ai import Curator
    from ecosystem.core.decode import DecodingParams

VIEW_LIMIT = 20_000
"""Populations up to this size get a Mesa agent per person (for browsing and the dashboard)."""

HUMANS_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64,
    "creator": pl.Boolean,
    "ai_user": pl.Boolean,
    "custom_prompt": pl.Boolean,
    "style_type": pl.Int64,
    "gpt_rate": pl.Float64,
    "stance": pl.Float64,
    "degree": pl.Int64,
    "posts": pl.Int64,
}
"""Columns of ``humans.parquet``: one row per person at the end of a run."""


@dataclass
class People:
    """Everyone's state, one array per attribute (index = person id).

    Attributes
    ----------
    graph : SocialGraph
    creator : bool (n,)
        Uploads posts.
    adoption_rank : float32 (n,)
        Uniform draw; a person uses AI once the adopting share exceeds it.
    ai_user : bool (n,)
        Uses AI now (creators among them write with it; all read its output).
    custom_prompt : bool (n,)
        An AI user who prompts the model with their own style.
    style_type : int32 (n,), style_x : float32 (n, dims)
        Their own style: a type and a point in style space.
    gpt_rate : float32 (n,)
        Marker words per 1,000 words in their speech (summed over the vocabulary).
    gpt_ai : float32 (n,)
        The part of ``gpt_rate`` in the AI's word profile: with ``gpt_rate`` it gives their
        rate of every marker word (:mod:`ecosystem.core.words`), 4 bytes a person for any
        vocabulary. 0 at the start (people speak the human profile).
    stance : float32 (n,)
        Opinion on the contested question, −1 … 1.
    anchor : float32 (n,)
        Their own initial view, which stubbornness pulls them back to.
    posts : int32 (n,)
        Posts uploaded so far.
    order : int32 (n,) or None
        The people's own numbers (their ids in ``humans.parquet``) when the arrays are held in
        a locality order of the graph (:func:`relabel_people`); None when index = id.
    """

    graph: SocialGraph
    creator: np.ndarray
    adoption_rank: np.ndarray
    custom_rank: np.ndarray
    style_type: np.ndarray
    style_x: np.ndarray
    gpt_rate: np.ndarray
    stance: np.ndarray
    anchor: np.ndarray
    posts: np.ndarray
    order: np.ndarray | None = None
    ai_user: np.ndarray = field(init=False)
    gpt_ai: np.ndarray = field(init=False)
    custom_prompt: np.ndarray = field(init=False)
    creator_ids: np.ndarray = field(init=False)
    last_post_type: np.ndarray = field(init=False)
    last_post_x: np.ndarray = field(init=False)

    def __post_init__(self):
        n = self.size
        self.ai_user = np.zeros(n, dtype=bool)
        self.gpt_ai = np.zeros(n, dtype=np.float32)
        self.custom_prompt = np.zeros(n, dtype=bool)
        self.creator_ids = np.flatnonzero(self.creator)
        self.last_post_type = np.full(n, -1, dtype=np.int32)
        self.last_post_x = np.zeros_like(self.style_x)

    @property
    def size(self) -> int:
        """Number of people."""
        return int(self.creator.shape[0])

    @property
    def degree(self) -> np.ndarray:
        """Number of neighbours of each person."""
        return self.graph.degree

    @property
    def nbytes(self) -> int:
        """Bytes of per-person state, the graph excluded."""
        arrays = (self.creator, self.adoption_rank, self.custom_rank, self.style_type,
                  self.style_x, self.gpt_rate, self.gpt_ai, self.stance, self.anchor, self.posts,
                  self.ai_user, self.custom_prompt, self.last_post_type, self.last_post_x)
        return sum(a.nbytes for a in arrays) + (0 if self.order is None else self.order.nbytes)

    def table(self) -> pl.DataFrame:
        """One row per person (the columns of ``humans.parquet``), in order of id."""
        table = pl.DataFrame(
            {
                "id": np.arange(self.size) if self.order is None else self.order,
                "creator": self.creator,
                "ai_user": self.ai_user,
                "custom_prompt": self.custom_prompt,
                "style_type": self.style_type,
                "gpt_rate": self.gpt_rate,
                "stance": self.stance,
                "degree": self.degree,
                "posts": self.posts,
            },
            schema=HUMANS_SCHEMA,
        )
        return table if self.order is None else table.sort("id")


def relabel_people(people: People, order: np.ndarray, graph: SocialGraph) -> People:
    """The same people held in another order: person ``order[i]`` is stored at index ``i``.

    ``graph`` is the social graph relabelled the same way (:func:`ecosystem.social.relabel`);
    every per-person array is permuted, and ``order`` keeps each person's own id for the
    outputs. Call before the first step (the derived arrays start afresh).
    """
    if people.order is not None:
        raise ValueError("relabel_people: these people are already relabelled")
    fields = {}
    for name in People.__dataclass_fields__:
        value = getattr(people, name)
        if People.__dataclass_fields__[name].init and name not in ("graph", "order"):
            fields[name] = value[order]
    return People(graph=graph, order=np.asarray(order, dtype=np.int32), **fields)


def make_people(
    scenario: Scenario,
    culture: Culture,
    graph: SocialGraph,
    rng: np.random.Generator,
    human_rate: float | None = None,
) -> People:
    """Draw the initial population: roles, styles from the culture, rates and stances.

    Everyone's marker-word rate is ``human_rate`` (the vocabulary's human baseline; None
    resolves it from the scenario) times their own log-normal propensity of mean 1: they
    speak the human word profile, each word at their propensity times its base rate.
    """
    if human_rate is None:
        from ecosystem.core.words import make_vocabulary

        words = scenario.gpt_words
        human_rate = make_vocabulary(words.words, words.ai_preference, words.human_rate,
                                     words.ai_rate).human_rate
    n = graph.size
    population, content, words = scenario.population, scenario.content, scenario.gpt_words
    # rng.choice(culture.types, size=n, p=culture.weights), the same numbers
    style_type = weighted_choice(culture.types, n, culture.weights, rng).astype(np.int32)
    personal = culture.type_std / np.sqrt(2.0)
    style_x = take_rows(culture.centres, style_type) + rng.normal(0.0, personal,
                                                                 size=(n, content.dims))
    spread = words.human_rate_spread
    stance = rng.uniform(-1.0, 1.0, n).astype(np.float32)
    return People(
        graph=graph,
        creator=rng.random(n) < population.creators,
        adoption_rank=rng.random(n).astype(np.float32),
        custom_rank=rng.random(n).astype(np.float32),
        style_type=style_type,
        style_x=style_x.astype(np.float32),
        gpt_rate=(human_rate * rng.lognormal(-0.5 * spread**2, spread, n)).astype(
            np.float32
        ),
        stance=stance,
        anchor=stance.copy(),
        posts=np.zeros(n, dtype=np.int32),
    )


def adopting_share(ai_users: float, adoption_steps: int, step: int) -> float:
    """Share of people using AI at ``step``: a linear ramp to ``ai_users`` over the steps."""
    if adoption_steps == 0:
        return ai_users
    return ai_users * min(1.0, step / adoption_steps)


def update_adoption(people: People, scenario: Scenario, step: int) -> None:
    """Who uses AI, and who of them prompts it with their own style, at ``step``."""
    share = adopting_share(scenario.population.ai_users, scenario.population.adoption_steps, step)
    people.ai_user = people.adoption_rank < share
    people.custom_prompt = people.ai_user & (people.custom_rank < scenario.prompts.custom_share)


def write_posts(
    people: People,
    state: ModelState,
    scenario: Scenario,
    drafts: Curator,
    decoding: DecodingParams,
    n_types: int,
    step: int,
    rng: np.random.Generator,
) -> tuple[Docs, int]:
    """Creators' posts of one step, vectorised over all posts.

    Returns
    -------
    posts : Docs
        Hand-written posts, then AI-assisted ones that passed the upload threshold.
    n_types : int
        The length of the type axis after any new types people invented.
    """
    population, content = scenario.population, scenario.content
    counts = rng.poisson(population.posts_per_step, people.creator_ids.size)
    authors = np.repeat(people.creator_ids, counts)
    uses_ai = people.ai_user[authors]
    hand, assisted = authors[~uses_ai], authors[uses_ai]

    # by hand: the author's own style; sometimes a new style type, which the author adopts
    types = people.style_type[hand].copy()
    centres = take_rows(people.style_x, hand).astype(np.float64)
    invent = np.flatnonzero(rng.random(hand.size) < population.innovation)
    if invent.size:
        new_types = n_types + np.arange(invent.size, dtype=np.int32)
        jump = rng.normal(0.0, 2.0 * content.type_std, size=(invent.size, content.dims))
        centres[invent] += jump
        types[invent] = new_types
        people.style_type[hand[invent]] = new_types
        people.style_x[hand[invent]] = centres[invent]
        n_types += invent.size
    spread = content.type_std / np.sqrt(2.0)
    hand_posts = Docs.build(
        type=types,
        x=centres + rng.normal(0.0, spread, size=centres.shape),
        quality=np.clip(rng.normal(content.quality_mean, content.quality_std, hand.size), 0, 100),
        artifact=np.zeros(hand.size),
        gpt_rate=people.gpt_rate[hand],
        gpt_ai=people.gpt_ai[hand],
        stance=people.stance[hand],
        origin=np.full(hand.size, HUMAN),
        author=hand,
        step=np.full(hand.size, step),
    )

    # with AI: a custom prompt conditions the model on the author's own style (NaN: the default
    # prompt); the chosen draft is co-written
    custom = people.custom_prompt[assisted]
    prompts = None
    if custom.any():
        prompts = np.full((assisted.size, content.dims), np.nan)
        writers = assisted[custom]
        prompts[custom] = prompt_points(state, people.style_type[writers],
                                        take_rows(people.style_x, writers))
    drafted, scores = drafts.choose_drafts(
        state, assisted.size, decoding, rng, prompts=prompts,
        prompt_strength=scenario.prompts.strength, author=assisted, step=step,
    )
    passed = np.flatnonzero(scores >= drafts.policy.upload_threshold)
    drafted, assisted = drafted.take(passed), assisted[passed]
    share = population.cowrite_share
    stance = (1 - share) * people.stance[assisted] + share * drafted.stance
    ai_posts = Docs.build(
        type=drafted.type, x=drafted.x, quality=drafted.quality, artifact=drafted.artifact,
        gpt_rate=(1 - share) * people.gpt_rate[assisted] + share * drafted.gpt_rate,
        gpt_ai=(1 - share) * people.gpt_ai[assisted] + share * drafted.gpt_ai,
        stance=stance, origin=drafted.origin, author=assisted, step=drafted.step,
    )
    # co-writers absorb the stance of what they posted (the mean over their posts)
    if assisted.size:
        # per co-writer (numbered in order of id): posts and summed stance, in post order
        cowriters, which = np.unique(assisted, return_inverse=True)
        wrote = np.bincount(which)
        mean_stance = np.bincount(which, weights=stance)
        mean_stance /= wrote
        people.stance[cowriters] = absorb(people.stance[cowriters], mean_stance,
                                          scenario.opinion.absorb)
        if population.cowrite_style > 0:
            # writing with AI moves the writer's own style toward the model's output
            # (Padmakumar & He 2024; Anderson et al. 2024): the style of their last co-written post
            last = np.searchsorted(assisted, cowriters, side="right") - 1
            takes = rng.random(cowriters.size) < population.cowrite_style
            people.style_type[cowriters[takes]] = ai_posts.type[last[takes]]
            put_rows(people.style_x, cowriters[takes], take_rows(ai_posts.x, last[takes]))

    posts = Docs.concat([hand_posts, ai_posts])
    people.posts += np.bincount(posts.author, minlength=people.size).astype(np.int32)
    people.last_post_type.fill(-1)
    people.last_post_type[posts.author] = posts.type
    put_rows(people.last_post_x, posts.author, posts.x)
    return posts, n_types


def listen(
    people: People,
    state: ModelState,
    posts: Docs,
    scenario: Scenario,
    decoding: DecodingParams,
    rng: np.random.Generator,
) -> None:
    """Everyone reads and hears one step's worth: marker words, opinions, styles."""
    n = people.size
    words_cfg, opinion = scenario.gpt_words, scenario.opinion
    graph = people.graph

    post_count = np.bincount(posts.author, minlength=n)
    post_rate_sum = np.bincount(posts.author, weights=posts.gpt_rate, minlength=n)
    post_ai_sum = np.bincount(posts.author, weights=posts.gpt_ai, minlength=n)
    # marker words heard and bounded-confidence opinions in one pass over the graph
    words, ai_words, items, new_stance = listen_pass(
        graph.indptr, graph.indices, people.gpt_rate, people.gpt_ai, post_count, post_rate_sum,
        post_ai_sum, people.stance, opinion.confidence, opinion.influence)
    new_rate = update_rates(people.gpt_rate, words, items, people.ai_user, state.gpt_rate,
                            words_cfg.ai_exposure, words_cfg.adoption)
    # the AI-profile part follows the same linear rule (what they heard, and the model's part)
    new_ai = update_rates(people.gpt_ai, ai_words, items, people.ai_user, state.gpt_ai,
                          words_cfg.ai_exposure, words_cfg.adoption)

    users = np.flatnonzero(people.ai_user)
    if users.size:
        ai_stance = np.clip(state.stance_mean + state.stance_std * rng.standard_normal(users.size),
                            -1.0, 1.0)
        new_stance[users] = absorb(new_stance[users], ai_stance,
                                   opinion.absorb * words_cfg.ai_exposure)
    new_stance = absorb(new_stance, people.anchor, opinion.stubbornness)

    adopt_style(people, state, scenario, decoding, rng)
    people.gpt_rate = new_rate
    people.gpt_ai = new_ai
    people.stance = np.clip(new_stance, -1.0, 1.0).astype(np.float32, copy=False)


def adopt_style(
    people: People,
    state: ModelState,
    scenario: Scenario,
    decoding: DecodingParams,
    rng: np.random.Generator,
) -> None:
    """Homogenisation: a few people take on the style of something they read this step.

    With probability ``population.style_conformity`` a person picks one thing they read: for an
    AI user, AI output with probability ``gpt_words.ai_exposure``; otherwise a random neighbour's
    latest post (if that neighbour posted this step). They adopt its type and move to its point.
    """
    graph = people.graph
    chooses = np.flatnonzero(rng.random(people.size) < scenario.population.style_conformity)
    if chooses.size == 0:
        return
    reads_ai = people.ai_user[chooses] & (rng.random(chooses.size) < scenario.gpt_words.ai_exposure)
    readers = chooses[reads_ai]
    if readers.size:
        output = decode(state, readers.size, decoding, rng)
        people.style_type[readers] = output.type
        put_rows(people.style_x, readers, output.x)
    social = chooses[~reads_ai]
    degree = graph.indptr[social + 1] - graph.indptr[social]
    social, degree = social[degree > 0], degree[degree > 0]
    offset = (rng.random(social.size) * degree).astype(np.int64)
    neighbour = graph.indices[graph.indptr[social] + offset]
    posted = people.last_post_type[neighbour] >= 0
    people.style_type[social[posted]] = people.last_post_type[neighbour[posted]]
    put_rows(people.style_x, social[posted], take_rows(people.last_post_x, neighbour[posted]))


class Listener(mesa.Agent):
    """A person who reads and speaks: a view of one row of :class:`People`."""

    def __init__(self, model: mesa.Model, person: int):
        super().__init__(model)
        self.person = person

    @property
    def _people(self) -> People:
        return self.model.people

    @property
    def ai_user(self) -> bool:
        """Uses AI now."""
        return bool(self._people.ai_user[self.person])

    @property
    def gpt_rate(self) -> float:
        """Marker words per 1,000 words in their speech."""
        return float(self._people.gpt_rate[self.person])

    @property
    def stance(self) -> float:
        """Opinion, −1 … 1."""
        return float(self._people.stance[self.person])

    @property
    def style_type(self) -> int:
        """Their own style type."""
        return int(self._people.style_type[self.person])

    def neighbours(self) -> np.ndarray:
        """Ids of the people they read and hear."""
        return self._people.graph.neighbours(self.person)


class Creator(Listener):
    """A listener who also uploads posts."""

    @property
    def posts(self) -> int:
        """Posts uploaded so far."""
        return int(self._people.posts[self.person])

    @property
    def custom_prompt(self) -> bool:
        """Prompts the AI with their own style (if an AI user)."""
        return bool(self._people.custom_prompt[self.person])
