"""Marker words as real words: a vocabulary with human base rates and AI preferences.

Every word of the vocabulary (``gpt_words.words``) has a human base rate, its frequency among
English words in the ``wordfreq`` package (read from the installed package, nothing is
downloaded), and an AI preference ratio: how many times more often the AI's house style uses it.

Per-word state is held in a low-rank form. Everything that carries marker words (a person's
speech, a document, an AI generation) holds two numbers: its total rate ``g`` (marker words per
1,000 words, summed over the vocabulary: the ``gpt_rate`` of people, documents and models) and
``a``, the part of ``g`` that follows the AI's word profile. Its rate of word w is

    rate_w = (g − a) · H_w + a · A_w

with ``H`` the human profile (base rates normalised to sum 1) and ``A`` the AI house profile
(base rate × preference, normalised). Contagion, co-writing and training are all linear
mixtures of rates with the same weights for every word, so starting from human speech
(``a = 0``) and mixing in AI output (which lies in the span of ``H`` and ``A``) keeps every
per-word rate vector exactly in that span: two float32 numbers per person and per document
represent the rates of any vocabulary size exactly (8 bytes; 4 more than the single aggregate
rate).

References
----------
Kobak, González-Márquez, Horvát & Lause, "Delving into LLM-assisted writing in biomedical
publications through excess vocabulary", Science Advances 2025.
Liang et al., "Monitoring AI-modified content at scale: a case study on the impact of ChatGPT on
AI conference peer reviews", ICML 2024.
Yakura et al., "Empirical evidence of large language model's influence on human spoken
communication", arXiv 2024.
Juzek & Ward, "Why does ChatGPT 'delve' so much? Exploring the sources of lexical
overrepresentation in large language models", COLING 2025.
Speer, wordfreq (Zenodo, version 3), the English word frequencies.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

DEFAULT_WORDS: tuple[str, ...] = (
    "delve", "realm", "adept", "meticulous", "commendable", "intricate", "underscores",
    "showcasing", "comprehend", "swift", "boast", "inquiry",
)
"""The default vocabulary: the words Yakura et al. (2024) track in speech, and the words whose
frequency jumped in abstracts and peer reviews (Kobak et al. 2025; Liang et al. 2024)."""

UNPUBLISHED_RATIO = 9.8
"""Default preference of a default word with no single published ratio: the smallest ratio
published for any default word ("commendable", Liang et al. 2024), so a conservative value."""

PUBLISHED_AI_PREFERENCE: dict[str, tuple[float, str]] = {
    "delve": (28.0, "Kobak et al. 2025: frequency ratio of 'delves' in 2024 PubMed abstracts"),
    "underscores": (13.8, "Kobak et al. 2025: frequency ratio in 2024 PubMed abstracts"),
    "showcasing": (10.7, "Kobak et al. 2025: frequency ratio in 2024 PubMed abstracts"),
    "meticulous": (34.7, "Liang et al. 2024: fold increase in ICLR 2024 peer reviews"),
    "commendable": (9.8, "Liang et al. 2024: fold increase in ICLR 2024 peer reviews"),
    "intricate": (11.2, "Liang et al. 2024: fold increase in ICLR 2024 peer reviews"),
    **dict.fromkeys(
        ("realm", "adept", "comprehend", "swift", "boast", "inquiry"),
        (UNPUBLISHED_RATIO, "Yakura et al. 2024 and Juzek & Ward 2025 list it among the words "
         "models prefer, without a single published ratio: the smallest published one"),
    ),
}
"""Default AI preference ratio of each known word, and where it comes from. The published
figures are ratios in corpora only partly written with AI, r = 1 + s (ρ − 1) for a share s of AI
text, so they understate the model's own ratio ρ; override per word in
``[gpt_words.ai_preference]``."""


@functools.lru_cache(maxsize=64)
def base_frequencies(words: tuple[str, ...]) -> np.ndarray:
    """Frequency of each word among English words, from the installed ``wordfreq`` package.

    Returns
    -------
    ndarray (V,)
        ``wordfreq.word_frequency(word, "en")``: occurrences per word of running text.
    """
    import wordfreq

    return np.array([wordfreq.word_frequency(word, "en") for word in words], dtype=np.float64)


@dataclass(frozen=True)
class Vocabulary:
    """The marker words and their profiles.

    Attributes
    ----------
    words : tuple of str
    human : ndarray (V,)
        Human base rate of each word, marker words per 1,000 words (sums to ``human_rate``).
    preference : ndarray (V,)
        AI preference ratio of each word.
    human_profile, ai_profile : ndarray (V,)
        ``H`` and ``A``: the human base rates and the AI house rates, each normalised to sum 1.
    human_rate, house_rate : float
        Aggregate rates, marker words per 1,000 words: the human baseline and the AI's house
        style (all of it in the AI profile).
    """

    words: tuple[str, ...]
    human: np.ndarray
    preference: np.ndarray
    human_profile: np.ndarray
    ai_profile: np.ndarray
    human_rate: float
    house_rate: float

    @property
    def size(self) -> int:
        """Number of words V."""
        return len(self.words)

    def per_word(self, total: np.ndarray | float, ai_part: np.ndarray | float) -> np.ndarray:
        """Per-word rates (per 1,000 words) of rows with total rate ``g`` and AI part ``a``.

        Returns an array of shape ``(..., V)``: ``(g − a) H + a A`` (``g − a`` floored at 0
        against rounding).
        """
        g = np.asarray(total, dtype=np.float64)[..., None]
        a = np.asarray(ai_part, dtype=np.float64)[..., None]
        return np.maximum(g - a, 0.0) * self.human_profile + a * self.ai_profile


def make_vocabulary(
    words: tuple[str, ...] | list[str],
    ai_preference: dict[str, float],
    human_rate: float | str = "wordfreq",
    ai_rate: float | str = "ai_preference",
) -> Vocabulary:
    """Build the vocabulary from the scenario's ``[gpt_words]`` keys.

    Parameters
    ----------
    words : sequence of str
    ai_preference : dict
        Ratios overriding the published defaults, word → ratio.
    human_rate : float or "wordfreq"
        The human baseline, marker words per 1,000 words: ``"wordfreq"`` is the sum of the
        words' ``wordfreq`` frequencies × 1,000; a number rescales every base rate to it (a
        register richer or poorer in these words), keeping their proportions.
    ai_rate : float or "ai_preference"
        The AI's house-style rate per 1,000 words: ``"ai_preference"`` is Σ base rate × ratio;
        a number rescales the house profile to it, keeping its proportions.
    """
    words = tuple(words)
    freq = base_frequencies(words)
    if np.any(freq <= 0):
        missing = [w for w, f in zip(words, freq, strict=True) if f <= 0]
        raise ValueError(f"gpt_words.words: no English frequency in wordfreq for {missing}")
    human = 1000.0 * freq
    if human_rate != "wordfreq":
        human = human * (float(human_rate) / human.sum())
    preference = np.array([ai_preference.get(w, PUBLISHED_AI_PREFERENCE.get(w, (np.nan,))[0])
                           for w in words], dtype=np.float64)
    if np.isnan(preference).any():
        missing = [w for w, r in zip(words, preference, strict=True) if np.isnan(r)]
        raise ValueError(f"gpt_words.ai_preference: no published ratio for {missing}; give one")
    house = human * preference
    house_rate = float(house.sum()) if ai_rate == "ai_preference" else float(ai_rate)
    # a given baseline is kept exactly (the rescaled rates sum to it up to rounding)
    total_human = float(human.sum()) if human_rate == "wordfreq" else float(human_rate)
    return Vocabulary(
        words=words,
        human=human,
        preference=preference,
        human_profile=human / human.sum() if human.sum() > 0 else np.full(len(words),
                                                                          1 / len(words)),
        ai_profile=house / house.sum() if house.sum() > 0 else np.full(len(words),
                                                                       1 / len(words)),
        human_rate=total_human,
        house_rate=house_rate,
    )


def word_occurrence(
    vocabulary: Vocabulary,
    gpt_rate: np.ndarray,
    gpt_ai: np.ndarray,
    document_words: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw which marker words each document contains.

    A document of ``document_words`` words uses word w a Poisson number of times with mean
    ``λ = document_words × rate_w / 1000`` (its per-word rates from its ``gpt_rate`` and
    ``gpt_ai``), independently across words. The estimators need only whether the count is
    positive, so that is what is drawn: one uniform per document and word, below
    ``P(count > 0) = 1 − exp(−λ)``.

    Returns
    -------
    ndarray of bool (n, V)
    """
    mean = vocabulary.per_word(gpt_rate, gpt_ai) * (document_words / 1000.0)
    return rng.random(mean.shape) < -np.expm1(-mean)


def word_occurrence_reference(
    vocabulary: Vocabulary,
    gpt_rate: list[float],
    gpt_ai: list[float],
    document_words: int,
    rng: np.random.Generator,
) -> list[list[bool]]:
    """Slow, obvious per-document, per-word version of :func:`word_occurrence` (same draws)."""
    draws = rng.random((len(gpt_rate), vocabulary.size))
    rows = []
    for i, (g, a) in enumerate(zip(gpt_rate, gpt_ai, strict=True)):
        row = []
        for w in range(vocabulary.size):
            rate = max(g - a, 0.0) * vocabulary.human_profile[w] + a * vocabulary.ai_profile[w]
            mean = rate * document_words / 1000.0
            row.append(bool(draws[i, w] < 1.0 - math.exp(-mean)))
        rows.append(row)
    return rows
