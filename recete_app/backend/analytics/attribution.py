"""Orders attributed to the journey message that brought them.

A reorder is attributed when the customer placed it after a journey message went out to them,
within the window after they read it (1 day by default) or clicked its link (5 days by
default); the store can change both (`attribution_read_days`, `attribution_click_days` in its
settings). When several messages qualify, the last one touched wins. The attribution is an
`attributed` fact whose subject is the order (so an order is attributed once), counted on the
day its message went out, with the record a person can check: which send, which rule, when it
was touched, the window used, and the order's total and currency at the time."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.analytics.events import SendFact, record_facts
from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import AnalyticsEvent, AnalyticsEventName, Merchant, Order

CLICK_DAYS, READ_DAYS = 5, 1
MAX_WINDOW_DAYS = 30
ATTRIBUTED = AnalyticsEventName.ATTRIBUTED


@dataclass(frozen=True)
class Windows:
    click_days: int = CLICK_DAYS
    read_days: int = READ_DAYS


def windows_for(session: Session) -> Windows:
    """The store's windows (its settings), read once per session."""
    cached = session.info.get("attribution_windows")
    if isinstance(cached, Windows):
        return cached
    merchant_id = current_merchant_id(session)
    settings = session.exec(select(Merchant.settings).where(Merchant.id == merchant_id)).one()
    windows = session.info["attribution_windows"] = windows_of(settings)
    return windows


def windows_of(settings: Mapping[str, Any]) -> Windows:
    def days(name: str, default: int) -> int:
        value = settings.get(name)
        return value if isinstance(value, int) and 1 <= value <= MAX_WINDOW_DAYS else default

    return Windows(
        days("attribution_click_days", CLICK_DAYS), days("attribution_read_days", READ_DAYS)
    )


# The customer's last touch on a journey send that went out before the order, inside its rule's
# window: a read (WhatsApp's time), or a person's click on its link. A link keeps its first and
# its latest click; the latest counts when it came before the order, else the first.
_LAST_TOUCH = sa.text(
    """
    WITH sends AS (
        SELECT id FROM scheduled_messages
        WHERE customer_id = :customer AND kind = 'journey_step' AND sent_at < :placed
    ), touches AS (
        SELECT e.subject_id, e.step, e.subject_at, 'read' AS rule, e.occurred_at AS touched_at
        FROM sends JOIN analytics_events e ON e.subject_id = sends.id AND e.name = 'read'
        UNION ALL
        SELECT l.subject_id, l.step, coalesce(sent.subject_at, l.subject_at), 'click',
            CASE WHEN l.last_clicked_at <= :placed THEN l.last_clicked_at
                 ELSE l.first_clicked_at END
        FROM sends JOIN tracked_links l ON l.subject_id = sends.id
        LEFT JOIN analytics_events sent ON sent.subject_id = sends.id AND sent.name = 'sent'
        WHERE l.first_clicked_at IS NOT NULL
    )
    SELECT subject_id, step, subject_at, rule, touched_at FROM touches
    WHERE touched_at <= :placed
      AND touched_at >= :placed - make_interval(
          days => CASE rule WHEN 'click' THEN :click ELSE :read END)
    ORDER BY touched_at DESC, rule
    LIMIT 1
    """
)


def attribute_order(session: Session, order: Order, windows: Windows) -> bool:
    """Attribute `order` to the journey send that brought it, if one did; whether it was (an
    order already attributed keeps its first attribution)."""
    if order.customer_id is None or order.placed_at is None:
        return False
    touch = session.execute(
        _LAST_TOUCH,
        {
            "customer": order.customer_id,
            "placed": order.placed_at,
            "click": windows.click_days,
            "read": windows.read_days,
        },
    ).first()
    if touch is None:
        return False
    rule = str(touch.rule)
    record = {
        "order_id": str(order.id),
        "send_id": str(touch.subject_id),
        "rule": rule,
        "touched_at": touch.touched_at.isoformat(),
        "window_days": windows.click_days if rule == "click" else windows.read_days,
        "currency": order.currency or "",
        "amount": str(order.total_price or 0),
    }
    fact = SendFact(ATTRIBUTED, order.id, touch.step, touch.subject_at, record)
    record_facts(session, [fact])
    return True


def attributions_of(
    session: Session, order_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Each attributed order's record: the send, the step and when it went out, the rule, when
    it was touched, the window."""
    events = session.exec(
        select(AnalyticsEvent).where(
            col(AnalyticsEvent.subject_id).in_(order_ids), AnalyticsEvent.name == ATTRIBUTED
        )
    ).all()
    return {
        e.subject_id: {**e.properties, "step": e.step, "sent_at": e.subject_at.isoformat()}
        for e in events
    }
