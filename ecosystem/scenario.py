"""The scenario schema: load, validate, override, describe.

A scenario is a TOML file of sections (``[ai]``, ``[decoding]``, ...). Every key has a default, so a
file names only what it changes. The schema is a tree of frozen pydantic models with ranges and
allowed values in the field definitions, so every error names the dotted key that is wrong.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "describe",
    "flat_keys",
    "load_scenario",
    "parse_override",
]

Share = Annotated[float, Field(ge=0.0, le=1.0)]


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``messages`` holds one line per problem."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


class Section(BaseModel):
    """Base of every scenario section: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)


class ScenarioMeta(Section):
    """``[scenario]``: name, description, length and seed of a run."""

    name: str = Field("unnamed", min_length=1, description="short name, used for run folders")
    description: str = Field("", description="what the scenario shows")
    steps: int = Field(20, ge=0, le=1_000_000, description="periods to simulate after step 0")
    seed: int = Field(0, ge=0, description="root seed of the run's random streams")


class Population(Section):
    """``[population]``: who lives in the ecosystem and how they write."""

    humans: int = Field(
        1000, ge=0, le=50_000_000, description="people; 0 gives a pure retraining chain"
    )
    creators: Share = Field(0.2, description="share of people who upload posts")
    ai_users: Share = Field(
        0.4, description="share of people who use AI (creators among them write with it)"
    )
    adoption_steps: int = Field(
        0, ge=0, le=1_000_000, description="steps over which AI use grows to ai_users (0: at once)"
    )
    posts_per_step: float = Field(
        1.0, ge=0.0, le=100.0, description="mean posts per creator per step (Poisson)"
    )
    innovation: Share = Field(
        0.0, description="chance that a hand-written post invents a new style type"
    )
    cowrite_share: Share = Field(
        0.7, description="share of an AI-assisted post's text (markers, stance) from the AI"
    )
    style_conformity: Share = Field(
        0.02, description="chance per step that a person adopts the style of a post they read"
    )


class Network(Section):
    """``[network]``: the social graph people live on."""

    kind: Literal[
        "barabasi_albert", "watts_strogatz", "erdos_renyi", "stochastic_block", "edgelist"
    ] = "barabasi_albert"
    m: int = Field(3, ge=1, le=1000, description="Barabási–Albert: edges of each new person")
    k: int = Field(6, ge=2, le=1000, description="Watts–Strogatz: neighbours in the ring lattice")
    p: float = Field(
        0.1, ge=0.0, le=1.0, description="Watts–Strogatz rewiring, or Erdős–Rényi edge chance"
    )
    blocks: int = Field(4, ge=1, le=10_000, description="stochastic block: communities")
    p_in: float = Field(0.05, ge=0.0, le=1.0, description="stochastic block: edge chance inside")
    p_out: float = Field(0.001, ge=0.0, le=1.0, description="stochastic block: edge chance across")
    path: str = Field("", description="edgelist: file of 'a b' lines, people numbered from 0")


class Content(Section):
    """``[content]``: the initial human culture of styles and the initial corpus."""

    types: int = Field(20, ge=1, le=100_000, description="K discrete style types")
    type_weights: Literal["zipf", "uniform"] | list[Annotated[float, Field(ge=0.0)]] = Field(
        "zipf", description='"zipf", "uniform" or a list of K non-negative weights'
    )
    zipf_exponent: float = Field(1.0, gt=0.0, le=10.0, description="Zipf weights ∝ rank^-s")
    dims: int = Field(2, ge=1, le=64, description="dimensions of the continuous style space")
    initial_docs: int = Field(
        1000, ge=1, le=100_000_000, description="documents of the original human corpus"
    )
    quality_mean: float = Field(60.0, ge=0.0, le=100.0, description="mean human quality, 0–100")
    quality_std: float = Field(10.0, ge=0.0, le=100.0, description="spread of human quality")
    type_spread: float = Field(
        3.0, ge=0.0, le=1000.0, description="spread of the type centres in style space"
    )
    type_std: float = Field(
        1.0, ge=0.0, le=1000.0, description="spread of documents around their type's centre"
    )


