"""Analytics, pure parts: the rate card (the shipped default is dated and sourced; a message's
estimated price is its category's rate for the recipient's calling code, the card's `other` rate
for a market it does not list, nothing for a category WhatsApp does not charge), calling codes,
and an escalation's key."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from recete_app.backend.analytics.agent_facts import escalation_id
from recete_app.backend.analytics.pricing import default_card, parse_card
from recete_app.backend.analytics.rollup import utc_spans
from recete_app.backend.phones import calling_code

CARD = parse_card(
    {
        "effective": "2025-07-01",
        "rates": {"90": {"marketing": "0.0109", "utility": "0.0053", "authentication": None}},
        "other": {"marketing": "0.0604", "utility": "0.0077"},
    }
)


def test_a_listed_market_is_priced_by_its_own_rate() -> None:
    assert CARD.price("marketing", "90") == Decimal("0.0109")
    assert CARD.price("UTILITY", "90") == Decimal("0.0053")


def test_an_unlisted_market_or_category_falls_back_to_the_cards_other_rate() -> None:
    assert CARD.price("marketing", "1") == Decimal("0.0604")
    assert CARD.price("utility", None) == Decimal("0.0077")


def test_a_category_with_no_rate_costs_nothing() -> None:
    assert CARD.price("service", "90") == Decimal(0)
    assert CARD.price(None, "90") == Decimal(0)


def test_the_default_card_is_dated_sourced_and_covers_turkey() -> None:
    card = default_card()
    assert card.effective == "2025-07-01" and card.currency == "USD"
    assert card.sources and all(s.startswith("https://") for s in card.sources)
    assert card.price("marketing", "90") > card.price("utility", "90") > 0
    assert card.price("marketing", "999") > 0  # the `other` rate


def test_a_card_without_rates_is_refused() -> None:
    with pytest.raises(ValueError, match="rates"):
        parse_card({"other": {}})


@pytest.mark.parametrize(
    ("wa_id", "code"),
    [
        ("905321234567", "90"),
        ("447911123456", "44"),
        ("15551234567", "1"),
        ("", None),
        ("abc", None),
        ("+49 151 23456789", "49"),
    ],
)
def test_a_whatsapp_id_gives_its_country_calling_code(wa_id: str, code: str | None) -> None:
    assert calling_code(wa_id) == code


def test_an_escalation_keeps_its_key_whatever_timezone_it_is_read_back_in() -> None:
    conversation = uuid.UUID("6b1f8a52-9d63-4c1e-8f0a-2b7c5d4e3f21")
    moment = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)
    istanbul = moment.astimezone(ZoneInfo("Europe/Istanbul"))
    assert escalation_id(conversation, moment) == escalation_id(conversation, istanbul)
    assert escalation_id(conversation, moment) != escalation_id(
        conversation, moment.replace(microsecond=0)
    )


def test_the_rebuilds_utc_spans_are_disjoint_and_skip_the_weeks_between() -> None:
    days = [date(2026, 12, 8), date(2026, 12, 7), date(2026, 11, 10), date(2026, 12, 8)]
    assert utc_spans(days) == [
        (datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 12, tzinfo=UTC)),
        (datetime(2026, 12, 6, tzinfo=UTC), datetime(2026, 12, 10, tzinfo=UTC)),
    ]
