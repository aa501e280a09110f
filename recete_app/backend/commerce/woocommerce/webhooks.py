"""Receiving a WooCommerce webhook: integration from the URL, signature, store, answer."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from recete_app.backend.commerce.woocommerce.handlers import TOPICS
from recete_app.backend.errors import NotFound, RecetError, Unauthorized
from recete_app.backend.intake.deliveries import VerifiedDelivery, record_delivery
from recete_app.backend.intake.events import Accepted
from recete_app.backend.intake.routing import route_by_id
from recete_app.backend.intake.signatures import valid_base64_signature

# WooCommerce pings a new webhook's URL with a form body `webhook_id=N`, unsigned.
PING = re.compile(rb"^webhook_id=\d+$")
KEPT_HEADERS = (
    "x-wc-webhook-topic",
    "x-wc-webhook-resource",
    "x-wc-webhook-event",
    "x-wc-webhook-delivery-id",
    "x-wc-webhook-id",
    "x-wc-webhook-source",
)


@dataclass(frozen=True)
class WooDelivery:
    integration_id: uuid.UUID
    topic: str | None
    delivery_id: str | None
    signature: str | None
    raw_body: bytes
    headers: dict[str, str]


def is_ping(raw_body: bytes) -> bool:
    return PING.match(raw_body.strip()) is not None


def accept(delivery: WooDelivery) -> Accepted:
    route = route_by_id("woocommerce", delivery.integration_id)
    if route is None:
        raise NotFound("Unknown integration.", code="unknown_integration")
    secret = route.secrets.get("webhook_secret", "")
    if not valid_base64_signature([secret], delivery.raw_body, delivery.signature):
        raise Unauthorized("Invalid webhook signature.", code="invalid_signature")
    if not delivery.topic or not delivery.delivery_id:
        raise RecetError(
            "X-WC-Webhook-Topic and X-WC-Webhook-Delivery-ID are required.", code="missing_headers"
        )
    verified = VerifiedDelivery(
        route,
        "woocommerce",
        f"{route.integration_id}:{delivery.delivery_id}",
        delivery.topic,
        delivery.raw_body,
        delivery.headers,
    )
    return record_delivery(verified, TOPICS, KEPT_HEADERS)