class AI(Section):
    """``[ai]``: how each AI generation is trained and what it uploads."""

    retrain_every: int = Field(1, ge=1, le=10_000, description="steps between generations")
    training_docs: int | Literal["all"] = Field(
        "all",
        description='documents in a training set: an integer M (≥ 1; the size of a sample, or a '
        'cap on the newest uploads) or "all" (needed by "accumulate")',
    )
    outputs_per_generation: int = Field(
        0, ge=0, le=100_000_000, description="documents uploaded straight from the model"
    )
    data_regime: Literal["replace", "accumulate", "accumulate-subsample", "window"] = Field(
        "accumulate", description="which uploaded documents the lab trains on"
    )
    window: int = Field(5, ge=1, le=1_000_000, description="window: steps of data kept")
    capacity: int | Literal["unlimited"] = Field(
        "unlimited", description='most types the model can hold: an integer or "unlimited"'
    )
    min_count: int = Field(1, ge=1, le=1_000_000, description="fewest sightings to learn a type")
    fit_noise: float = Field(
        0.0, ge=0.0, le=100.0, description="training error per fit (style units and artifact)"
    )
    artifact_gain: float = Field(
        1.0, ge=0.0, le=100.0, description="how strongly artifacts in training data are learned"
    )
    artifact_quality_cost: float = Field(
        5.0, ge=0.0, le=100.0, description="quality points lost per unit of artifact"
    )

    @model_validator(mode="after")
    def _positive_counts(self) -> AI:
        if isinstance(self.training_docs, int) and self.training_docs < 1:
            raise ValueError('training_docs must be an integer ≥ 1 or "all"')
        if isinstance(self.capacity, int) and self.capacity < 1:
            raise ValueError('capacity must be an integer ≥ 1 or "unlimited"')
        if self.data_regime == "accumulate-subsample" and self.training_docs == "all":
            raise ValueError(
                'data_regime "accumulate-subsample" needs training_docs to be an integer'
            )
        if self.data_regime == "accumulate" and self.training_docs != "all":
            raise ValueError(
                f'data_regime "accumulate" trains on everything ever uploaded, so training_docs '
                f'must be "all" (got {self.training_docs}); for a fixed-size sample of '
                'everything use data_regime "accumulate-subsample"'
            )
        return self


class Decoding(Section):
    """``[decoding]``: how the model turns its fitted distribution into documents."""

    method: Literal["sample", "greedy", "top_k", "top_p", "beam"] = "sample"
    temperature: float = Field(1.0, gt=0.0, le=100.0, description="T: p^(1/T), spread × √T")
    top_k: int = Field(5, ge=1, le=100_000, description="top_k: types kept")
    top_p: float = Field(0.9, gt=0.0, le=1.0, description="top_p: probability mass kept")
    beam_width: int = Field(4, ge=1, le=1000, description="beam: candidates compared")


class Curation(Section):
    """``[curation]``: which AI drafts get posted."""

    best_of_n: int = Field(1, ge=1, le=1000, description="drafts per post; the best is kept")
    typicality_weight: float = Field(
        0.0, ge=0.0, le=100.0, description="score bonus, in quality points, for typical styles"
    )
    upload_threshold: float = Field(
        0.0, ge=0.0, le=200.0, description="drafts scoring below this are not posted"
    )
    choice: Literal["best", "bradley-terry"] = Field(
        "best",
        description='"best": the best-scoring draft; "bradley-terry": draft i with probability '
        "∝ exp(score_i)",
    )


class Prompts(Section):
    """``[prompts]``: custom prompts that condition the model on a user's own style."""

    custom_share: Share = Field(0.0, description="share of AI users with their own prompts")
    strength: float = Field(
        5.0, ge=0.0, le=50.0, description="log-odds boost of the user's own style type"
    )


class GptWords(Section):
    """``[gpt_words]``: marker words such as "delve", per 1,000 words."""

    human_rate: float = Field(0.5, ge=0.0, le=1000.0, description="human baseline rate")
    human_rate_spread: float = Field(
        0.3, ge=0.0, le=5.0, description="log-normal spread of people's own rates"
    )
    ai_rate: float = Field(5.0, ge=0.0, le=1000.0, description="the AI's house-style rate")
    house_weight: Share = Field(
        0.5, description="how much the AI's rate follows its house style, not its training data"
    )
    adoption: Share = Field(
        0.08, description="how far a person's rate moves per step toward what they read and hear"
    )
    ai_exposure: Share = Field(0.5, description="share of an AI user's reading that is AI output")


