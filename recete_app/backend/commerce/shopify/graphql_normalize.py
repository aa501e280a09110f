"""Shopify Admin GraphQL nodes (reconciliation, catalogue import) -> OrderEvent / ProductInfo.

Ids are reduced to the numeric ids webhooks use (`legacyResourceId`, the tail of a GID), so an
order seen by both paths is one order with one set of line items.
"""

from __future__ import annotations

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
    earliest,
    full_refund_at,
    text,
    timestamp,
    whole_number,
)
from recete_app.backend.commerce.products import ProductInfo
from recete_app.backend.commerce.shopify.normalize import SOURCE

FULFILLMENT_STATUS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}
CONSENT_STATE = {"SUBSCRIBED": CONSENT_OPTED_IN, "UNSUBSCRIBED": CONSENT_OPTED_OUT}


def numeric_id(gid: Any) -> str | None:
    value = text(gid)
    return value.rsplit("/", 1)[-1] if value else None


def order_event(node: dict[str, Any]) -> OrderEvent:
    order_id = text(node.get("legacyResourceId"))
    if order_id is None:
        raise ValueError("order node has no legacyResourceId")
    money = as_dict(as_dict(node.get("totalPriceSet")).get("shopMoney"))
    fulfillments = [as_dict(f) for f in as_list(node.get("fulfillments"))]
    status = (text(node.get("displayFinancialStatus")) or "").lower() or None
    return OrderEvent(
        source=SOURCE,
        external_id=order_id,
        updated_at=timestamp(node.get("updatedAt")),
        name=text(node.get("name")),
        currency=text(money.get("currencyCode")),
        total_price=decimal(money.get("amount")),
        financial_status=status,
        fulfillment_status=FULFILLMENT_STATUS.get(str(node.get("displayFulfillmentStatus"))),
        placed_at=timestamp(node.get("createdAt")),
        fulfilled_at=earliest(
            f.get("createdAt") for f in fulfillments if f.get("status") == "SUCCESS"
        ),
        delivered_at=earliest(
            f.get("deliveredAt") or f.get("updatedAt")
            for f in fulfillments
            if f.get("displayStatus") == "DELIVERED"
        ),
        cancelled_at=timestamp(node.get("cancelledAt")),
        cancel_reason=(text(node.get("cancelReason")) or "").lower() or None,
        refunded_at=full_refund_at(
            status,
            [as_dict(r).get("createdAt") for r in as_list(node.get("refunds"))],
            node.get("updatedAt"),
        ),
        customer=_customer(node),
        line_items=tuple(
            _line_item(as_dict(i))
            for i in as_list(as_dict(node.get("lineItems")).get("nodes"))
            if numeric_id(as_dict(i).get("id"))
        ),
    )


def _customer(node: dict[str, Any]) -> CustomerInfo | None:
    customer = as_dict(node.get("customer"))
    shipping, billing = as_dict(node.get("shippingAddress")), as_dict(node.get("billingAddress"))
    phone_info = as_dict(customer.get("defaultPhoneNumber"))
    phone = (
        text(phone_info.get("phoneNumber"))
        or text(node.get("phone"))
        or text(shipping.get("phone"))
        or text(billing.get("phone"))
    )
    if not customer and phone is None:
        return None
    consent: tuple[ConsentInfo, ...] = ()
    state = CONSENT_STATE.get(str(phone_info.get("marketingState")))
    if state:
        consent = (
            ConsentInfo(
                state,
                "sms",
                "shopify:sms_marketing_consent",
                timestamp(phone_info.get("marketingUpdatedAt")),
            ),
        )
    return CustomerInfo(
        external_id=text(customer.get("legacyResourceId")),
        first_name=text(customer.get("firstName")) or text(shipping.get("firstName")) or "",
        last_name=text(customer.get("lastName")) or text(shipping.get("lastName")) or "",
        email=text(as_dict(customer.get("defaultEmailAddress")).get("emailAddress"))
        or text(node.get("email")),
        phone=phone,
        country_code=text(shipping.get("countryCodeV2")) or text(billing.get("countryCodeV2")),
        consent=consent,
    )


def _line_item(item: dict[str, Any]) -> LineItem:
    price = as_dict(as_dict(item.get("originalUnitPriceSet")).get("shopMoney")).get("amount")
    return LineItem(
        external_id=str(numeric_id(item.get("id"))),
        title=text(item.get("name")) or "",
        sku=text(item.get("sku")),
        quantity=whole_number(item.get("quantity")),
        price=decimal(price),
        product_external_id=text(as_dict(item.get("product")).get("legacyResourceId")),
        requires_shipping=item.get("requiresShipping") is not False,
    )


def product_info(node: dict[str, Any], shop: str) -> ProductInfo:
    product_id = text(node.get("legacyResourceId"))
    if product_id is None:
        raise ValueError("product node has no legacyResourceId")
    variants = as_list(as_dict(node.get("variants")).get("nodes"))
    handle = text(node.get("handle"))
    return ProductInfo(
        source=SOURCE,
        external_id=product_id,
        title=text(node.get("title")) or "",
        description_html=text(node.get("descriptionHtml")) or "",
        url=text(node.get("onlineStoreUrl"))
        or (f"https://{shop}/products/{handle}" if handle else None),
        price=decimal(as_dict(variants[0]).get("price")) if variants else None,
    )
