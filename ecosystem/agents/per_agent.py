"""The plain per-agent Mesa version of the people step: the reference for the vectorised one.

Every person is a :class:`Person` agent holding its own state in Python attributes; a step calls
``write`` then ``listen`` then ``commit`` on every agent through Mesa's ``AgentSet.do``, with loops
over posts and neighbours — the obvious way to write an agent-based model, and far too slow for a
million people. It follows the same rules as :mod:`ecosystem.agents.people` (random draws differ
in order, so the two agree in distribution, which the tests check over many seeds), and the
benchmark script times it for the speed-up ratios.

Use it with ``EcosystemModel(scenario, seed, people_step="per_agent")``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from ecosystem.agents.people import People, adopting_share
from ecosystem.core.corpus import HUMAN, Docs
from ecosystem.core.decode import decode, prompt_points

if TYPE_CHECKING:
    from ecosystem.model import EcosystemModel


class Person(mesa.Agent):
    """One person with their own state, stepping themselves."""

    def __init__(self, model: EcosystemModel, person: int, people: People):
        super().__init__(model)
        self.person = person
        self.creator = bool(people.creator[person])
        self.adoption_rank = float(people.adoption_rank[person])
        self.custom_rank = float(people.custom_rank[person])
        self.style_type = int(people.style_type[person])
        self.style_x = [float(v) for v in people.style_x[person]]
        self.gpt_rate = float(people.gpt_rate[person])
        self.stance = float(people.stance[person])
        self.anchor = float(people.anchor[person])
        self.posts = 0
        self.neighbours: list[Person] = []
        self.ai_user = False
        self.custom_prompt = False
        self.today: list[dict] = []

    # -- writing ---------------------------------------------------------------------------------
    def write(self) -> None:
        """Post this step's posts, by hand or with AI."""
        model = self.model
        self.today = []
        if not self.creator:
            return
        sc, rng = model.scenario, model.rngs["writing"]
        for _ in range(int(rng.poisson(sc.population.posts_per_step))):
            post = self._with_ai(sc, rng) if self.ai_user else self._by_hand(sc, rng)
            if post is not None:
                self.today.append(post)
                self.posts += 1

    def _by_hand(self, sc, rng) -> dict:
        model = self.model
        centre = list(self.style_x)
        style = self.style_type
        if rng.random() < sc.population.innovation:
            style = model.n_types
            model.n_types += 1
            centre = [c + rng.normal(0.0, 2.0 * sc.content.type_std) for c in centre]
            self.style_type, self.style_x = style, list(centre)
        spread = sc.content.type_std / math.sqrt(2.0)
        quality = min(100.0, max(0.0, rng.normal(sc.content.quality_mean, sc.content.quality_std)))
        return {"type": style, "x": [c + rng.normal(0.0, spread) for c in centre],
                "quality": quality, "artifact": 0.0, "gpt_rate": self.gpt_rate,
                "stance": self.stance, "origin": HUMAN}

    def _with_ai(self, sc, rng) -> dict | None:
        model = self.model
        prompt = None
        if self.custom_prompt:
            prompt = prompt_points(model.current.state, np.array([self.style_type]),
                                   np.array([self.style_x]))
        drafts, scores = model.drafts.choose_drafts(
            model.current.state, 1, model.decoding, rng, prompts=prompt,
            prompt_strength=sc.prompts.strength,
        )
        if scores[0] < model.drafts.policy.upload_threshold:
            return None
        share = sc.population.cowrite_share
        stance = (1 - share) * self.stance + share * float(drafts.stance[0])
        return {"type": int(drafts.type[0]), "x": [float(v) for v in drafts.x[0]],
                "quality": float(drafts.quality[0]), "artifact": float(drafts.artifact[0]),
                "gpt_rate": (1 - share) * self.gpt_rate + share * float(drafts.gpt_rate[0]),
                "stance": stance, "origin": int(drafts.origin[0]), "cowritten": True}

    def absorb_cowritten(self) -> None:
        """Move toward the stance, and maybe take on the style, of what they co-wrote with AI."""
        posts = [p for p in self.today if p.get("cowritten")]
        if posts:
            mean = sum(p["stance"] for p in posts) / len(posts)
            self.stance += self.model.scenario.opinion.absorb * (mean - self.stance)
            chance = self.model.scenario.population.cowrite_style
            if chance > 0 and self.model.rngs["writing"].random() < chance:
                self.style_type, self.style_x = posts[-1]["type"], list(posts[-1]["x"])

    # -- listening -------------------------------------------------------------------------------
    def listen(self) -> None:
        """Work out this step's new rate and stance from what was read (committed later)."""
        model = self.model
        sc, state = model.scenario, model.current.state
        words_cfg, opinion = sc.gpt_words, sc.opinion
        heard = []
        for other in self.neighbours:
            heard.append(other.gpt_rate)
            heard.extend(post["gpt_rate"] for post in other.today)
        rate = self.gpt_rate
        if heard or self.ai_user:
            if not heard:
                target = state.gpt_rate
            elif self.ai_user:
                social = sum(heard) / len(heard)
                exposure = words_cfg.ai_exposure
                target = (1 - exposure) * social + exposure * state.gpt_rate
            else:
                target = sum(heard) / len(heard)
            rate += words_cfg.adoption * (target - rate)
        self.next_rate = rate

        close = [other.stance for other in self.neighbours
                 if abs(other.stance - self.stance) < opinion.confidence]
        stance = self.stance
        if close:
            stance += opinion.influence * (sum(close) / len(close) - stance)
        if self.ai_user:
            rng = model.rngs["reading"]
            ai_stance = min(1.0, max(-1.0, state.stance_mean + state.stance_std * rng.normal()))
            stance += opinion.absorb * words_cfg.ai_exposure * (ai_stance - stance)
        stance += opinion.stubbornness * (self.anchor - stance)
        self.next_stance = min(1.0, max(-1.0, stance))

        self.next_style = None
        rng = model.rngs["reading"]
        if rng.random() < sc.population.style_conformity:
            if self.ai_user and rng.random() < words_cfg.ai_exposure:
                output = decode(state, 1, model.decoding, rng)
                self.next_style = (int(output.type[0]), [float(v) for v in output.x[0]])
            elif self.neighbours:
                other = self.neighbours[int(rng.random() * len(self.neighbours))]
                if other.today:
                    post = other.today[-1]
                    self.next_style = (post["type"], list(post["x"]))

    def commit(self) -> None:
        """Apply the new state (every agent listened to the old one)."""
        self.gpt_rate, self.stance = self.next_rate, self.next_stance
        if self.next_style is not None:
            self.style_type, self.style_x = self.next_style


