"""Mutation tests: break one mechanism at a time, and the tests named for it must fail.

A mutation edits the source of one function: each fragment it names must occur exactly once (so
this suite fails loudly when the code moves on, rather than testing an unbroken function), the
edited function is compiled in its own module, and its code object replaces the function's own
for the test (``monkeypatch`` restores it). Every caller, including modules that imported the
function by name, then runs the mutant, as if the file had been edited. A function the
vectorised people step shares with its per-agent reference (``adopting_share``, the decoder)
breaks both, so those mutations are caught by tests against a formula, not by the twin.

The targets are plain test functions, run in-process under the mutation; each must fail with an
``AssertionError``.
"""

from __future__ import annotations
import __future__

import ast
import functools
import importlib
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import ecosystem.model
from ecosystem.agents import people
from ecosystem.core import metrics
from ecosystem.core.decode import DecodingParams
from tests import test_chain_theory
from tests.agents import test_people
from tests.core import test_curate, test_decode, test_metrics, test_scrape

# the package re-exports functions named like their modules (decode, scrape): import the modules
curate = importlib.import_module("ecosystem.core.curate")
decode = importlib.import_module("ecosystem.core.decode")
scrape = importlib.import_module("ecosystem.core.scrape")

pytestmark = pytest.mark.timeout(300)


@dataclass(frozen=True)
class Mutation:
    """One broken mechanism: fragments of a function's source replaced, and who catches it."""

    name: str
    function: Callable
    edits: tuple[tuple[str, str], ...]
    targets: tuple[Callable, ...]


def mutant_code(function: Callable, edits: tuple[tuple[str, str], ...]):
    """The code object of ``function`` with its source edited (line numbers kept)."""
    lines, first = inspect.getsourcelines(function)
    source = textwrap.dedent("".join(lines))
    for old, new in edits:
        found = source.count(old)
        assert found == 1, f"{function.__qualname__}: {old!r} occurs {found} times, not once"
        source = source.replace(old, new)
    tree = ast.parse(source)
    ast.increment_lineno(tree, first - 1)
    code = compile(tree, inspect.getsourcefile(function), "exec",
                   flags=__future__.annotations.compiler_flag, dont_inherit=True)
    namespace: dict = {}
    exec(code, function.__globals__, namespace)  # defines the mutant; the module is untouched
    return namespace[function.__name__].__code__


TEMPERATURE_HALF = DecodingParams("sample", temperature=0.5)

