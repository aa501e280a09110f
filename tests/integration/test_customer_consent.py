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
