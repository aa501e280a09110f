"""Planning journeys from delivered orders: one row per step, in the customer's sending window,
one proactive message a day, re-planned when delivery moves, cancelled when the order ends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from recete_app.backend.commerce.events import OrderEvent
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.db import session_scope
from recete_app.backend.journeys.planner import apply_domain_events, plan_order
from recete_app.backend.journeys.settings import (
    StepChange,
    journey_for,
    journey_steps,
    step_templates,
    update_step,
)
from recete_app.backend.models import Customer, ScheduledMessage
from tests.integration.journey_fixtures import deliver, new_merchant
from tests.support import owner_sql

ISTANBUL = timedelta(hours=3)


def rows(merchant_id: uuid.UUID) -> list[ScheduledMessage]:
    with session_scope(merchant_id) as session:
        return list(
            session.exec(select(ScheduledMessage).order_by(col(ScheduledMessage.due_at))).all()
        )


def local(when: datetime) -> datetime:
    return (when + ISTANBUL).replace(tzinfo=None)


def test_a_delivered_order_plans_day_3_and_day_14_in_the_customers_daytime() -> None:
    merchant_id = new_merchant()
    delivered = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)  # 14:00 in Istanbul
    order_id = deliver(merchant_id, delivered)
    planned = rows(merchant_id)
    assert [row.status for row in planned] == ["scheduled", "scheduled"]
    assert [row.due_at for row in planned] == [
        delivered + timedelta(days=3),
        delivered + timedelta(days=14),
    ]
    assert {row.idempotency_key for row in planned} == {
        f"journey:{order_id}:{row.step_id}" for row in planned
    }
    with session_scope(merchant_id) as session:
        customer = session.exec(select(Customer)).one()
    assert customer.timezone == "Europe/Istanbul"


def test_planning_again_changes_nothing() -> None:
    merchant_id = new_merchant()
    delivered = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    order_id = deliver(merchant_id, delivered)
    before = [(row.id, row.due_at) for row in rows(merchant_id)]
    with session_scope(merchant_id) as session:
        plan_order(session, order_id, delivered)
        plan_order(session, order_id, delivered)
    assert [(row.id, row.due_at) for row in rows(merchant_id)] == before


def test_a_delivery_at_night_is_messaged_the_next_morning() -> None:
    merchant_id = new_merchant()
    delivered = datetime(2026, 11, 2, 19, 30, tzinfo=UTC)  # 22:30 in Istanbul
    deliver(merchant_id, delivered)
    first = rows(merchant_id)[0]
    assert local(first.due_at) == datetime(2026, 11, 6, 9, 0)


def test_a_known_delivery_date_replaces_the_estimate_and_moves_the_plan() -> None:
    merchant_id = new_merchant()
    shipped = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with session_scope(merchant_id) as session:
        event = OrderEvent(
            source="api", external_id="1001", fulfilled_at=shipped, is_snapshot=False
        )
        apply_order_event(session, event)
    deliver(merchant_id, datetime(2026, 11, 7, 9, 0, tzinfo=UTC), now=shipped)
    planned = rows(merchant_id)
    assert len(planned) == 2
    assert planned[0].due_at == datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_without_consent_the_steps_are_recorded_as_skipped_with_the_reason() -> None:
    merchant_id = new_merchant()
    deliver(merchant_id, datetime(2026, 11, 2, 11, 0, tzinfo=UTC), consent=None)
    planned = rows(merchant_id)
    assert [row.status for row in planned] == ["skipped", "skipped"]
    assert planned[0].last_error == "The customer has not opted in to WhatsApp messages."
    assert planned[0].payload == {"skip_reason": "no_consent"}


def test_an_imported_old_order_plans_nothing_to_send() -> None:
    merchant_id = new_merchant()
    delivered = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    deliver(merchant_id, delivered, now=datetime(2026, 11, 20, tzinfo=UTC))
    assert [row.payload["skip_reason"] for row in rows(merchant_id)] == [
        "order_too_old",
        "order_too_old",
    ]


def test_a_step_whose_day_passed_before_the_delivery_was_known_is_skipped() -> None:
    merchant_id = new_merchant()
    delivered = datetime(2026, 11, 1, 11, 0, tzinfo=UTC)
    deliver(merchant_id, delivered, now=delivered + timedelta(days=8))
    planned = rows(merchant_id)
    assert [row.status for row in planned] == ["skipped", "scheduled"]
    assert planned[0].payload["skip_reason"] == "step_passed"


def test_two_orders_delivered_together_give_one_message_a_day() -> None:
    merchant_id = new_merchant()
    delivered = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    deliver(merchant_id, delivered, order="1001")
    deliver(merchant_id, delivered, order="1002")
    days = [local(row.due_at).date() for row in rows(merchant_id)]
    assert len(days) == 4
    assert len(set(days)) == 4


def test_cancelling_the_order_cancels_its_pending_messages() -> None:
    merchant_id = new_merchant()
    delivered = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    deliver(merchant_id, delivered)
    with session_scope(merchant_id) as session:
        cancelled = OrderEvent(
            source="api", external_id="1001", cancelled_at=delivered, is_snapshot=False
        )
        apply_order_event(session, cancelled)
        apply_domain_events(session, delivered)
    assert [(row.status, row.last_error) for row in rows(merchant_id)] == [
        ("cancelled", "order_cancelled"),
        ("cancelled", "order_cancelled"),
    ]


def test_a_changed_step_day_is_used_by_the_next_plan() -> None:
    merchant_id = new_merchant()
    with session_scope(merchant_id) as session:
        first = journey_steps(session, journey_for(session))[0]
        change = StepChange(
            offset_days=4,
            enabled=True,
            purpose=first.purpose,
            link="",
            templates=step_templates(first),
        )
        update_step(session, "test", first.id, change)
    delivered = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    deliver(merchant_id, delivered)
    assert rows(merchant_id)[0].due_at == delivered + timedelta(days=4)


def test_turning_a_step_off_cancels_it_when_the_order_is_planned_again() -> None:
    merchant_id = new_merchant()
    delivered = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    order_id = deliver(merchant_id, delivered)
    with session_scope(merchant_id) as session:
        second = journey_steps(session, journey_for(session))[1]
        change = StepChange(14, False, second.purpose, "", step_templates(second))
        update_step(session, "test", second.id, change)
        plan_order(session, order_id, delivered)
    assert [row.status for row in rows(merchant_id)] == ["scheduled", "cancelled"]


def test_the_journey_window_is_the_merchants_own() -> None:
    merchant_id = new_merchant()
    with session_scope(merchant_id) as session:
        journey = journey_for(session)
        journey.window_start, journey.window_end = time(10, 0), time(18, 0)
    deliver(merchant_id, datetime(2026, 11, 2, 5, 0, tzinfo=UTC))  # 08:00 in Istanbul
    assert local(rows(merchant_id)[0].due_at) == datetime(2026, 11, 5, 10, 0)


def test_a_send_in_doubt_still_takes_its_day() -> None:
    """An `unknown` row may have reached the customer: a new plan does not put another
    proactive message on the day it was attempted."""
    merchant_id = new_merchant()
    delivered = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    deliver(merchant_id, delivered, order="1001")
    first = rows(merchant_id)[0]
    attempted = first.due_at + timedelta(hours=1)
    with session_scope(merchant_id) as session:
        row = session.get_one(ScheduledMessage, first.id)
        row.status, row.request_started_at = "unknown", attempted
    deliver(merchant_id, delivered, order="1002")
    planned = [r for r in rows(merchant_id) if r.id != first.id and r.status == "scheduled"]
    assert local(attempted).date() not in {local(r.due_at).date() for r in planned}


def test_the_shipping_country_narrows_a_number_valid_in_many_zones() -> None:
    """A US toll-free number shipped to Canada: quiet hours follow a Canadian zone."""
    merchant_id = new_merchant()
    deliver(
        merchant_id, datetime(2026, 11, 2, 17, 0, tzinfo=UTC), phone="+18005551234", country="CA"
    )
    ((zone,),) = owner_sql("SELECT timezone FROM customers")
    assert zone in {"America/Halifax", "America/Toronto", "America/Winnipeg", "America/Vancouver"}
    due = rows(merchant_id)[0].due_at.astimezone(ZoneInfo(str(zone)))
    assert time(9, 0) <= due.time() <= time(20, 0)