MUTATIONS = [
    # -- the people step ---------------------------------------------------------------------
    Mutation("adoption ramp ignored (everyone adopts at once)", people.adopting_share,
             (("if adoption_steps == 0:", "if True:"),),
             (test_people.test_adoption_ramp,)),
    Mutation("AI use never updated", people.update_adoption,
             (("people.ai_user = people.adoption_rank < share",
               "people.ai_user = people.ai_user"),),
             (test_people.test_adoption_ramp,)),
    Mutation("innovation ignored", people.write_posts,
             (("< population.innovation)", "< 0.0)"),),
             (test_people.test_innovation,)),
    Mutation("custom prompts not passed by the people step", people.write_posts,
             (("custom = people.custom_prompt[assisted]",
               "custom = np.zeros(assisted.size, dtype=bool)"),),
             (test_people.test_custom_prompts_draw_the_authors_own_style,)),
    Mutation("co-writing: posts carry only the AI's text", people.write_posts,
             (("share = population.cowrite_share", "share = 1.0"),),
             (test_people.test_cowriting,)),
    Mutation("co-writers' stance absorption removed", people.write_posts,
             (("    if assisted.size:\n", "    if False:\n"),),
             (test_people.test_cowriting,)),
    Mutation("co-writers keep their own style", people.write_posts,
             (("if population.cowrite_style > 0:", "if False:"),),
             (test_people.test_cowriters_take_on_the_style_of_what_they_cowrote,)),
    Mutation("contagion no-op (rates never updated)", people.listen,
             (("people.gpt_rate = new_rate", "people.gpt_rate = people.gpt_rate"),),
             (test_people.test_contagion_through_speech_is_the_reference_exactly,)),
    Mutation("posts not heard", people.listen,
             (("post_count = np.bincount(posts.author, minlength=n)",
               "post_count = np.zeros(n, dtype=np.int64)"),
              ("post_rate_sum = np.bincount(posts.author, weights=posts.gpt_rate, minlength=n)",
               "post_rate_sum = np.zeros(n)")),
             (test_people.test_contagion_through_posts,)),
    Mutation("bounded confidence no-op", people.listen,
             (("opinion.confidence, opinion.influence)", "opinion.confidence, 0.0)"),),
             (test_people.test_opinions_without_ai_are_the_reference_exactly,)),
    Mutation("stubbornness removed", people.listen,
             (("people.anchor, opinion.stubbornness)", "people.anchor, 0.0)"),),
             (test_people.test_opinions_without_ai_are_the_reference_exactly,)),
    Mutation("reading AI output does not move stance", people.listen,
             (("opinion.absorb * words_cfg.ai_exposure)", "0.0)"),),
             (test_people.test_reading_ai_pulls_users_to_its_stance,)),
    Mutation("adopt_style no-op", people.adopt_style,
             (("if chooses.size == 0:", "if True:"),),
             (test_people.test_style_adoption,)),
    Mutation("style adoption from neighbours' posts removed", people.adopt_style,
             (("posted = people.last_post_type[neighbour] >= 0",
               "posted = np.zeros(neighbour.size, dtype=bool)"),),
             (test_people.test_style_adoption,)),
    # -- the generation core -----------------------------------------------------------------
    Mutation("best-of-N keeps the worst draft (argmin)", curate.best_of_n,
             (("argmax(axis=1)", "argmin(axis=1)"),),
             (test_curate.test_best_of_n_keeps_each_groups_best_draft,
              test_curate.test_best_of_n_posts_have_the_highest_scores_and_favour_typical_styles)),
    Mutation("curation without the typicality bonus", curate.typicality,
             (("return state.probs[types] / state.probs.max()",
               "return np.zeros(types.shape[0])"),),
             (test_curate.test_best_of_n_posts_have_the_highest_scores_and_favour_typical_styles,)),
    Mutation("temperature ignored in type choice", decode.decoded_distribution,
             (("(logp - logp.max()) / params.temperature", "(logp - logp.max())"),),
             (functools.partial(test_decode.test_decoded_distribution, TEMPERATURE_HALF,
                                np.array([0.25, 0.0625, 0, 0.0225, 0.01]) / 0.345),
              functools.partial(test_decode.test_decode_agrees_with_reference_in_distribution,
                                DecodingParams("sample", temperature=1.5)))),
    Mutation("temperature ignored within a prompt", decode.decoded_rows,
             (("np.exp(shifted / params.temperature)", "np.exp(shifted)"),),
             (functools.partial(
                 test_decode.test_prompted_decoding_agrees_with_reference_in_distribution,
                 DecodingParams("sample", temperature=1.5), 0.1),)),
    Mutation("prompts ignored by the decoder", decode._draw_types,
             (("if prompts is None or strength == 0", "if True"),),
             (test_people.test_custom_prompts_draw_the_authors_own_style,
              functools.partial(
                  test_decode.test_prompted_decoding_agrees_with_reference_in_distribution,
                  DecodingParams("top_k", top_k=2), 0.1))),
    Mutation("beam keeps the least likely candidate", decode.decode_with_typicality,
             (("likelihood.reshape(n, beam).argmax(axis=1)",
               "likelihood.reshape(n, beam).argmin(axis=1)"),),
             (functools.partial(test_decode.test_beam_agrees_with_reference_in_distribution,
                                0.0),)),
    Mutation("human data reserve empty", scrape.reserve_size,
             (("wanted = round(params.human_data_reserve * total)", "wanted = 0"),),
             (test_scrape.test_reserve_holds_its_originals_plus_the_regimes_hypergeometric_share,)),
    Mutation("retraining no-op", ecosystem.model.EcosystemModel.retrain,
             (("if len(training) == 0:", "if True:"),),
             (test_chain_theory.test_accumulation_never_loses_a_type,)),
    # -- the measures ------------------------------------------------------------------------
    Mutation("model entropy in bits", metrics.model_metrics,
             (("np.log(nonzero)", "np.log2(nonzero)"),),
             (test_metrics.test_model_metrics_agree_with_reference,
              test_metrics.test_timeseries_rows_are_the_references_of_the_model_state)),
    Mutation("tail mass measured on the head", metrics.model_metrics,
             (("p[: tail.size][tail]", "p[: tail.size][~tail]"),),
             (test_metrics.test_model_metrics_agree_with_reference,)),
    Mutation("style entropy of uploads and people in bits", metrics.style_entropy,
             (("np.log(shares)", "np.log2(shares)"),),
             (functools.partial(test_metrics.test_upload_metrics_agree_with_reference,
                                3000, 0.7),
              functools.partial(test_metrics.test_people_metrics_agree_with_reference,
                                1000, 0.4))),
    Mutation("users' and non-users' rates swapped", metrics.people_metrics,
             (('"gpt_rate_users": _mean_or_none(gpt_rate[users])',
               '"gpt_rate_users": _mean_or_none(gpt_rate[others])'),),
             (functools.partial(test_metrics.test_people_metrics_agree_with_reference,
                                1000, 0.4),)),
]


def _name(target: Callable) -> str:
    if isinstance(target, functools.partial):
        return f"{target.func.__name__}{list(target.args)}"
    return target.__name__


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_mutation_is_caught(mutation, monkeypatch):
    monkeypatch.setattr(mutation.function, "__code__",
                        mutant_code(mutation.function, mutation.edits))
    for target in mutation.targets:
        try:
            target()
        except AssertionError:
            continue
        pytest.fail(f"{mutation.name}: {_name(target)} passed with the mechanism broken")


def test_every_people_step_mechanism_has_a_mutation():
    """Each mechanism function of the people step is broken by at least one mutation."""
    broken = {m.function.__name__ for m in MUTATIONS}
    assert {"adopting_share", "write_posts", "listen", "adopt_style"} <= broken
