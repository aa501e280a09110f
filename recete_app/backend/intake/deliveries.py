"""Storing a verified webhook delivery: shared by every store receiver."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from recete_app.backend.intake.events import (
    IGNORED,
    PENDING,
    REFUSED,
    Accepted,
    store_event,
)
from recete_app.backend.intake.routing import Route
from recete_app.backend.security.untrusted_json import parse_object

# (topic, payload) -> why this body is not what its topic says, or None when it is
Inspection = Callable[[str, dict[str, Any]], str | None]


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
    delivery: VerifiedDelivery,
    known_topics: Collection[str],
    kept_headers: Collection[str],
    inspect: Inspection | None = None,
) -> Accepted:
    """Keep the raw body (a JSON object, parsed with bounds only now that its signature holds)
    once per external id: unknown topics as `ignored`, a body `inspect` objects to as `refused`
    with the reason."""
    payload, body = parse_object(delivery.raw_body)
    known = delivery.topic in known_topics
    reason = inspect(delivery.topic, payload) if known and inspect is not None else None
    status = REFUSED if reason else PENDING if known else IGNORED
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
        error=reason,
    )
    return Accepted(event_id, route.merchant_id, status)
