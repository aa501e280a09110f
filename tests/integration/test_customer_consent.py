"""Consent by hand and against the clock: a person records an opt-in or opt-out with a reason
(logged with their account), "newer wins" still holds against later store events, and a
decision stamped in the future (a store's clock ahead of ours) counts as made when received,
so the customer's own STOP never loses to it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from recete_app.backend.commerce.customers import record_consent
from recete_app.backend.commerce.events import ConsentInfo
from recete_app.backend.db import session_scope
from recete_app.backend.models import Customer
from tests.integration.journey_fixtures import deliver, new_merchant
from tests.support import owner_sql


def _customer(merchant_id: uuid.UUID) -> uuid.UUID:
    deliver(merchant_id, datetime.now(UTC) - timedelta(days=1), consent=None)
    return uuid.UUID(str(owner_sql("SELECT id FROM customers")[0][0]))


def _record(merchant_id: uuid.UUID, customer_id: uuid.UUID, state: str, at: datetime) -> bool:
    with session_scope(merchant_id) as session:
        customer = session.get_one(Customer, customer_id)
        return record_consent(session, customer, ConsentInfo(state, "whatsapp", "store", at))


def test_a_consent_stamped_in_the_future_does_not_outrank_a_later_stop() -> None:
    merchant = new_merchant()
    customer = _customer(merchant)
    now = datetime.now(UTC)

    assert _record(merchant, customer, "opted_in", now + timedelta(days=2))  # clock skew
    assert _record(merchant, customer, "opted_out", now + timedelta(seconds=1))  # STOP

    state, updated = owner_sql("SELECT consent_state, consent_updated_at FROM customers")[0]
    assert state == "opted_out"
    assert updated <= datetime.now(UTC) + timedelta(seconds=2)  # type: ignore[operator]
    logged = owner_sql("SELECT recorded_at FROM consent_events ORDER BY recorded_at")
    assert all(at <= datetime.now(UTC) + timedelta(seconds=2) for (at,) in logged)  # type: ignore[operator]


@pytest.mark.parametrize("days_ago", [1, 30])
def test_an_older_store_event_still_loses_to_what_is_known(days_ago: int) -> None:
    merchant = new_merchant()
    customer = _customer(merchant)
    assert _record(merchant, customer, "opted_out", datetime.now(UTC))
    stale = datetime.now(UTC) - timedelta(days=days_ago)
    assert not _record(merchant, customer, "opted_in", stale)
    assert owner_sql("SELECT consent_state FROM customers") == [("opted_out",)]


def _decide(
    merchant_id: uuid.UUID, customer_id: uuid.UUID, state: str, source: str, at: datetime | None
) -> bool:
    with session_scope(merchant_id) as session:
        customer = session.get_one(Customer, customer_id)
        return record_consent(session, customer, ConsentInfo(state, "whatsapp", source, at))


def _state() -> object:
    return owner_sql("SELECT consent_state FROM customers")[0][0]


def test_a_store_resending_an_unstamped_opt_in_never_undoes_the_customers_stop() -> None:
    # Shopify repeats the customer's consent in every order update; stamped ahead of our clock
    # (or not at all) it counts as "now" each time, which must not outrank the customer's STOP.
    merchant = new_merchant()
    customer = _customer(merchant)
    now = datetime.now(UTC)
    assert _decide(merchant, customer, "opted_in", "shopify:sms", now + timedelta(days=2))
    assert _decide(merchant, customer, "opted_out", "whatsapp:keyword", now + timedelta(seconds=1))
    for stamp in (now + timedelta(days=2), None):
        assert not _decide(merchant, customer, "opted_in", "shopify:sms", stamp)
    assert _state() == "opted_out"


def test_a_stop_sent_before_an_unstamped_store_update_was_processed_still_counts() -> None:
    merchant = new_merchant()
    customer = _customer(merchant)
    stop_sent = datetime.now(UTC) - timedelta(seconds=30)  # Meta's stamp of the STOP message
    assert _decide(merchant, customer, "opted_in", "shopify:sms", None)  # processed first
    assert _decide(merchant, customer, "opted_out", "whatsapp:keyword", stop_sent)
    assert _state() == "opted_out"


def test_a_person_recording_the_state_it_already_has_still_logs_and_dates_it() -> None:
    merchant = new_merchant()
    customer = _customer(merchant)
    start = datetime.now(UTC) - timedelta(days=10)
    assert _record(merchant, customer, "opted_out", start)
    assert not _decide(merchant, customer, "opted_out", "merchant:account:1", None)
    # A store event dated between the old decision and the person's does not flip it.
    between = datetime.now(UTC) - timedelta(days=1)
    assert not _decide(merchant, customer, "opted_in", "shopify:sms", between)
    assert _state() == "opted_out"
    sources = owner_sql("SELECT source FROM consent_events ORDER BY recorded_at")
    assert [s for (s,) in sources] == ["store", "merchant:account:1"]
