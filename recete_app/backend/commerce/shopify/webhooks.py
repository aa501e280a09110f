"""Receiving a Shopify webhook: check the shop and the signature, store, answer. Nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from recete_app.backend.commerce.shopify.handlers import TOPICS
from recete_app.backend.commerce.shopify.topics import misfit
from recete_app.backend.config import get_settings
from recete_app.backend.errors import RecetError, Unauthorized
from recete_app.backend.intake.deliveries import VerifiedDelivery, record_delivery
from recete_app.backend.intake.events import Accepted
from recete_app.backend.intake.routing import route_by_store
from recete_app.backend.intake.signatures import valid_base64_signature
from recete_app.backend.integrations import SHOP_DOMAIN
from recete_app.backend.models import IntegrationStatus

# Shopify's mandatory privacy webhooks and the uninstall, answered whatever the shop's status.
COMPLIANCE = frozenset(
    {"app/uninstalled", "customers/data_request", "customers/redact", "shop/redact"}
)
KEPT_HEADERS = (
    "x-shopify-topic",
    "x-shopify-shop-domain",
    "x-shopify-webhook-id",
    "x-shopify-event-id",
    "x-shopify-triggered-at",
    "x-shopify-api-version",
)


@dataclass(frozen=True)
class ShopifyDelivery:
    shop: str | None
    topic: str | None
    webhook_id: str | None
    signature: str | None
    raw_body: bytes
    headers: dict[str, str]


def accept(delivery: ShopifyDelivery) -> Accepted:
    shop = (delivery.shop or "").strip().lower()
    route = route_by_store("shopify", shop) if SHOP_DOMAIN.match(shop) else None
    if route is None:
        raise Unauthorized("Unknown shop.", code="unknown_shop")
    app_secret = get_settings().shopify_api_secret
    candidates = [route.secrets.get("api_secret", "")]
    if app_secret is not None:
        candidates.append(app_secret.get_secret_value())
    if not valid_base64_signature(candidates, delivery.raw_body, delivery.signature):
        raise Unauthorized("Invalid webhook signature.", code="invalid_signature")
    if route.status == IntegrationStatus.DISCONNECTED and delivery.topic not in COMPLIANCE:
        # The installation's app secret still signs for it; Shopify's privacy webhooks are
        # still owed an answer (and an erasure) until the app is uninstalled.
        raise Unauthorized("This shop was disconnected from Recete.", code="shop_disconnected")
    if not delivery.topic or not delivery.webhook_id:
        raise RecetError(
            "X-Shopify-Topic and X-Shopify-Webhook-Id are required.", code="missing_headers"
        )
    # Webhook ids are Shopify's per shop: another shop may use the same one.
    external_id = f"{route.integration_id}:{delivery.webhook_id}"
    verified = VerifiedDelivery(
        route, "shopify", external_id, delivery.topic, delivery.raw_body, delivery.headers
    )
    return record_delivery(
        verified, TOPICS, KEPT_HEADERS, lambda topic, payload: misfit(topic, payload, shop)
    )