def build_persons(model: EcosystemModel, people: People) -> list[Person]:
    """One :class:`Person` agent per person, linked to their neighbours."""
    persons = [Person(model, i, people) for i in range(people.size)]
    for person in persons:
        person.neighbours = [persons[j] for j in people.graph.neighbours(person.person)]
    return persons


def step_per_agent(model: EcosystemModel, persons: list[Person], now: int) -> Docs:
    """One people step, agent by agent; returns the posts and mirrors state into the arrays."""
    sc = model.scenario
    share = adopting_share(sc.population.ai_users, sc.population.adoption_steps, now)
    for person in persons:
        person.ai_user = person.adoption_rank < share
        person.custom_prompt = person.ai_user and person.custom_rank < sc.prompts.custom_share
    agents = model.agents_by_type[Person]
    agents.do("write")
    agents.do("absorb_cowritten")
    agents.do("listen")
    agents.do("commit")
    rows = [(person.person, post) for person in persons for post in person.today]
    dims = sc.content.dims
    posts = Docs.build(
        type=np.array([p["type"] for _, p in rows], dtype=np.int64),
        x=np.array([p["x"] for _, p in rows], dtype=float).reshape(-1, dims),
        quality=np.array([p["quality"] for _, p in rows]),
        artifact=np.array([p["artifact"] for _, p in rows]),
        gpt_rate=np.array([p["gpt_rate"] for _, p in rows]),
        stance=np.array([p["stance"] for _, p in rows]),
        origin=np.array([p["origin"] for _, p in rows], dtype=np.int64),
        author=np.array([i for i, _ in rows], dtype=np.int64),
        step=np.full(len(rows), now),
    )
    people = model.people
    people.ai_user = np.array([p.ai_user for p in persons])
    people.custom_prompt = np.array([p.custom_prompt for p in persons])
    people.gpt_rate = np.array([p.gpt_rate for p in persons], dtype=np.float32)
    people.stance = np.array([p.stance for p in persons], dtype=np.float32)
    people.style_type = np.array([p.style_type for p in persons], dtype=np.int32)
    people.posts = np.array([p.posts for p in persons], dtype=np.int32)
    return posts