class Opinion(Section):
    """``[opinion]``: stance on a contested question, −1 … 1."""

    neutral_band: float = Field(0.2, gt=0.0, le=1.0, description="|stance| below this is neutral")
    confidence: float = Field(
        0.4, ge=0.0, le=2.0, description="bounded confidence: neighbours farther are ignored"
    )
    influence: Share = Field(0.05, description="step toward like-minded neighbours per period")
    ai_neutral_pull: Share = Field(0.5, description="how far AI outputs are pulled to neutral")
    absorb: Share = Field(
        0.08, description="how far an AI user's stance moves toward what the AI wrote"
    )
    stubbornness: Share = Field(
        0.05, description="how far a person returns each step toward their own initial view"
    )


class Interventions(Section):
    """``[interventions]``: policy levers not covered by the other sections."""

    human_data_reserve: Share = Field(
        0.0,
        description="share r of every training set drawn from the original human corpus: "
        "round(r·M) originals plus M − round(r·M) from the data regime (M = ai.training_docs)",
    )
    fresh_human_docs: int = Field(
        0, ge=0, le=100_000_000,
        description="newly collected human documents (drawn from the original culture) in "
        "every training set after the first; they take the place of regime documents",
    )
    detector_recall: Share = Field(0.0, description="share of AI text the lab's detector removes")
    detector_false_positive: Share = Field(
        0.0, description="share of human text the detector removes by mistake"
    )


class Sweep(Section):
    """``[sweep]``: replicates, a grid of values, or a sampling design over ranges.

    A sweep runs every cell of the full-factorial ``grid`` (dotted key → list of values) and,
    for a sampling design, every point SALib draws over ``ranges`` (dotted key → [low, high]),
    each ``replicates`` times with its own seed. ``samples`` is SALib's base sample size: the
    points of a ``latin`` design, the trajectories of a ``morris`` design (each of D + 1
    points for D ranges), the base size N of a ``sobol`` (Saltelli) design, N (D + 2) points.
    """

    replicates: int = Field(1, ge=1, le=100_000, description="runs of every cell, own seed each")
    design: Literal["grid", "latin", "sobol", "morris"] = Field(
        "grid", description="full-factorial grid only, or a SALib sampling design over ranges"
    )
    samples: int = Field(16, ge=1, le=1_000_000, description="base samples of a design")
    grid: dict[str, list[Any]] = Field(
        default_factory=dict, description='dotted key → values, e.g. "ai.window" = [2, 5]'
    )
    ranges: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict, description='dotted key → [low, high], e.g. "ai.fit_noise" = [0, 1]'
    )

    @staticmethod
    def range_kind(dotted: str) -> str | None:
        """``"int"`` or ``"float"`` if a range can be swept over ``dotted``, else None.

        Integer keys (``ai.window``, and ``ai.training_docs`` whose other choice is "all")
        take the sampled value rounded to the nearest integer.
        """
        section, _, key = dotted.partition(".")
        if section not in SECTIONS or key not in SECTIONS[section].model_fields:
            return None
        annotation = SECTIONS[section].model_fields[key].annotation
        members = set(get_args(annotation)) if get_origin(annotation) is not None else set()
        members.add(annotation)
        if float in members:
            return "float"
        if int in members:
            return "int"
        return None

    def check(self) -> list[str]:
        """Problems of the swept keys and values that the field types alone cannot catch."""
        problems: list[str] = []
        for table, keys in (("grid", self.grid), ("ranges", self.ranges)):
            for key in keys:
                section = key.split(".", 1)[0]
                if key.startswith("sweep."):
                    problems.append(f"sweep.{table}: {key!r} cannot be swept (it is part of "
                                    "[sweep] itself)")
                elif key == "scenario.seed":
                    problems.append(f"sweep.{table}: 'scenario.seed' cannot be swept: every run "
                                    "gets its own seed; use sweep.replicates for more seeds")
                elif section in SECTIONS and key not in set(flat_keys()):
                    allowed = ", ".join(SECTIONS[section].model_fields)
                    problems.append(f"sweep.{table}: {key!r} is not a scenario key; keys of "
                                    f"[{section}] are: {allowed}")
                elif key not in set(flat_keys()):
                    problems.append(f"sweep.{table}: {key!r} is not a scenario key; write "
                                    f"section.key, e.g. 'ai.window' (sections: "
                                    f"{', '.join(s for s in SECTIONS if s != 'sweep')})")
        for key in sorted(set(self.grid) & set(self.ranges)):
            problems.append(f"sweep: {key!r} is in both sweep.grid and sweep.ranges; "
                            "give it in one of them")
        for key, values in self.grid.items():
            if len(values) == 0:
                problems.append(f"sweep.grid.{key!r} is empty: give at least one value")
        for key, (low, high) in self.ranges.items():
            if not (math.isfinite(low) and math.isfinite(high)):
                problems.append(f"sweep.ranges.{key!r} needs finite bounds, got [{low}, {high}]")
            elif not low < high:
                problems.append(f"sweep.ranges.{key!r} needs low < high, got [{low}, {high}]")
            if key in set(flat_keys()) and Sweep.range_kind(key) is None:
                problems.append(f"sweep.ranges.{key!r}: not a numeric key; sweep its values "
                                "in [sweep.grid] instead")
        if self.design == "grid" and self.ranges:
            problems.append('sweep.ranges needs sweep.design "latin", "sobol" or "morris" '
                            '(design is "grid")')
        if self.design != "grid" and not self.ranges:
            problems.append(f'sweep.design "{self.design}" needs a [sweep.ranges] table of '
                            'dotted key → [low, high]')
        if self.design == "sobol" and self.samples & (self.samples - 1):
            lower = 1 << (self.samples.bit_length() - 1)
            problems.append(f"sweep.samples must be a power of 2 for design \"sobol\" (Sobol' "
                            f"sequences balance only then), got {self.samples}; try {lower} or "
                            f"{2 * lower}")
        if self.design == "morris" and self.samples < 2:
            problems.append('sweep.samples must be at least 2 for design "morris" (trajectories)')
        return problems


