"""Storing a verified webhook delivery: shared by every store receiver."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from recete_app.backend.commerce.inbox import (
    IGNORED,
    PENDING,
    Accepted,
    json_object_text,
    store_event,
)
from recete_app.backend.commerce.routing import Route


@dataclass(frozen=True)
class VerifiedDelivery:
    """A delivery whose signature has been checked against `route`'s secrets."""

    route: Route
    provider: str
    external_id: str
    topic: str
    raw_body: bytes
    headers: dict[str, str]


def record_delivery(
    delivery: VerifiedDelivery, known_topics: Collection[str], kept_headers: Collection[str]
) -> Accepted:
    """Keep the raw body (a JSON object) once per external id; unknown topics as `ignored`."""
    body = json_object_text(delivery.raw_body)
    status = PENDING if delivery.topic in known_topics else IGNORED
    kept = {k: v for k, v in delivery.headers.items() if k.lower() in kept_headers}
    route = delivery.route
    event_id = store_event(
        route.merchant_id,
        provider=delivery.provider,
        external_id=delivery.external_id,
        topic=delivery.topic,
        raw_body=body,
        headers=kept,
        integration_id=route.integration_id,
        status=status,
    )
    return Accepted(event_id, route.merchant_id, status)
