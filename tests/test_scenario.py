import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecosystem
from ecosystem.scenario import ScenarioError, flat_keys, load_scenario, parse_override


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"ai": {"foo": 1}}, "ai.foo: unknown key"),
        ({"bogus": {}}, "[bogus]: unknown section"),
        ({"ai": {"data_regime": "x"}}, "'replace', 'accumulate', 'accumulate-subsample' or"),
        ({"content": {"types": 0}}, "content.types"),
        ({"decoding": {"temperature": "hot"}}, "decoding.temperature"),
        ({"scenario": {"steps": 2.5}}, "scenario.steps"),
        ({"content": {"types": 3, "type_weights": [1, 2]}}, "content.type_weights has 2 weights"),
        ({"ai": {"training_docs": "some"}}, "ai.training_docs"),
        ({"sweep": {"grid": {"ai.nope": [1]}}}, "'ai.nope' is not a scenario key"),
        ({"population": {"ai_users": 1.5}}, "population.ai_users"),
        ({"gpt_words": {"words": ["delve", "xyzzyq"]}}, "['xyzzyq'] have no English frequency"),
        ({"gpt_words": {"words": ["delve", "tapestry"]}},
         "ai_preference: no published ratio for ['tapestry']"),
        ({"gpt_words": {"ai_preference": {"foo": 2.0}}}, "ai_preference.foo: 'foo' is not in"),
        ({"gpt_words": {"ai_preference": {"delve": 0.0}}}, "ai_preference.delve must be > 0"),
        ({"gpt_words": {"words": ["delve", "delve"]}}, "['delve'] appear more than once"),
        ({"gpt_words": {"human_rate": "books"}}, "gpt_words.human_rate"),
        ({"measurement": {"classifier_false_negative": 2.0}},
         "measurement.classifier_false_negative"),
        ({"measurement": {"nope": 1}}, "measurement.nope: unknown key"),
    ],
)
def test_bad_input_names_the_key(data, needle):
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    assert needle in str(info.value)


def test_overrides_are_checked_and_applied():
    sc = load_scenario({}, overrides={"ai.data_regime": "replace", "content.types": 4})
    assert sc.ai.data_regime == "replace" and sc.content.types == 4
    with pytest.raises(ScenarioError, match=r"ai\.nope: unknown key"):
        load_scenario({}, overrides={"ai.nope": 1})
    assert parse_override("ai.window=3") == ("ai.window", 3)
    assert parse_override("ai.data_regime=replace") == ("ai.data_regime", "replace")
    assert parse_override('content.type_weights=[1, 2]') == ("content.type_weights", [1, 2])


def test_one_words_ratio_can_be_overridden_by_its_dotted_key():
    sc = load_scenario({"gpt_words": {"ai_preference": {"realm": 3.0}}},
                       overrides={"gpt_words.ai_preference.delve": 25.0})
    assert sc.gpt_words.ai_preference == {"realm": 3.0, "delve": 25.0}
    assert parse_override("gpt_words.ai_preference.delve=25.0") == (
        "gpt_words.ai_preference.delve", 25.0)
    with pytest.raises(ScenarioError, match=r"ai_preference\.nope: 'nope' is not in"):
        load_scenario({}, overrides={"gpt_words.ai_preference.nope": 2.0})


def test_resolved_toml_round_trips():
    sc = load_scenario({"content": {"type_weights": [3.0] * 20}, "ai": {"capacity": 7}})
    import tomllib

    assert load_scenario(tomllib.loads(sc.to_toml())) == sc
    assert "ai.data_regime" in flat_keys()


values = st.one_of(st.integers(-5, 10**7), st.floats(allow_nan=True), st.text(max_size=8),
                   st.booleans(), st.lists(st.integers(-3, 3), max_size=4))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from([*flat_keys(), "ai.nope", "x.y"]), values, max_size=4))
def test_malformed_scenarios_raise_scenario_error_or_load(overrides):
    nested: dict = {}
    for dotted, value in overrides.items():
        section, key = dotted.split(".", 1)
        nested.setdefault(section, {})[key] = value
    try:
        sc = load_scenario(nested)
    except ScenarioError as exc:
        assert exc.messages and all(isinstance(m, str) and m for m in exc.messages)
    else:
        assert isinstance(sc, ecosystem.Scenario)
