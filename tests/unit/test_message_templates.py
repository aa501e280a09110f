"""WhatsApp templates: what Meta accepts, how a journey step fills one, the usage tip."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recete_app.backend.messaging.templates import (
    CATEGORIES,
    VARIABLES,
    MissingTemplateValue,
    RenderedTemplate,
    TemplateSpec,
    clean_parameter,
    product_tip,
    render,
    template_problems,
)

CHECK_IN = TemplateSpec(
    name="recete_checkin_day3",
    language_code="en_US",
    category="utility",
    body="Hi {{1}}, how is {{2}} going? Tip: {{3}} Reply here. The {{4}} team",
    variables=("first_name", "product_name", "tip", "store_name"),
)
VALUES = {
    "first_name": "Ayşe",
    "product_name": "Rosemary Hair Oil",
    "tip": "Massage 5 drops into the scalp.",
    "store_name": "Glow Lab",
}


def spec(**changes: Any) -> TemplateSpec:
    fields = CHECK_IN.to_dict() | changes
    return TemplateSpec.from_dict(fields)


def test_the_vocabulary_is_fixed() -> None:
    assert VARIABLES == ("first_name", "product_name", "tip", "store_name", "link")
    assert CATEGORIES == ("utility", "marketing")


# --- validation ------------------------------------------------------------------------------


def test_a_good_template_has_no_problems() -> None:
    assert template_problems(CHECK_IN) == []
    assert template_problems(spec(language_code="tr", category="marketing")) == []


@pytest.mark.parametrize(
    ("changes", "mentions"),
    [
        ({"name": "Recete Check-in"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "a" * 513}, "name"),
        ({"language_code": "english"}, "language"),
        ({"language_code": "en-US"}, "language"),
        ({"language_code": "EN"}, "language"),
        ({"category": "authentication"}, "category"),
        ({"body": "   "}, "empty"),
        ({"body": "Hi {{1}} " + "x" * 1024 + " {{2}} {{3}} {{4}} team"}, "1024"),
        ({"variables": ["first_name", "product_name", "tip", "coupon"]}, "coupon"),
        ({"variables": ["first_name", "product_name", "tip"]}, "without a variable"),
        (
            {"variables": ["first_name", "product_name", "tip", "store_name", "link"]},
            "without a placeholder",
        ),
        ({"body": "Hi {{1}}, {{2}} and {{3}} then {{5}} - {{4}}."}, "{{5}}"),
        ({"body": "Hi {{name}}, {{1}} {{2}} {{3}} {{4}}."}, "numbers"),
        ({"body": "Hi {{ 1 }}, {{1}} {{2}} {{3}} {{4}}."}, "numbers"),
        ({"body": "{{1}}, how is {{2}}? {{3}} - {{4}}."}, "start or end"),
        ({"body": "Hi {{1}}, how is {{2}}? {{3}} - {{4}}"}, "start or end"),
        ({"body": "Hi {{1}}, how is {{2}}? {{3}} - {{4}}  \n"}, "start or end"),
    ],
)
def test_each_rule_meta_enforces_is_reported(changes: dict[str, Any], mentions: str) -> None:
    problems = template_problems(spec(**changes))
    assert problems, changes
    assert any(mentions in p for p in problems), problems


def test_a_placeholder_may_repeat() -> None:
    assert template_problems(spec(body="Hi {{1}} {{1}}, {{2}} {{3}} {{4}}.")) == []


# --- JSON round trip -------------------------------------------------------------------------


def test_a_spec_round_trips_through_json_friendly_dicts() -> None:
    data = CHECK_IN.to_dict()
    assert data["variables"] == ["first_name", "product_name", "tip", "store_name"]
    assert TemplateSpec.from_dict(data) == CHECK_IN


def test_missing_keys_take_defaults() -> None:
    loaded = TemplateSpec.from_dict({"name": "x", "body": "Hello there"})
    assert loaded == TemplateSpec("x", "en", "utility", "Hello there", ())


@pytest.mark.parametrize(
    "data",
    [
        {"name": 3},
        {"body": None},
        {"variables": "first_name"},
        {"variables": ["first_name", 2]},
        {"category": ["utility"]},
    ],
)
def test_wrong_types_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TemplateSpec.from_dict(data)


def test_a_list_of_variables_becomes_a_tuple() -> None:
    made = TemplateSpec("x", "en", "utility", "a {{1}} b", ["tip"])  # type: ignore[arg-type]
    assert made.variables == ("tip",)
    hash(made)


# --- rendering -------------------------------------------------------------------------------


def test_render_fills_placeholders_in_order() -> None:
    rendered = render(CHECK_IN, VALUES)
    assert rendered == RenderedTemplate(
        text=(
            "Hi Ayşe, how is Rosemary Hair Oil going? Tip: Massage 5 drops into the scalp. "
            "Reply here. The Glow Lab team"
        ),
        parameters=("Ayşe", "Rosemary Hair Oil", "Massage 5 drops into the scalp.", "Glow Lab"),
    )


def test_parameters_follow_the_variable_mapping_not_the_body_order() -> None:
    swapped = spec(
        body="From {{2}}: hello {{1}}, here is {{3}} about {{4}}.",
        variables=["first_name", "store_name", "tip", "product_name"],
    )
    rendered = render(swapped, VALUES)
    assert rendered.parameters == ("Ayşe", "Glow Lab", VALUES["tip"], "Rosemary Hair Oil")
    assert rendered.text.startswith("From Glow Lab: hello Ayşe, here is Massage")


def test_a_missing_value_is_an_error_naming_the_variable() -> None:
    values = {k: v for k, v in VALUES.items() if k != "tip"}
    with pytest.raises(MissingTemplateValue) as caught:
        render(CHECK_IN, values)
    assert caught.value.variable == "tip"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(MissingTemplateValue):
        render(CHECK_IN, VALUES | {"product_name": "  \n "})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hi {{1}}, your {{2}} is here.", "Hi, your Rosemary Hair Oil is here."),
        ("Merhaba {{1}}! {{2}} nasıl gidiyor?", "Merhaba! Rosemary Hair Oil nasıl gidiyor?"),
        ("Dear {{1}} and friends, {{2}}.", "Dear and friends, Rosemary Hair Oil."),
        ("Hello {{1}}\nYour {{2}} ships today.", "Hello\nYour Rosemary Hair Oil ships today."),
    ],
)
def test_a_missing_first_name_drops_out_cleanly(body: str, expected: str) -> None:
    greeting = spec(body=body, variables=["first_name", "product_name"])
    rendered = render(greeting, {"product_name": "Rosemary Hair Oil"})
    assert rendered.text == expected
    assert rendered.parameters == ("", "Rosemary Hair Oil")


def test_parameters_are_cleaned_the_way_meta_requires() -> None:
    messy = VALUES | {"tip": "  Apply\n\ttwice     a day.\r\n  "}
    rendered = render(CHECK_IN, messy)
    assert rendered.parameters[2] == "Apply twice a day."
    assert "Tip: Apply twice a day. Reply here." in rendered.text


def test_a_long_parameter_is_cut_on_a_word_boundary() -> None:
    long_tip = " ".join(["massage"] * 300)
    cleaned = clean_parameter(long_tip)
    assert len(cleaned) <= 1024
    assert cleaned.endswith("massage…")


def test_a_placeholder_beyond_the_variables_cannot_be_rendered() -> None:
    with pytest.raises(ValueError):
        render(spec(body="Hi {{1}} {{9}}.", variables=["first_name"]), VALUES)


@given(st.text(max_size=2000))
def test_a_cleaned_parameter_has_no_newlines_tabs_or_long_space_runs(value: str) -> None:
    cleaned = clean_parameter(value)
    assert len(cleaned) <= 1024
    assert "\n" not in cleaned
    assert "\t" not in cleaned
    assert "     " not in cleaned
    assert cleaned == cleaned.strip()


# --- the usage tip ---------------------------------------------------------------------------


def test_the_tip_is_the_first_sentence_or_two() -> None:
    usage = "Massage 5 drops into the scalp.   Leave for 30 minutes.  Rinse with shampoo. Repeat."
    assert product_tip(usage) == "Massage 5 drops into the scalp. Leave for 30 minutes."
    assert product_tip(usage, limit=40) == "Massage 5 drops into the scalp."


def test_a_long_first_sentence_is_cut_on_a_word_boundary() -> None:
    usage = "Apply a pea-sized amount " + "gently " * 80 + "to clean skin."
    tip = product_tip(usage, limit=100)
    assert len(tip) <= 100
    assert tip.endswith("gently…")


def test_bullets_and_headings_become_sentences() -> None:
    usage = "How to use:\n• Apply to damp hair\n• Rinse after 2 minutes\n• Repeat daily"
    assert product_tip(usage) == "Apply to damp hair. Rinse after 2 minutes."


def test_abbreviations_do_not_end_a_sentence() -> None:
    usage = "Use approx. 2 ml, e.g. one pump. Then rinse."
    assert product_tip(usage, limit=32) == "Use approx. 2 ml, e.g. one pump."


def test_turkish_usage_text() -> None:
    usage = (
        "Günde iki kez, temiz cilde uygulayın. İnce bir tabaka yeterlidir. "
        "Gözle temasından kaçının."
    )
    assert product_tip(usage) == "Günde iki kez, temiz cilde uygulayın. İnce bir tabaka yeterlidir."


def test_an_empty_usage_section_gives_no_tip() -> None:
    assert product_tip("") == ""
    assert product_tip("  \n\n ") == ""


@given(st.text(max_size=1500), st.integers(min_value=0, max_value=400))
def test_the_tip_never_exceeds_the_limit(usage: str, limit: int) -> None:
    tip = product_tip(usage, limit)
    assert len(tip) <= limit
    assert "\n" not in tip
