"""The one shape every store source is normalised into.

An OrderEvent is a partial view of an order: a field left as None means "this event does not
say", never "clear it". Shopify's orders/updated carries a full snapshot; a fulfilment event
carries only the order id and the fulfilment/delivery facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

CONSENT_OPTED_IN = "opted_in"
CONSENT_OPTED_OUT = "opted_out"


@dataclass(frozen=True)
class ConsentInfo:
    state: str  # opted_in | opted_out
    channel: str  # whatsapp | sms
    source: str  # where the source says it came from, e.g. "shopify:sms_marketing_consent"
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class CustomerInfo:
    external_id: str | None = None
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    country_code: str | None = None  # ISO 3166-1 alpha-2, to read local phone numbers
    consent: tuple[ConsentInfo, ...] = ()


@dataclass(frozen=True)
class LineItem:
    external_id: str
    title: str = ""
    sku: str | None = None
    quantity: int = 1
    price: Decimal | None = None
    product_external_id: str | None = None
    requires_shipping: bool = True


# Line items from a CSV export have no ids of their own: they are numbered by position.
CSV_ITEM_PREFIX = "csv:"


@dataclass(frozen=True)
class Refund:
    at: datetime
    amount: Decimal


@dataclass(frozen=True)
class OrderEvent:
    source: str  # shopify | woocommerce | api | csv
    external_id: str
    # The source's own timestamp for this snapshot; an older snapshot never overwrites a newer.
    updated_at: datetime | None = None
    is_snapshot: bool = True  # carries the order's full state (name, totals, items, customer)
    name: str | None = None
    currency: str | None = None
    total_price: Decimal | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    placed_at: datetime | None = None
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    # Set only for a full refund: a partial one must not end the customer's journey.
    refunded_at: datetime | None = None
    # One refund as it happened (Shopify refunds/create); full only if it covers the total.
    refund: Refund | None = None
    customer: CustomerInfo | None = None
    line_items: tuple[LineItem, ...] = field(default_factory=tuple)
