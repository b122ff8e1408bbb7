"""The AI side of the ecosystem as Mesa agents: model generations and curators.

Both are thin: an :class:`AIModel` holds the fitted parameters of one generation (a
:class:`~ecosystem.core.fit.ModelState`) and writes through the core's ``decode``; a
:class:`Curator` holds a filtering policy and applies the core's ``best_of_n``, ``scrape`` and
``detect``. The arrays do the work; the agents make the roles visible to Mesa and the dashboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ecosystem.core.corpus import Docs
from ecosystem.core.curate import CurationParams, best_of_n, curated_outputs
from ecosystem.core.decode import DecodingParams
from ecosystem.core.fit import ModelState
from ecosystem.core.scrape import ScrapeParams, scrape

if TYPE_CHECKING:
    from ecosystem.model import EcosystemModel


class AIModel(mesa.Agent):
    """One AI generation, fitted at ``trained_at`` on the data its lab scraped.

    Parameters
    ----------
    model : EcosystemModel
    state : ModelState
        The fitted parameters.
    trained_at : int
        The step at which it was trained.
    """

    def __init__(self, model: EcosystemModel, state: ModelState, trained_at: int):
        super().__init__(model)
        self.state = state
        self.trained_at = trained_at

    @property
    def generation(self) -> int:
        """Generation number (0 is fitted on the original human corpus)."""
        return self.state.generation

    def write(
        self,
        n: int,
        decoding: DecodingParams,
        curator: Curator,
        rng: np.random.Generator,
        step: int,
    ) -> Docs:
        """Content-farm output: ``n`` curated documents that pass the upload threshold."""
        return curated_outputs(self.state, n, decoding, curator.policy, rng, step=step)


class Curator(mesa.Agent):
    """A filtering policy: who chooses which drafts get posted, or what the lab trains on.

    Parameters
    ----------
    model : EcosystemModel
    role : {"drafts", "lab"}
        ``drafts``: a person or pipeline keeping the best of N drafts above a threshold;
        ``lab``: the scraper with its data regime, AI-text detector and human-data reserve.
    policy : CurationParams or ScrapeParams
    """

    def __init__(
        self, model: EcosystemModel, role: str, policy: CurationParams | ScrapeParams
    ):
        super().__init__(model)
        self.role = role
        self.policy = policy

    def choose_drafts(
        self,
        state: ModelState,
        n: int,
        decoding: DecodingParams,
        rng: np.random.Generator,
        **prompting,
    ) -> tuple[Docs, np.ndarray]:
        """Best-of-N posts and their scores (compare with ``policy.upload_threshold``)."""
        return best_of_n(state, n, decoding, self.policy, rng, **prompting)

    def select_training(
        self,
        step: np.ndarray,
        origin: np.ndarray,
        now: int,
        last_retrain: int,
        n_original: int,
        rng: np.random.Generator,
    ) -> slice | np.ndarray:
        """Positions of the next training set in the corpus."""
        return scrape(step, origin, now, last_retrain, n_original, self.policy, rng)
