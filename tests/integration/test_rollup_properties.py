"""On random journey facts (in random timezones, written twice, some arriving after a rollup,
rolled up in random batch sizes), `journey_days` equals the same figures counted directly from
the facts in Python: by the day each send went out in the store's timezone, a delivery report
outranking a failure, and the cost (of delivered billable messages) from the rate card's own
lookup."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from recete_app.backend.analytics.events import SendFact, record_facts
from recete_app.backend.analytics.pricing import RateCard, parse_card
from recete_app.backend.analytics.rollup import roll_up
from recete_app.backend.db import session_scope
from recete_app.backend.models import AnalyticsEventName, JourneyDay
from tests.integration.journey_fixtures import new_merchant
from tests.support import owner_sql

CARD = parse_card(
    {
        "rates": {
            "90": {"marketing": "0.0109", "utility": "0.0053"},
            "44": {"marketing": "0.0529", "utility": "0.0220"},
        },
        "other": {"marketing": "0.0604", "utility": "0.0077"},
    }
)
BASE = datetime(2026, 11, 29, tzinfo=UTC)
ATTRIBUTED = AnalyticsEventName.ATTRIBUTED
NAMES = [n for n in AnalyticsEventName if n not in (AnalyticsEventName.PRICED, ATTRIBUTED)]
PRICES = [
    None,
    ("utility", "90", True),
    ("marketing", "44", True),
    ("marketing", "1", True),
    ("service", "90", False),
    ("utility", "90", False),
]

sends = st.lists(
    st.fixed_dictionaries(
        {
            "step": st.sampled_from(["day3_usage_tips", "day14_check_in"]),
            "minute": st.integers(0, 3 * 24 * 60),
            "facts": st.sets(st.sampled_from(NAMES)),
            "code": st.sampled_from(["131026", "131047", "130429"]),
            "price": st.sampled_from(PRICES),
            "late": st.sets(st.sampled_from([*NAMES, AnalyticsEventName.PRICED])),
            "orders": st.lists(
                st.tuples(st.sampled_from(["TRY", "EUR", ""]), st.sampled_from(["30.00", "12.50"])),
                max_size=2,
            ),
        }
    ),
    max_size=30,
)


def facts_of(send: dict[str, Any], subject: uuid.UUID) -> list[tuple[SendFact, bool]]:
    at = BASE + timedelta(minutes=send["minute"])
    found = []
    for name in send["facts"]:
        props = {"code": send["code"], "title": f"Error {send['code']}"} if name == "failed" else {}
        found.append((SendFact(name, subject, send["step"], at, props), name in send["late"]))
    if send["price"] is not None:
        category, code, billable = send["price"]
        props = {
            "billable": billable,
            "category": category,
            "calling_code": code,
            "type": "regular",
        }
        priced = SendFact(AnalyticsEventName.PRICED, subject, send["step"], at, props)
        found.append((priced, AnalyticsEventName.PRICED in send["late"]))
    for currency, amount in send["orders"]:  # an attributed order's subject is the order
        props = {"currency": currency, "amount": amount, "send_id": str(subject)}
        found.append((SendFact(ATTRIBUTED, uuid.uuid4(), send["step"], at, props), False))
    return found


def expected(
    batch: list[dict[str, Any]], zone: str, card: RateCard
) -> dict[tuple[date, str], dict[str, Any]]:
    figures: dict[tuple[date, str], dict[str, Any]] = defaultdict(
        lambda: (
            {
                k: 0
                for k in (
                    "sent",
                    "delivered",
                    "read",
                    "replied",
                    "clicked",
                    "failed",
                    "opted_out",
                    "billable",
                )
            }
            | {
                "cost_estimate": Decimal(0),
                "failures": {},
                "attributed_orders": 0,
                "attributed_revenue": {},
            }
        )
    )
    for send in batch:
        at = BASE + timedelta(minutes=send["minute"])
        key = (at.astimezone(ZoneInfo(zone)).date(), send["step"])
        facts = send["facts"]
        if not facts and send["price"] is None and not send["orders"]:
            continue
        day = figures[key]
        for name in ("sent", "delivered", "read", "replied", "clicked", "opted_out"):
            day[name] += name in facts
        if "failed" in facts and "delivered" not in facts:
            day["failed"] += 1
            entry = day["failures"].setdefault(
                send["code"], {"count": 0, "title": f"Error {send['code']}"}
            )
            entry["count"] += 1
        if send["price"] is not None and send["price"][2] and "delivered" in facts:
            day["billable"] += 1
            day["cost_estimate"] += card.price(send["price"][0], send["price"][1])
        for currency, amount in send["orders"]:
            day["attributed_orders"] += 1
            revenue = day["attributed_revenue"]
            code = currency or "XXX"
            revenue[code] = str(Decimal(revenue.get(code, "0")) + Decimal(amount))
    return dict(figures)


def write(merchant_id: uuid.UUID, facts: list[SendFact]) -> None:
    with session_scope(merchant_id) as session:
        record_facts(session, facts)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batch=sends,
    zone=st.sampled_from(["UTC", "Europe/Istanbul", "America/New_York", "Asia/Kolkata"]),
    size=st.integers(1, 40),
)
def test_rollups_equal_the_figures_counted_directly_from_the_facts(
    batch: list[dict[str, Any]], zone: str, size: int
) -> None:
    merchant_id = _merchant()
    owner_sql("DELETE FROM analytics_events WHERE merchant_id = :m", m=merchant_id)
    owner_sql("DELETE FROM journey_days WHERE merchant_id = :m", m=merchant_id)
    owner_sql("UPDATE merchants SET timezone = :z WHERE id = :m", z=zone, m=merchant_id)
    facts = [pair for send in batch for pair in facts_of(send, uuid.uuid4())]
    first = [fact for fact, late in facts if not late]
    write(merchant_id, first)
    write(merchant_id, first)  # a repeated report changes nothing
    roll_up(merchant_id, CARD, batch=size)
    write(merchant_id, [fact for fact, late in facts if late])
    roll_up(merchant_id, CARD, batch=size)
    with session_scope(merchant_id) as session:
        rolled = {
            (d.day, d.step): d.model_dump(exclude={"merchant_id", "day", "step", "rolled_up_at"})
            for d in session.exec(select(JourneyDay)).all()
        }
    assert rolled == expected(batch, zone, CARD)


_MERCHANT: list[uuid.UUID] = []


def _merchant() -> uuid.UUID:
    """One store for all examples (signing up hashes a password: slow); the tables are emptied
    after the test, so it is made afresh when it is gone."""
    if _MERCHANT and owner_sql("SELECT 1 FROM merchants WHERE id = :m", m=_MERCHANT[0]):
        return _MERCHANT[0]
    _MERCHANT[:] = [new_merchant()]
    return _MERCHANT[0]
