"""What the Integrations page shows: each connection, its webhook URL, its latest events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from recete_app.backend.integrations import list_integrations, webhook_url
from recete_app.backend.models import ExternalEvent

RECENT_EVENTS = 8
KIND_LABELS = {
    "shopify": "Shopify",
    "woocommerce": "WooCommerce",
    "whatsapp": "WhatsApp",
    "api": "Generic API",
}


@dataclass(frozen=True)
class EventView:
    topic: str
    status: str
    received_at: datetime
    error: str


@dataclass(frozen=True)
class IntegrationView:
    id: str
    kind: str
    label: str
    name: str
    status: str
    webhook_url: str
    last_error: str
    events: list[EventView]


def recent_events(
    session: Session,
    *,
    integration_id: uuid.UUID | None = None,
    provider: str | None = None,
) -> list[EventView]:
    query = select(ExternalEvent)
    if integration_id is not None:
        query = query.where(ExternalEvent.integration_id == integration_id)
    if provider is not None:
        query = query.where(ExternalEvent.provider == provider)
    rows = session.exec(query.order_by(col(ExternalEvent.received_at).desc()).limit(RECENT_EVENTS))
    return [EventView(r.topic, r.status, r.received_at, r.error or "") for r in rows]


def integrations_overview(session: Session) -> list[IntegrationView]:
    return [
        IntegrationView(
            id=str(row.id),
            kind=row.kind,
            label=KIND_LABELS.get(row.kind, row.kind),
            name=row.display_name or row.external_id,
            status=row.status,
            webhook_url=webhook_url(row) or "",
            last_error=row.last_error or "",
            events=recent_events(session, integration_id=row.id),
        )
        for row in list_integrations(session)
    ]
