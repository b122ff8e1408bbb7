"""The dashboard's settings: what each control sets, how it is labelled, and the two scenarios.

Settings come in two groups. **World** settings (people, network, seed, steps) apply to both
runs, so the two runs live in the same world. **What-if** settings apply to the intervention run
only; they start at the picked scenario's values, so until one is changed the two runs are the
same run (same scenario, same seed, same numbers).

Everything here is plain Python on :class:`ecosystem.Scenario`; nothing imports Solara, so the
rules are tested without a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ecosystem import Scenario, ScenarioError, load_scenario

DASHBOARD_MAX_HUMANS = 1_000_000
"""Most people the dashboard simulates per run (larger populations run fewer replicates)."""

MAX_REPLICATES = 20

Kind = Literal["choice", "share", "float", "int", "optional_int"]


@dataclass(frozen=True)
class Control:
    """One setting of the page.

    Attributes
    ----------
    key : str
        The dotted scenario key it sets, e.g. ``"ai.data_regime"``.
    label : str
        Plain-language label shown beside the widget.
    help : str
        Tooltip: what the setting models, in the article's terms.
    kind : {"choice", "share", "float", "int", "optional_int"}
        ``choice``: one of ``choices``; ``share``: a slider from 0 to 1; ``float``/``int``: a
        typed number (checked by the scenario schema, so out-of-range numbers get its message);
        ``optional_int``: a typed whole number, or empty for ``empty`` (e.g. "unlimited").
    choices : tuple of (value, label)
        For ``choice``: the scenario values and their plain-language names.
    empty : str
        For ``optional_int``: the scenario value an empty field stands for.
    """

    key: str
    label: str
    help: str
    kind: Kind
    choices: tuple[tuple[Any, str], ...] = ()
    empty: str = ""

    def label_of(self, value: Any) -> str:
        """The plain-language name of a ``choice`` value (the value itself if unnamed)."""
        return next((name for v, name in self.choices if v == value), str(value))

    def value_of(self, label: str) -> Any:
        """The scenario value of a ``choice`` label."""
        return next((v for v, name in self.choices if name == label), label)

    def to_text(self, value: Any) -> str:
        """A widget value as a number field shows it (never "None")."""
        if value is None or (self.kind == "optional_int" and value == self.empty):
            return self.empty
        return str(value)

    def parse(self, text: str) -> Any:
        """The widget value of what was typed in a number field.

        Raises
        ------
        ValueError
            With a message naming the control in words and what it takes.
        """
        cleaned = str(text).strip().replace(",", "").replace("_", "")
        if self.kind == "optional_int" and cleaned.lower() in ("", self.empty):
            return None
        what = "a number such as 0.5" if self.kind == "float" else "a whole number"
        if self.kind == "optional_int":
            what += f", or leave it empty for {self.empty}"
        try:
            if self.kind == "float":
                value = float(cleaned)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError
                return value
            number = float(cleaned)
            if not number.is_integer():
                raise ValueError
            return int(number)
        except (ValueError, OverflowError):
            shown = str(text).strip() or "nothing"
            raise ValueError(f"{self.label}: “{shown}” is not a number; type {what}.") from None

    def to_widget(self, value: Any) -> Any:
        """A scenario value as the widget holds it."""
        if self.kind == "optional_int" and value == self.empty:
            return None
        return value

    def to_scenario(self, value: Any) -> Any:
        """A widget value as the scenario key takes it."""
        if self.kind == "optional_int" and value is None:
            return self.empty
        return value


NETWORK_CHOICES = (
    ("barabasi_albert", "Hubs and followers (Barabási–Albert)"),
    ("watts_strogatz", "Small world (Watts–Strogatz)"),
    ("erdos_renyi", "Random contacts (Erdős–Rényi)"),
    ("stochastic_block", "Separate communities (stochastic block)"),
    ("edgelist", "From the scenario's edge-list file"),
)

WORLD: tuple[Control, ...] = (
    Control(
        "population.humans", "People",
        "How many people live on the social network, reading, posting and talking. 0 gives a "
        f"pure retraining chain (only content farms upload). The dashboard runs up to "
        f"{DASHBOARD_MAX_HUMANS:,} (fewer replicates above 200,000); simulate more with "
        "`ecosystem run`.",
        "int",
    ),
    Control(
        "network.kind", "Social network",
        "Who hears whom: a few hubs with many followers, a small world of friends of friends, "
        "random contacts, or separate communities. GPT words and opinions spread along it.",
        "choice", NETWORK_CHOICES,
    ),
    Control(
        "scenario.seed", "Random seed",
        "Both runs use this seed, so any gap between them comes from your changes, not from "
        "chance. Change it to see another equally likely history.",
        "int",
    ),
    Control(
        "scenario.steps", "Months to simulate",
        "How many periods (say months) Play runs for. In each, people post, the web is scraped "
        "and, on schedule, the next AI generation is trained.",
        "int",
    ),
)

WHATIF: tuple[Control, ...] = (
    Control(
        "ai.data_regime", "What the lab trains on",
        "The training loops of the model-collapse papers. Replacing the data each generation "
        "(fully synthetic) collapses diversity; accumulating everything ever uploaded keeps the "
        "original human data in the mix and bounds the damage; a fixed-size sample of "
        "everything sits between; reusing the original human corpus beside the newest "
        "uploads, or adding freshly collected human writing every generation, anchors the "
        "model to real data.",
        "choice",
        (
            ("replace", "Only the newest uploads (replace)"),
            ("accumulate", "Everything ever uploaded (accumulate)"),
            ("accumulate-subsample", "A fixed-size sample of everything (accumulate-subsample)"),
            ("fixed-real", "The original human corpus + the newest uploads"),
            ("fresh-real", "Fresh human writing + the newest uploads"),
            ("window", "Only the last few months (window)"),
        ),
    ),
    Control(
        "interventions.human_data_reserve", "Reserved human data",
        "Share of every training set drawn from the original, purely human corpus: the lab "
        "keeps a store of pre-AI writing and always trains on some of it.",
        "share",
    ),
    Control(
        "interventions.detector_recall", "AI-text detector catches",
        "Share of AI-written text the lab's detector finds and removes before training.",
        "share",
    ),
    Control(
        "decoding.method", "How the AI picks words",
        "Decoding. Sampling writes every style in proportion to its probability; greedy and "
        "beam search always take the most likely one, so minority styles (British "
        "'pavement', Australian 'footpath') vanish; top-k and top-p cut the unlikely tail.",
        "choice",
        (
            ("sample", "Sampling (every style in proportion)"),
            ("greedy", "Greedy (always the most likely)"),
            ("top_k", "Top-k (only the k likeliest styles)"),
            ("top_p", "Top-p (the likeliest styles up to a share)"),
            ("beam", "Beam search (seeks the most likely)"),
        ),
    ),
    Control(
        "decoding.temperature", "Temperature",
        "Below 1 sharpens the AI toward its favourite styles; above 1 flattens it toward "
        "rare ones. Must be greater than 0.",
        "float",
    ),
    Control(
        "curation.best_of_n", "Drafts per post (best-of-N)",
        "Writers have the AI write N drafts and post the best-scoring one. Curation raises "
        "quality, but the safe draft scoring 80 beats the eccentric one scoring 79, so unusual "
        "styles fade. 1 means no curation.",
        "int",
    ),
    Control(
        "curation.typicality_weight", "Bonus for typical styles",
        "Quality points a draft gains for being in a popular style when drafts are compared: "
        "how much curators prefer the familiar. 0 scores quality only.",
        "float",
    ),
    Control(
        "population.ai_users", "People using AI",
        "Share of people who use AI: creators among them write their posts with it, and all "
        "of them read its output (and pick up its words and its neutral tone).",
        "share",
    ),
    Control(
        "prompts.custom_share", "AI users with their own prompts",
        "Share of AI users who prompt the model with their own style. Prompts pull out styles "
        "the model still knows; a style it has forgotten cannot be prompted back.",
        "share",
    ),
    Control(
        "ai.capacity", "Model capacity (style types)",
        "How many style types the model can hold; it keeps the most common and forgets the "
        "tail. Leave empty for unlimited (a very large model).",
        "optional_int", empty="unlimited",
    ),
    Control(
        "population.innovation", "Human creativity",
        "Chance that a hand-written post invents a new style: people expand the frontier the "
        "AI can only recombine. A share from 0 to 1; small values such as 0.01 already matter.",
        "float",
    ),
)

REPLICATES = Control(
    "replicates", "Replicates per side",
    "How many times each side runs, with different luck (seeds) but the same luck on both "
    "sides (paired seeds). Lines are the mean over replicates, bands ± 2 standard errors; the "
    "effects table judges each gap from the paired differences. More replicates: narrower "
    f"bands, slower steps. 1 to {MAX_REPLICATES}; large populations run fewer.",
    "int",
)

CONTROLS: dict[str, Control] = {c.key: c for c in (*WORLD, *WHATIF, REPLICATES)}
"""Every control by its dotted key (``replicates`` is the page's own, not a scenario key)."""


def check_replicates(value: Any) -> int:
    """The replicates per side, or a :class:`ScenarioError` naming the control.

    Raises
    ------
    ScenarioError
        If ``value`` is not a whole number from 1 to :data:`MAX_REPLICATES`.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not (
            1 <= value <= MAX_REPLICATES):
        raise ScenarioError(f"{REPLICATES.label}: must be a whole number from 1 to "
                            f"{MAX_REPLICATES} (got {value})")
    return value


LOOP_KEY = "ai.data_regime"
"""The control that picks the lab's training loop (several scenario keys at once)."""


def _sizes(scenario: Scenario) -> tuple[int, int]:
    """N, the original human corpus, and n, the documents a loop takes from the web."""
    originals = scenario.content.initial_docs
    docs = scenario.ai.training_docs
    return originals, originals if docs == "all" else int(docs)


def loop_of(scenario: Scenario) -> str:
    """The training loop a scenario runs (a value of the "What the lab trains on" control)."""
    regime = scenario.ai.data_regime
    if scenario.interventions.fresh_human_docs > 0:
        return "fresh-real"
    docs = scenario.ai.training_docs
    reserve = scenario.interventions.human_data_reserve
    if (regime == "replace" and docs != "all" and reserve > 0
            and round(reserve * docs) == scenario.content.initial_docs):
        return "fixed-real"
    return regime


def loop_overrides(loop: str, baseline: Scenario, reserve: float) -> dict[str, Any]:
    """The scenario keys of a training loop, sized from the baseline.

    With N the original human documents and n the baseline's training-set size (N when it
    trains on everything):

    * ``replace``: the n newest uploads; ``accumulate``: everything ever uploaded;
      ``accumulate-subsample``: n drawn from everything; ``window``: the last months;
    * ``fixed-real``: all N originals every generation plus n newest uploads (training sets of
      N + n with a reserve of N / (N + n): Seddik et al. Thm 2, Bertrand et al.);
    * ``fresh-real``: n newest uploads of which half are replaced by newly collected human
      documents each generation (Alemohammad et al.'s fresh-data loop), beside any reserve.
    """
    originals, n = _sizes(baseline)
    fresh = 0
    if loop == "accumulate":
        keys = {"ai.data_regime": "accumulate", "ai.training_docs": "all"}
    elif loop == "fixed-real":
        total = originals + n
        keys = {"ai.data_regime": "replace", "ai.training_docs": total,
                "interventions.human_data_reserve": originals / total}
    elif loop == "fresh-real":
        reserved = round(reserve * n)
        fresh = max(1, min(n // 2, n - reserved))
        keys = {"ai.data_regime": "replace", "ai.training_docs": n}
    else:
        keys = {"ai.data_regime": loop, "ai.training_docs": n}
    keys["interventions.fresh_human_docs"] = fresh
    return keys


def values_of(scenario: Scenario, controls: tuple[Control, ...]) -> dict[str, Any]:
    """The scenario's value for each control, as the widgets hold them."""
    return {c.key: loop_of(scenario) if c.key == LOOP_KEY else c.to_widget(scenario.get(c.key))
            for c in controls}


def _explain(error: ScenarioError) -> list[str]:
    """Prefix each schema message with the label of the control it concerns."""
    lines = []
    for message in error.messages:
        key = message.split(":", 1)[0].strip()
        control = CONTROLS.get(key)
        lines.append(f"{control.label} — {message}" if control else message)
    return lines


def build_scenarios(
    base: Scenario, world: Mapping[str, Any], whatif: Mapping[str, Any]
) -> tuple[Scenario, Scenario, dict[str, Any]]:
    """The baseline and intervention scenarios from the page's settings.

    Parameters
    ----------
    base : Scenario
        The picked scenario file (people already capped for the dashboard).
    world : mapping
        World settings (dotted key to widget value): applied to both runs.
    whatif : mapping
        What-if settings: applied to the intervention run only.

    Returns
    -------
    baseline, intervention : Scenario
    changes : dict
        The what-if keys whose value differs from the baseline, with their scenario values.

    Raises
    ------
    ScenarioError
        One message per bad setting, each starting with the control's label and naming the
        scenario key and the allowed values.
    """
    problems = []
    people = world.get("population.humans")
    if isinstance(people, int) and people > DASHBOARD_MAX_HUMANS:
        problems.append(
            f"{CONTROLS['population.humans'].label} — population.humans: the dashboard runs at "
            f"most {DASHBOARD_MAX_HUMANS:,} people (got {people:,}); simulate larger "
            "populations with `ecosystem run`"
        )
    months = world.get("scenario.steps")
    if isinstance(months, int) and months < 1:
        problems.append(
            f"{CONTROLS['scenario.steps'].label} — scenario.steps: the dashboard needs at "
            f"least 1 month to play (got {months}); type a whole number from 1 up"
        )
    if problems:
        raise ScenarioError(problems)
    try:
        baseline = base.with_overrides(
            {key: CONTROLS[key].to_scenario(value) for key, value in world.items()}
        )
    except ScenarioError as exc:
        raise ScenarioError(_explain(exc)) from None
    changes = {}
    for key, value in whatif.items():
        value = CONTROLS[key].to_scenario(value)
        before = loop_of(baseline) if key == LOOP_KEY else baseline.get(key)
        if value != before:
            changes[key] = value
    overrides = {key: value for key, value in changes.items() if key != LOOP_KEY}
    if LOOP_KEY in changes:
        # A loop sets several keys; it wins over the reserve slider where it fixes the reserve.
        reserve = overrides.get("interventions.human_data_reserve",
                                baseline.interventions.human_data_reserve)
        overrides.update(loop_overrides(changes[LOOP_KEY], baseline, reserve))
    try:
        intervention = baseline.with_overrides(overrides)
    except ScenarioError as exc:
        raise ScenarioError(_explain(exc)) from None
    return baseline, intervention, changes


def describe_changes(changes: Mapping[str, Any], baseline: Scenario) -> list[str]:
    """One plain-language line per what-if change, e.g. ``Temperature: 1.0 → 0.5``."""
    lines = []
    for key, value in changes.items():
        control = CONTROLS[key]
        before, after = baseline.get(key), value
        if control.kind == "choice":
            before, after = control.label_of(before), control.label_of(after)
        lines.append(f"{control.label}: {before} → {after}")
    return lines


def whatif_scenario(
    intervention: Scenario, baseline: Scenario, changes: Mapping[str, Any]
) -> Scenario:
    """The intervention scenario renamed and described for saving as a file."""
    name = baseline.scenario.name
    summary = "; ".join(
        f"{key} = {value}" if key != LOOP_KEY
        else f"training loop: {CONTROLS[key].label_of(value)}"
        for key, value in changes.items()) or "no changes"
    return intervention.with_overrides({
        "scenario.name": f"{name}-whatif" if changes else name,
        "scenario.description": f"Dashboard what-if on {name!r}: {summary}",
    })


def open_scenario(path: str | Path) -> tuple[Scenario, list[str]]:
    """Load a scenario file for the dashboard, capping its people.

    Returns
    -------
    scenario : Scenario
    notes : list of str
        Plain-language notes to show on the page (the cap, when applied).

    Raises
    ------
    ScenarioError
        If the file cannot be read or fails validation.
    """
    scenario = load_scenario(path)
    notes = []
    asked = scenario.population.humans
    if asked > DASHBOARD_MAX_HUMANS:
        scenario = scenario.with_overrides({"population.humans": DASHBOARD_MAX_HUMANS})
        notes.append(
            f"{Path(path).name} asks for {asked:,} people; the dashboard runs at most "
            f"{DASHBOARD_MAX_HUMANS:,}. Simulate the full size with `ecosystem run {path}`."
        )
    return scenario, notes


def _is_targets_file(path: Path) -> bool:
    """Whether a TOML file is a calibration targets file (``[[targets]]``), not a scenario."""
    import tomllib

    try:
        return "targets" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def scenario_files(*folders: str | Path, include: str | Path | None = None) -> list[Path]:
    """The scenario files offered by the picker: ``*.toml`` in ``folders``, plus ``include``."""
    found = {p.resolve() for folder in folders if Path(folder).is_dir()
             for p in Path(folder).glob("*.toml") if not _is_targets_file(p)}
    if include is not None:
        found.add(Path(include).resolve())
    return sorted(found, key=lambda p: (p.parent.as_posix(), p.name))
