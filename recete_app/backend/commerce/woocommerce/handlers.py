"""Processing a stored WooCommerce webhook by topic."""

from __future__ import annotations

from sqlmodel import Session

from recete_app.backend.commerce import products
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.commerce.woocommerce import normalize
from recete_app.backend.intake.events import IGNORED, PROCESSED, event_payload
from recete_app.backend.models import ExternalEvent

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
PRODUCT_TOPICS = frozenset({"product.created", "product.updated", "product.restored"})
TOPICS = ORDER_TOPICS | PRODUCT_TOPICS | {"product.deleted"}


def handle(session: Session, event: ExternalEvent) -> str:
    payload = event_payload(event)
    if event.topic in ORDER_TOPICS:
        apply_order_event(session, normalize.order_event(payload))
    elif event.topic in PRODUCT_TOPICS:
        products.upsert_product(session, normalize.product_info(payload))
    elif event.topic == "product.deleted":
        products.delete_product(session, normalize.SOURCE, str(payload["id"]))
    else:
        return IGNORED
    return PROCESSED
