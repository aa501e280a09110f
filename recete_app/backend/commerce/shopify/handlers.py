"""Processing a stored Shopify webhook by topic."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from recete_app.backend import audit
from recete_app.backend.commerce import products
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.commerce.parsing import decimal, text
from recete_app.backend.commerce.shopify import normalize, privacy
from recete_app.backend.commerce.shopify.topics import ORDER_TOPICS
from recete_app.backend.intake.erasure import erase_body
from recete_app.backend.intake.events import IGNORED, PROCESSED, Refused, event_payload
from recete_app.backend.models import ExternalEvent, Integration, IntegrationStatus


def _orders(session: Session, _integration: Integration, payload: dict[str, Any]) -> None:
    apply_order_event(session, normalize.order_event(payload))


def _fulfillment(session: Session, _integration: Integration, payload: dict[str, Any]) -> None:
    apply_order_event(session, normalize.fulfillment_event(payload))


def _tracking(session: Session, _integration: Integration, payload: dict[str, Any]) -> None:
    apply_order_event(session, normalize.fulfillment_tracking_event(payload))


def _refund(session: Session, _integration: Integration, payload: dict[str, Any]) -> None:
    apply_order_event(session, normalize.refund_event(payload))


def _product(session: Session, integration: Integration, payload: dict[str, Any]) -> None:
    variants = payload.get("variants") if isinstance(payload.get("variants"), list) else []
    first = variants[0] if variants and isinstance(variants[0], dict) else {}
    handle = text(payload.get("handle"))
    products.upsert_product(
        session,
        products.ProductInfo(
            source=normalize.SOURCE,
            external_id=str(payload["id"]),
            title=text(payload.get("title")) or "",
            description_html=text(payload.get("body_html")) or "",
            url=f"https://{integration.external_id}/products/{handle}" if handle else None,
            price=decimal(first.get("price")),
        ),
    )


def _product_deleted(session: Session, _integration: Integration, payload: dict[str, Any]) -> None:
    products.delete_product(session, normalize.SOURCE, str(payload["id"]))


def _uninstalled(session: Session, integration: Integration, _payload: dict[str, Any]) -> None:
    integration.status = IntegrationStatus.UNINSTALLED
    integration.updated_at = datetime.now(UTC)
    audit.record(session, "shopify", "integration.uninstalled", target=integration.external_id)


def _data_request(session: Session, _integration: Integration, payload: dict[str, Any]) -> None:
    privacy.export_customer_data(session, payload)


def _customer_redact(session: Session, integration: Integration, payload: dict[str, Any]) -> None:
    privacy.redact_customer(session, integration, payload)


def _shop_redact(session: Session, integration: Integration, _payload: dict[str, Any]) -> None:
    # Shopify sends shop/redact 48 hours after the app was uninstalled; for a shop that still
    # has it installed the erasure can only be a replayed body.
    if integration.status != IntegrationStatus.UNINSTALLED:
        raise Refused(
            f"shop/redact erases a shop that uninstalled the app; {integration.external_id} is "
            f"{integration.status}."
        )
    privacy.redact_shop(session, integration)


TopicHandler = Callable[[Session, Integration, dict[str, Any]], None]
TOPICS: dict[str, TopicHandler] = {
    **dict.fromkeys(ORDER_TOPICS, _orders),
    "fulfillments/create": _fulfillment,
    "fulfillments/update": _fulfillment,
    "fulfillment_events/create": _tracking,
    "refunds/create": _refund,
    "products/create": _product,
    "products/update": _product,
    "products/delete": _product_deleted,
    "app/uninstalled": _uninstalled,
    "customers/data_request": _data_request,
    "customers/redact": _customer_redact,
    "shop/redact": _shop_redact,
}


def handle(session: Session, event: ExternalEvent) -> str:
    handler = TOPICS.get(event.topic)
    if handler is None:
        return IGNORED
    assert event.integration_id is not None
    handler(session, _integration(session, event.integration_id), event_payload(event))
    if event.topic == "customers/redact":
        erase_body(event)  # it names the person it erased; pending, so the erasure skipped it
    return PROCESSED


def _integration(session: Session, integration_id: uuid.UUID) -> Integration:
    """The shop's row, loaded once per batch: the session's identity map holds rows weakly, so
    without this every event of a batch would select it again."""
    held: dict[uuid.UUID, Integration] = session.info.setdefault("integrations", {})
    if integration_id not in held:
        held[integration_id] = session.get_one(Integration, integration_id)
    return held[integration_id]
