"""What each Shopify topic's body looks like.

Shopify signs the body, not the headers, and the topic comes from `X-Shopify-Topic`: a captured
`orders/create` body re-sent as `shop/redact` carried a valid signature and erased the shop. So a
body must have its topic's shape before it is taken for that topic: the keys its topic always
sends, none of the keys that mark another topic's body, and, where the body names its shop, the
shop whose secret checked the signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recete_app.backend.commerce.parsing import text

ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
    }
)
# Keys that only the privacy topics' bodies carry, and those only an order's or a product's does.
_PRIVACY_KEYS = frozenset({"shop_domain", "orders_to_redact", "orders_requested", "data_request"})
_ORDER_KEYS = frozenset({"line_items", "financial_status"})


@dataclass(frozen=True)
class Shape:
    required: frozenset[str]
    forbidden: frozenset[str] = frozenset()
    shop_field: str | None = None  # the body's own name for its shop: must be the signed shop


def _shape(
    required: str, forbidden: frozenset[str] = frozenset(), shop: str | None = None
) -> Shape:
    return Shape(frozenset(required.split()), forbidden, shop)


_PRODUCT_FORBIDDEN = _PRIVACY_KEYS | _ORDER_KEYS | {"order_id"}
SHAPES: dict[str, Shape] = {
    **dict.fromkeys(ORDER_TOPICS, _shape("id line_items", _PRIVACY_KEYS | {"order_id"})),
    "fulfillments/create": _shape("id order_id status", _PRIVACY_KEYS),
    "fulfillments/update": _shape("id order_id status", _PRIVACY_KEYS),
    "fulfillment_events/create": _shape("id order_id fulfillment_id status", _PRIVACY_KEYS),
    "refunds/create": _shape("id order_id", _PRIVACY_KEYS | {"financial_status"}),
    "products/create": _shape("id title variants", _PRODUCT_FORBIDDEN),
    "products/update": _shape("id title variants", _PRODUCT_FORBIDDEN),
    "products/delete": _shape("id", _PRODUCT_FORBIDDEN | {"customer", "status", "title"}),
    "app/uninstalled": _shape("id myshopify_domain", _PRIVACY_KEYS, shop="myshopify_domain"),
    "customers/data_request": _shape(
        "shop_id shop_domain customer data_request", frozenset({"orders_to_redact"}), "shop_domain"
    ),
    "customers/redact": _shape(
        "shop_id shop_domain customer orders_to_redact", frozenset({"data_request"}), "shop_domain"
    ),
    "shop/redact": _shape(
        "shop_id shop_domain",
        frozenset({"customer", "orders_to_redact", "orders_requested", "data_request"}),
        "shop_domain",
    ),
}


def misfit(topic: str, payload: dict[str, Any], shop: str) -> str | None:
    """Why this body cannot be a `topic` body from `shop`, or None when it can."""
    shape = SHAPES.get(topic)
    if shape is None:
        return None
    missing = sorted(shape.required - payload.keys())
    if missing:
        return f"A {topic} body carries {', '.join(missing)}; this one does not."
    foreign = sorted(shape.forbidden & payload.keys())
    if foreign:
        return f"A {topic} body never carries {', '.join(foreign)}; this one does."
    if shape.shop_field is not None:
        named = (text(payload.get(shape.shop_field)) or "").strip().lower()
        if named != shop:
            return f"The body names the shop {named or '(none)'}, but {shop} signed it."
    return None