SECTIONS: dict[str, type[Section]] = {
    "scenario": ScenarioMeta,
    "population": Population,
    "network": Network,
    "content": Content,
    "ai": AI,
    "decoding": Decoding,
    "curation": Curation,
    "prompts": Prompts,
    "gpt_words": GptWords,
    "opinion": Opinion,
    "interventions": Interventions,
    "sweep": Sweep,
}


class Scenario(Section):
    """A whole scenario: one attribute per TOML section."""

    scenario: ScenarioMeta = ScenarioMeta()
    population: Population = Population()
    network: Network = Network()
    content: Content = Content()
    ai: AI = AI()
    decoding: Decoding = Decoding()
    curation: Curation = Curation()
    prompts: Prompts = Prompts()
    gpt_words: GptWords = GptWords()
    opinion: Opinion = Opinion()
    interventions: Interventions = Interventions()
    sweep: Sweep = Sweep()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        problems = []
        weights = self.content.type_weights
        if isinstance(weights, list):
            if len(weights) != self.content.types:
                problems.append(
                    f"content.type_weights has {len(weights)} weights but content.types is "
                    f"{self.content.types}: give one weight per type"
                )
            elif sum(weights) <= 0:
                problems.append("content.type_weights must have a positive sum")
        if self.network.kind == "edgelist" and self.population.humans > 0 and not self.network.path:
            problems.append('network.path is required when network.kind is "edgelist"')
        if self.population.humans == 0 and self.ai.outputs_per_generation == 0:
            problems.append(
                "population.humans and ai.outputs_per_generation are both 0: nothing is ever "
                "uploaded; give people or content-farm output"
            )
        docs = self.ai.training_docs
        reserved = round(self.interventions.human_data_reserve * docs) if docs != "all" else 0
        if docs != "all" and reserved + self.interventions.fresh_human_docs > docs:
            problems.append(
                f"interventions.fresh_human_docs = {self.interventions.fresh_human_docs} does not "
                f"fit in a training set of ai.training_docs = {docs} beside the "
                f"{reserved} reserved originals: give at most {docs - reserved}"
            )
        problems.extend(self.sweep.check())
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- views -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the fully resolved scenario as nested plain data."""
        return self.model_dump(mode="json")

    def to_toml(self) -> str:
        """Return the fully resolved scenario as TOML text."""
        return tomli_w.dumps(self.to_dict())

    def get(self, dotted: str) -> Any:
        """Return the value of a dotted key such as ``"ai.data_regime"``."""
        section, key = dotted.split(".", 1)
        return getattr(getattr(self, section), key)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """Return a copy with dotted keys replaced, validated again."""
        return load_scenario(self.to_dict(), overrides=overrides)


def flat_keys() -> list[str]:
    """Return every settable dotted key (``section.key``) of the schema."""
    return [
        f"{name}.{field}"
        for name, section in SECTIONS.items()
        for field in section.model_fields
    ]


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` from the command line; VALUE is read as TOML, else as a string."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE, e.g. ai.data_regime=replace")
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of raw scenario data with dotted keys set; unknown keys are errors."""
    known = set(flat_keys())
    out = {section: dict(values) if isinstance(values, Mapping) else values
           for section, values in data.items()}
    errors = []
    for dotted, value in overrides.items():
        if dotted not in known:
            section = dotted.split(".", 1)[0]
            if section in SECTIONS:
                allowed = ", ".join(SECTIONS[section].model_fields)
                errors.append(f"{dotted}: unknown key; keys of [{section}] are: {allowed}")
            else:
                errors.append(
                    f"{dotted}: unknown key; sections are: {', '.join(SECTIONS)}"
                    " (write section.key, e.g. ai.data_regime)"
                )
            continue
        section, key = dotted.split(".", 1)
        current = out.get(section, {})
        if not isinstance(current, Mapping):
            current = {}
        out[section] = {**current, key: value}
    if errors:
        raise ScenarioError(errors)
    return out


