"""WooCommerce REST v3 resource shapes (as webhooks deliver them) -> OrderEvent / ProductInfo."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from recete_app.backend.commerce.events import (
    CONSENT_OPTED_IN,
    CONSENT_OPTED_OUT,
    ConsentInfo,
    CustomerInfo,
    LineItem,
    OrderEvent,
)
from recete_app.backend.commerce.parsing import (
    as_dict,
    as_list,
    decimal,
    flag,
    text,
    timestamp,
    whole_number,
)
from recete_app.backend.commerce.products import ProductInfo

SOURCE = "woocommerce"
CONSENT_META_KEYS = frozenset(
    {"whatsapp_opt_in", "_whatsapp_opt_in", "whatsapp_consent", "_whatsapp_consent"}
)


def _gmt(value: Any) -> datetime | None:
    """WooCommerce's *_gmt fields are UTC without an offset."""
    parsed = timestamp(value)
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else parsed


def order_event(payload: dict[str, Any]) -> OrderEvent:
    order_id = text(payload.get("id"))
    if order_id is None:
        raise ValueError("order payload has no id")
    status = text(payload.get("status")) or ""
    modified = _gmt(payload.get("date_modified_gmt"))
    completed = _gmt(payload.get("date_completed_gmt")) or (
        modified if status == "completed" else None
    )
    return OrderEvent(
        source=SOURCE,
        external_id=order_id,
        updated_at=modified,
        name=f"#{text(payload.get('number')) or order_id}",
        currency=text(payload.get("currency")),
        total_price=decimal(payload.get("total")),
        financial_status=status or None,
        fulfillment_status="fulfilled" if status == "completed" else None,
        placed_at=_gmt(payload.get("date_created_gmt")),
        fulfilled_at=completed if status == "completed" else None,
        cancelled_at=modified if status == "cancelled" else None,
        refunded_at=modified if status == "refunded" else None,
        customer=_customer(payload),
        line_items=tuple(
            _line_item(as_dict(i))
            for i in as_list(payload.get("line_items"))
            if text(as_dict(i).get("id"))
        ),
    )


def _customer(payload: dict[str, Any]) -> CustomerInfo | None:
    billing, shipping = as_dict(payload.get("billing")), as_dict(payload.get("shipping"))
    phone = text(billing.get("phone")) or text(shipping.get("phone"))
    customer_id = text(payload.get("customer_id"))
    if phone is None and customer_id in (None, "0"):
        return None
    return CustomerInfo(
        external_id=customer_id if customer_id not in (None, "0") else None,
        first_name=text(billing.get("first_name")) or text(shipping.get("first_name")) or "",
        last_name=text(billing.get("last_name")) or text(shipping.get("last_name")) or "",
        email=text(billing.get("email")),
        phone=phone,
        country_code=text(billing.get("country")) or text(shipping.get("country")),
        consent=_consent(payload),
    )


def _consent(payload: dict[str, Any]) -> tuple[ConsentInfo, ...]:
    for meta in as_list(payload.get("meta_data")):
        entry = as_dict(meta)
        if str(entry.get("key", "")).lower() in CONSENT_META_KEYS:
            said = flag(entry.get("value"))
            if said is not None:
                state = CONSENT_OPTED_IN if said else CONSENT_OPTED_OUT
                return (
                    ConsentInfo(
                        state,
                        "whatsapp",
                        "woocommerce:meta_data",
                        _gmt(payload.get("date_created_gmt")),
                    ),
                )
    return ()


def _line_item(item: dict[str, Any]) -> LineItem:
    return LineItem(
        external_id=str(item["id"]),
        title=text(item.get("name")) or "",
        sku=text(item.get("sku")),
        quantity=whole_number(item.get("quantity")),
        price=decimal(item.get("price")),
        product_external_id=text(item.get("product_id")),
    )


def product_info(payload: dict[str, Any]) -> ProductInfo:
    product_id = text(payload.get("id"))
    if product_id is None:
        raise ValueError("product payload has no id")
    description = text(payload.get("description")) or ""
    short = text(payload.get("short_description")) or ""
    return ProductInfo(
        source=SOURCE,
        external_id=product_id,
        title=text(payload.get("name")) or "",
        description_html="\n".join(part for part in (short, description) if part),
        url=text(payload.get("permalink")),
        price=decimal(payload.get("price")),
    )
