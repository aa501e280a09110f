"""Shopify webhook payloads (Admin REST resource shapes) -> OrderEvent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from recete_app.backend.commerce.events import (
    CONSENT_OPTED_IN,
    CONSENT_OPTED_OUT,
    ConsentInfo,
    CustomerInfo,
    LineItem,
    OrderEvent,
    Refund,
)
from recete_app.backend.commerce.parsing import (
    as_dict,
    as_list,
    decimal,
    earliest,
    flag,
    full_refund_at,
    text,
    timestamp,
    whole_number,
)

SOURCE = "shopify"
# Note attributes a checkout can carry for WhatsApp opt-in (checkout extensions, apps).
WHATSAPP_CONSENT_ATTRIBUTES = frozenset(
    {
        "whatsapp_opt_in",
        "whatsapp_consent",
        "whatsapp opt-in",
        "whatsapp consent",
        "whatsapp_marketing",
    }
)


def order_event(payload: dict[str, Any]) -> OrderEvent:
    """orders/create, orders/updated, orders/paid, orders/cancelled, orders/fulfilled."""
    order_id = text(payload.get("id"))
    if order_id is None:
        raise ValueError("order payload has no id")
    fulfillments = [as_dict(f) for f in as_list(payload.get("fulfillments"))]
    return OrderEvent(
        source=SOURCE,
        external_id=order_id,
        updated_at=timestamp(payload.get("updated_at")),
        name=text(payload.get("name")),
        currency=text(payload.get("currency")),
        total_price=decimal(payload.get("total_price")),
        financial_status=text(payload.get("financial_status")),
        fulfillment_status=text(payload.get("fulfillment_status")),
        placed_at=timestamp(payload.get("created_at")),
        fulfilled_at=earliest(
            f.get("created_at") for f in fulfillments if f.get("status") in (None, "success")
        ),
        delivered_at=earliest(
            f.get("updated_at") for f in fulfillments if f.get("shipment_status") == "delivered"
        ),
        cancelled_at=timestamp(payload.get("cancelled_at")),
        cancel_reason=text(payload.get("cancel_reason")),
        refunded_at=full_refund_at(
            payload.get("financial_status"),
            [as_dict(r).get("created_at") for r in as_list(payload.get("refunds"))],
            payload.get("updated_at"),
        ),
        customer=_customer(payload),
        line_items=tuple(
            _line_item(as_dict(i))
            for i in as_list(payload.get("line_items"))
            if text(as_dict(i).get("id"))
        ),
    )


def fulfillment_event(payload: dict[str, Any]) -> OrderEvent:
    """fulfillments/create and fulfillments/update: shipped, and delivered when the carrier
    says so (shipment_status "delivered")."""
    order_id = _required(payload, "order_id")
    delivered = payload.get("shipment_status") == "delivered"
    shipped = payload.get("status") in (None, "success")
    return OrderEvent(
        source=SOURCE,
        external_id=order_id,
        is_snapshot=False,
        fulfilled_at=timestamp(payload.get("created_at")) if shipped else None,
        delivered_at=timestamp(payload.get("updated_at")) if delivered and shipped else None,
    )


def fulfillment_tracking_event(payload: dict[str, Any]) -> OrderEvent:
    """fulfillment_events/create: a carrier tracking event; "delivered" is the one we need."""
    order_id = _required(payload, "order_id")
    delivered = payload.get("status") == "delivered"
    when = timestamp(payload.get("happened_at")) or timestamp(payload.get("created_at"))
    return OrderEvent(
        source=SOURCE,
        external_id=order_id,
        is_snapshot=False,
        delivered_at=when if delivered else None,
    )


def refund_event(payload: dict[str, Any]) -> OrderEvent:
    """refunds/create: one refund, full or partial; the order's total decides which."""
    order_id = _required(payload, "order_id")
    when = timestamp(payload.get("processed_at")) or timestamp(payload.get("created_at"))
    refund = Refund(when, _refunded_amount(payload)) if when is not None else None
    return OrderEvent(source=SOURCE, external_id=order_id, is_snapshot=False, refund=refund)


def _refunded_amount(payload: dict[str, Any]) -> Decimal:
    """Money that went back: the successful refund transactions (what the customer got)."""
    total = Decimal(0)
    for transaction in as_list(payload.get("transactions")):
        item = as_dict(transaction)
        if item.get("kind") == "refund" and item.get("status") == "success":
            total += decimal(item.get("amount")) or Decimal(0)
    return total


def _required(payload: dict[str, Any], key: str) -> str:
    value = text(payload.get(key))
    if value is None:
        raise ValueError(f"payload has no {key}")
    return value


def _customer(payload: dict[str, Any]) -> CustomerInfo | None:
    customer = as_dict(payload.get("customer"))
    shipping = as_dict(payload.get("shipping_address"))
    billing = as_dict(payload.get("billing_address"))
    phone = (
        text(customer.get("phone"))
        or text(payload.get("phone"))
        or text(shipping.get("phone"))
        or text(billing.get("phone"))
    )
    if not customer and phone is None:
        return None
    return CustomerInfo(
        external_id=text(customer.get("id")),
        first_name=text(customer.get("first_name")) or text(shipping.get("first_name")) or "",
        last_name=text(customer.get("last_name")) or text(shipping.get("last_name")) or "",
        email=text(customer.get("email")) or text(payload.get("email")),
        phone=phone,
        country_code=text(shipping.get("country_code")) or text(billing.get("country_code")),
        consent=_consent(customer, payload),
    )


def _consent(customer: dict[str, Any], payload: dict[str, Any]) -> tuple[ConsentInfo, ...]:
    found: list[ConsentInfo] = []
    sms = as_dict(customer.get("sms_marketing_consent"))
    state = {"subscribed": CONSENT_OPTED_IN, "unsubscribed": CONSENT_OPTED_OUT}.get(
        str(sms.get("state", "")).lower()
    )
    if state:
        found.append(
            ConsentInfo(
                state,
                "sms",
                "shopify:sms_marketing_consent",
                timestamp(sms.get("consent_updated_at")),
            )
        )
    for attribute in as_list(payload.get("note_attributes")):
        attr = as_dict(attribute)
        if str(attr.get("name", "")).strip().lower() in WHATSAPP_CONSENT_ATTRIBUTES:
            said = flag(attr.get("value"))
            if said is not None:
                found.append(
                    ConsentInfo(
                        CONSENT_OPTED_IN if said else CONSENT_OPTED_OUT,
                        "whatsapp",
                        "shopify:note_attribute",
                        timestamp(payload.get("created_at")),
                    )
                )
    return tuple(found)


def _line_item(item: dict[str, Any]) -> LineItem:
    return LineItem(
        external_id=str(item["id"]),
        title=text(item.get("title")) or text(item.get("name")) or "",
        sku=text(item.get("sku")),
        quantity=whole_number(item.get("quantity")),
        price=decimal(item.get("price")),
        product_external_id=text(item.get("product_id")),
        requires_shipping=flag(item.get("requires_shipping")) is not False,
    )