def _merge_by_key(messages: list[tuple[str, str]]) -> list[str]:
    """Join the messages of one key (a union type reports once per member)."""
    merged: dict[str, list[str]] = {}
    for key, text in messages:
        merged.setdefault(key, [])
        if text not in merged[key]:
            merged[key].append(text)
    return [texts[0] if len(texts) == 1 else f"{key}: " + "; or ".join(
        t.removeprefix(f"{key}: ") for t in texts) for key, texts in merged.items()]


def _format_error(err: dict[str, Any]) -> tuple[str, str]:
    loc = [str(part) for part in err["loc"]]
    # Union members add their type name to the location; drop those for a readable key.
    loc = [part for part in loc if not part.startswith(("int", "float", "str", "list", "literal",
                                                        "function-", "tuple", "dict"))]
    key = ".".join(loc) if loc else "scenario"
    kind = err["type"]
    if kind == "extra_forbidden":
        if len(loc) == 1:
            return key, f"[{loc[0]}]: unknown section; sections are: {', '.join(SECTIONS)}"
        section = SECTIONS.get(loc[0])
        allowed = ", ".join(section.model_fields) if section else ""
        return key, f"{key}: unknown key; keys of [{loc[0]}] are: {allowed}"
    message = err["msg"].removeprefix("Value error, ")
    if kind in ("model_type", "dict_type"):
        return key, f"{key}: expected a table of keys, got {err.get('input')!r}"
    value = err.get("input")
    shown = "" if isinstance(value, dict) or kind == "missing" else f" (got {value!r})"
    return key, (f"{key}: {message}{shown}" if key != "scenario" else message)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, not a scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None


def _resolve_paths(data: dict[str, Any], folder: Path) -> None:
    """Make a file's relative paths (``network.path``) relative to the file's folder."""
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("path"), str) and network["path"]:
        path = Path(network["path"])
        if not path.is_absolute():
            network["path"] = str(folder / path)


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    source : path, mapping or Scenario
        A TOML file, or the same content as nested dicts. A relative ``network.path`` in a file
        is relative to the file's folder.
    overrides : mapping, optional
        Dotted keys to replace, e.g. ``{"ai.data_regime": "replace"}``.

    Returns
    -------
    Scenario
        The validated, frozen scenario with every default filled in.

    Raises
    ------
    ScenarioError
        With one message per problem, each naming the dotted key.
    """
    if isinstance(source, Scenario):
        data: dict[str, Any] = source.to_dict()
    elif isinstance(source, Mapping):
        data = dict(source)
    else:
        data = _read_toml(Path(source))
        _resolve_paths(data, Path(source).parent)
    if overrides:
        data = apply_overrides(data, overrides)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_merge_by_key([_format_error(e) for e in exc.errors()])) from None


def describe(scenario: Scenario) -> str:
    """Return the resolved scenario as TOML, for ``ecosystem check``."""
    return scenario.to_toml()
