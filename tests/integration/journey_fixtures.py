"""Shared set-up for journey tests: a merchant, and orders delivered to a customer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

from recete_app.backend import integrations
from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.commerce.events import ConsentInfo, CustomerInfo, LineItem, OrderEvent
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.db import session_scope
from recete_app.backend.journeys.delivery import send_scheduled
from recete_app.backend.journeys.planner import apply_domain_events
from recete_app.backend.journeys.settings import journey_for
from recete_app.backend.messaging.outbox.dispatch import claim_due
from tests.support import owner_sql

PHONE = "+905321234567"  # Istanbul: UTC+3 all year


def new_merchant(email: str = "owner@lalekozmetik.com") -> uuid.UUID:
    return sign_up("Lale Kozmetik", email, "correct horse battery").merchant_id


def deliver(
    merchant_id: uuid.UUID,
    delivered_at: datetime,
    *,
    order: str = "1001",
    consent: str | None = "opted_in",
    phone: str | None = PHONE,
    first_name: str = "Ayşe",
    customer: str = "c-1",
    now: datetime | None = None,
    updated_at: datetime | None = None,
    country: str | None = None,
    email: str | None = None,
) -> uuid.UUID:
    """Apply a delivered order (with its customer and one item) and plan its journey."""
    consents = (
        (ConsentInfo(consent, "whatsapp", "test", datetime(2026, 1, 1, tzinfo=UTC)),)
        if consent
        else ()
    )
    event = OrderEvent(
        source="api",
        external_id=order,
        updated_at=updated_at or delivered_at,
        name=f"#{order}",
        placed_at=datetime(2026, 1, 1, tzinfo=UTC),
        delivered_at=delivered_at,
        customer=CustomerInfo(
            external_id=customer,
            first_name=first_name,
            phone=phone,
            country_code=country,
            email=email,
            consent=consents,
        ),
        line_items=(LineItem("li-1", title="Gül Suyu Tonik", quantity=1),),
    )
    with session_scope(merchant_id) as session:
        applied = apply_order_event(session, event)
        apply_domain_events(session, now or delivered_at)
    return applied.order_id


PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "meta-app-secret-0123456789abcdef"
VERIFY_TOKEN = "recete-verify-token"


def connect_whatsapp(merchant_id: uuid.UUID, token: str) -> None:
    with session_scope(merchant_id) as session:
        integrations.connect(
            session,
            "test",
            "whatsapp",
            PHONE_NUMBER_ID,
            {"access_token": token, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
        )


def send_around_the_clock(merchant_id: uuid.UUID) -> None:
    """Tests run at any hour: a window covering the whole day keeps quiet hours out of the way
    (to its last microsecond: one ending at 23:59:59 moves a send in the day's last second)."""
    with session_scope(merchant_id) as session:
        journey = journey_for(session)
        journey.window_start, journey.window_end = time.min, time.max


def make_due(merchant_id: uuid.UUID) -> None:
    """Every planned row due now, in the order they were planned: one shared due_at left the
    dispatcher's order (by due_at) to chance, and a day-14 step claimed before day 3 failed a
    test now and then (CI, 2026-12-07)."""
    owner_sql(
        "UPDATE scheduled_messages s SET due_at = now() - interval '1 second'"
        " - r.later * interval '1 millisecond'"
        " FROM (SELECT id, row_number() OVER (ORDER BY due_at DESC, id) AS later"
        " FROM scheduled_messages WHERE status = 'scheduled' AND merchant_id = :m) r"
        " WHERE s.id = r.id",
        m=merchant_id,
    )


def dispatch_and_send() -> list[str]:
    """What the dispatcher and the workers do, in this thread: claim due rows, send each."""
    return [
        send_scheduled(claim.merchant_id, claim.scheduled_id, claim.claim) for claim in claim_due()
    ]
