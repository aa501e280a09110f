"""Bulk fixtures for the dispatch benchmark: merchants with WhatsApp numbers, and customers with
a delivered order and one due journey step each (written as the owner, in bulk)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from recete_app.backend import db, integrations
from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.journeys.settings import journey_for, journey_steps
from recete_app.backend.models import Customer, Order, OrderItem, ScheduledMessage
from recete_app.backend.security.fields import stored_phone


def phone_number_id(merchant: int) -> str:
    return f"1065403522{merchant:05d}"


def create_merchants(count: int, token: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(merchant id, first journey step id) per merchant; each has its own WhatsApp number and
    a sending window covering the whole day (benchmarks run at any hour)."""
    made = []
    for n in range(count):
        merchant_id = sign_up(
            f"Bench Store {n}", f"bench{n}@example.com", "bench-password-1"
        ).merchant_id
        with db.session_scope(merchant_id) as session:
            integrations.connect(
                session,
                "bench",
                "whatsapp",
                phone_number_id(n),
                {"access_token": token, "app_secret": "bench-secret", "verify_token": f"v{n}"},
            )
            journey = journey_for(session)
            journey.window_start, journey.window_end = time.min, time.max
            made.append((merchant_id, journey_steps(session, journey)[0].id))
    return made


def _rows(
    merchant_id: uuid.UUID, step_id: uuid.UUID, serial: int, due: datetime
) -> dict[str, list[dict[str, Any]]]:
    now = datetime.now(UTC)
    customer_id, order_id = uuid.uuid4(), uuid.uuid4()
    phone = f"+9053{serial:09d}"
    return {
        "customers": [
            dict(
                id=customer_id,
                merchant_id=merchant_id,
                **stored_phone(phone),
                first_name=f"Customer{serial}",
                last_name="",
                timezone="Europe/Istanbul",
                source="bench",
                consent_state="opted_in",
                created_at=now,
            )
        ],
        "orders": [
            dict(
                id=order_id,
                merchant_id=merchant_id,
                customer_id=customer_id,
                source="bench",
                external_id=str(serial),
                name=f"#B{serial}",
                delivered_at=now - timedelta(days=3),
                delivery_estimated=False,
                created_at=now,
            )
        ],
        "items": [
            dict(
                id=uuid.uuid4(),
                merchant_id=merchant_id,
                order_id=order_id,
                external_id="1",
                title="Gül Suyu Tonik",
                quantity=1,
                requires_shipping=True,
            )
        ],
        "scheduled": [
            dict(
                id=uuid.uuid4(),
                merchant_id=merchant_id,
                customer_id=customer_id,
                order_id=order_id,
                step_id=step_id,
                idempotency_key=f"journey:{order_id}:{step_id}",
                kind="journey_step",
                due_at=due,
                status="scheduled",
                attempts=0,
                claims=0,
                payload={},
                created_at=now,
            )
        ],
    }


def seed_due_messages(
    merchants: list[tuple[uuid.UUID, uuid.UUID]], count: int, due: datetime, start_serial: int
) -> None:
    """`count` customers spread over the merchants, each with one step due at `due`."""
    tables = {
        "customers": Customer,
        "orders": Order,
        "items": OrderItem,
        "scheduled": ScheduledMessage,
    }
    batch: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    for n in range(count):
        merchant_id, step_id = merchants[n % len(merchants)]
        for name, rows in _rows(merchant_id, step_id, start_serial + n, due).items():
            batch[name].extend(rows)
        if len(batch["scheduled"]) >= 5000 or n == count - 1:
            with db.get_engine(owner=True).begin() as conn:
                conn.execute(sa.text("SET LOCAL row_security = off"))
                for name, model in tables.items():
                    conn.execute(sa.insert(model), batch[name])
            batch = {name: [] for name in tables}
