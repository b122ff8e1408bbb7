"""The vectorised generation core: pure functions on arrays, no Mesa.

One module per mechanism: :mod:`corpus` (documents as arrays), :mod:`fit`, :mod:`decode`,
:mod:`curate`, :mod:`scrape` (data regimes) and :mod:`metrics`.
"""

from ecosystem.core.corpus import HUMAN, NO_AUTHOR, Corpus, Culture, Docs
from ecosystem.core.curate import CurationParams, best_of_n, curated_outputs, detect
from ecosystem.core.decode import DecodingParams, decode, decoded_distribution
from ecosystem.core.fit import FitParams, ModelState, fit
from ecosystem.core.scrape import ScrapeParams, scrape

__all__ = [
    "HUMAN",
    "NO_AUTHOR",
    "Corpus",
    "Culture",
    "CurationParams",
    "DecodingParams",
    "Docs",
    "FitParams",
    "ModelState",
    "ScrapeParams",
    "best_of_n",
    "curated_outputs",
    "decode",
    "decoded_distribution",
    "detect",
    "fit",
    "scrape",
]
