"""Which handler processes a stored event, and the sweep that finds events nobody processed."""

from __future__ import annotations

import uuid

from prometheus_client import Counter

from recete_app.backend.commerce import api_events
from recete_app.backend.commerce.shopify import handlers as shopify_handlers
from recete_app.backend.commerce.woocommerce import handlers as woocommerce_handlers
from recete_app.backend.intake import events as inbox
from recete_app.backend.services import whatsapp_deliveries as whatsapp_events
from recete_app.backend.tenants import ids_per_merchant

HANDLERS: dict[str, inbox.Handler] = {
    "shopify": shopify_handlers.handle,
    "api": api_events.handle,
    "woocommerce": woocommerce_handlers.handle,
    "whatsapp": whatsapp_events.handle,
}


def process_stored_event(merchant_id: uuid.UUID, event_id: uuid.UUID) -> str:
    return inbox.process_event(merchant_id, event_id, HANDLERS)


SWEPT = Counter(
    "recete_webhooks_swept_total",
    "Webhooks the sweep queued again: nobody processed them in time, or they failed.",
)


def events_to_retry() -> list[tuple[uuid.UUID, uuid.UUID]]:
    due = ids_per_merchant(inbox.due_for_retry)
    SWEPT.inc(len(due))
    return due
