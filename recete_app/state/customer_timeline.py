"""A customer's timeline: their whole record (`customer_privacy.read_customer`, the same document
the export is) merged into one list, newest first: orders placed and delivered, the messages of
their conversations, the journey messages planned, sent or skipped, and their consent changes
with where each came from. A pure function of the record, so it is tested without a database."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

AUTHORS = {"customer": "the customer", "ai": "the AI", "human": "a person", "system": "Recete"}
CONSENT_LABELS = {"opted_in": "Opted in", "opted_out": "Opted out"}
# Where a consent decision came from, in words (ConsentInfo.source); others are shown as they are.
CONSENT_SOURCES = {
    "whatsapp:keyword": "The customer's own WhatsApp message",
    "api": "From the store's API",
    "csv:note_attributes": "From an imported CSV",
    "shopify:sms_marketing_consent": "From Shopify (SMS marketing consent)",
    "shopify:note_attribute": "From Shopify (an order note)",
}
JOURNEY_STATES = {
    "scheduled": ("Journey message planned", "blue"),
    "queued": ("Journey message being sent", "blue"),
    "sending": ("Journey message being sent", "blue"),
    "sent": ("Journey message sent", "teal"),
    "skipped": ("Journey message skipped", "amber"),
    "cancelled": ("Journey message cancelled", "gray"),
    "failed": ("Journey message failed", "red"),
    "paused": ("Journey message paused", "amber"),
    "unknown": ("Journey message: outcome unknown", "amber"),
}


@dataclasses.dataclass
class TimelineEntry:
    kind: str = ""  # order | message_in | message_out | journey | consent
    title: str = ""
    detail: str = ""
    when: str = ""  # shown, in UTC
    at: str = ""  # ISO 8601, the sort key
    tone: str = "gray"  # the entry's badge colour


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _entry(kind: str, at: object, title: str, detail: str, tone: str) -> TimelineEntry | None:
    """None when the event has no time: it did not happen (yet)."""
    moment = _moment(at)
    if moment is None:
        return None
    when = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return TimelineEntry(kind, title, detail, when, moment.isoformat(), tone)


def _attribution(order: Mapping[str, Any]) -> str:
    """Which journey message brought the order, by which rule, inside which window."""
    record = order.get("attribution")
    if not isinstance(record, Mapping):
        return ""
    how = "its link was clicked" if record.get("rule") == "click" else "it was read"
    touched = _moment(record.get("touched_at"))
    when = f" {touched.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if touched else ""
    return (
        f"brought by the {record.get('step')} message: {how}{when}, "
        f"within the {record.get('window_days')}-day window"
    )


def _order_entries(order: Mapping[str, Any]) -> Iterator[TimelineEntry | None]:
    name = order.get("name") or order.get("store_order_id") or "An order"
    items = ", ".join(
        f"{i.get('title') or i.get('sku') or 'item'} × {i.get('quantity', 1)}"
        for i in order.get("items") or []
    )
    total = f"{order['total']} {order.get('currency') or ''}".strip() if order.get("total") else ""
    placed = " · ".join(part for part in (items, total, _attribution(order)) if part)
    yield _entry("order", order.get("placed_at"), f"Order {name} placed", placed, "violet")
    yield _entry("order", order.get("delivered_at"), f"Order {name} delivered", items, "violet")
    yield _entry("order", order.get("cancelled_at"), f"Order {name} cancelled", "", "gray")
    yield _entry("order", order.get("refunded_at"), f"Order {name} refunded", "", "gray")


def _message_entries(conversation: Mapping[str, Any]) -> Iterator[TimelineEntry | None]:
    for message in conversation.get("messages") or []:
        author = AUTHORS.get(message.get("author") or "", message.get("author") or "someone")
        body = message.get("body") or f"({message.get('kind') or 'message'})"
        if message.get("direction") == "inbound":
            yield _entry("message_in", message.get("created_at"), "Message in", body, "gray")
            continue
        status = message.get("status") or ""
        title = f"Message out, from {author}" + (f" ({status})" if status else "")
        yield _entry("message_out", message.get("created_at"), title, body, "teal")


def _journey_entry(row: Mapping[str, Any]) -> TimelineEntry | None:
    """Journey steps only: replies are in the conversation already, as messages."""
    if row.get("kind") != "journey_step":
        return None
    status = str(row.get("status") or "")
    title, tone = JOURNEY_STATES.get(status, (f"Journey message {status}", "gray"))
    at = row.get("sent_at") or row.get("due_at")
    if status == "scheduled":
        return _entry("journey", at, title, "Not sent yet.", tone)
    return _entry("journey", at, title, str(row.get("reason") or ""), tone)


def consent_source(source: str) -> str:
    if source.startswith("merchant:"):  # merchant:<the account or API key that recorded it>
        return "Recorded by hand in Recete"
    return CONSENT_SOURCES.get(source, f"From {source or 'an unknown source'}")


def _consent_entry(change: Mapping[str, Any]) -> TimelineEntry | None:
    state = str(change.get("state") or "")
    details = change.get("details") or {}
    reason = str(details.get("reason") or "") if isinstance(details, Mapping) else ""
    said = consent_source(str(change.get("source") or ""))
    detail = f"{said} · reason: {reason}" if reason else said
    title = CONSENT_LABELS.get(state, f"Consent: {state.replace('_', ' ')}")
    tone = {"opted_in": "green", "opted_out": "red"}.get(state, "gray")
    return _entry("consent", change.get("recorded_at"), title, detail, tone)


def build_timeline(record: Mapping[str, Any]) -> list[TimelineEntry]:
    """Everything in the record that happened at a known time, newest first."""
    found: list[TimelineEntry | None] = []
    for order in record.get("orders") or []:
        found.extend(_order_entries(order))
    for conversation in record.get("conversations") or []:
        found.extend(_message_entries(conversation))
    found.extend(_journey_entry(row) for row in record.get("scheduled_messages") or [])
    found.extend(_consent_entry(change) for change in record.get("consent_log") or [])
    entries = [entry for entry in found if entry is not None]
    # sorted() is stable: events at the same moment keep the order above.
    return sorted(entries, key=lambda entry: datetime.fromisoformat(entry.at), reverse=True)
