"""The generic order API (`POST /webhooks/commerce/api`): its documented JSON schema and the
mapping to OrderEvent. Any store or back office can send these."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from recete_app.backend.commerce.events import (
    CONSENT_OPTED_IN,
    CONSENT_OPTED_OUT,
    ConsentInfo,
    CustomerInfo,
    LineItem,
    OrderEvent,
)
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.intake.events import PROCESSED, event_payload
from recete_app.backend.models import ExternalEvent

SOURCE = "api"
EventType = Literal["order.created", "order.fulfilled", "order.delivered", "order.cancelled"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApiCustomer(_Strict):
    id: str | None = Field(default=None, max_length=255)
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(
        default=None, max_length=40, description="E.164, or local with country_code"
    )
    country_code: str | None = Field(default=None, min_length=2, max_length=2)
    whatsapp_consent: bool | None = Field(
        default=None, description="true: opted in; false: opted out; absent: unknown"
    )
    consent_at: datetime | None = None


class ApiLineItem(_Strict):
    id: str = Field(max_length=255)
    title: str = Field(max_length=500)
    sku: str | None = Field(default=None, max_length=255)
    quantity: int = Field(default=1, ge=0, le=100_000)
    price: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    product_id: str | None = Field(default=None, max_length=255)
    requires_shipping: bool = True


class ApiOrder(_Strict):
    id: str = Field(max_length=255)
    name: str | None = Field(default=None, max_length=100)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    total_price: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    placed_at: datetime | None = None
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    customer: ApiCustomer | None = None
    line_items: list[ApiLineItem] = Field(default_factory=list, max_length=500)


class ApiOrderEvent(_Strict):
    """One order event. `id` is yours and makes retries safe: the same id is stored once."""

    id: str = Field(min_length=1, max_length=200)
    type: EventType
    occurred_at: datetime
    order: ApiOrder


def to_order_event(event: ApiOrderEvent) -> OrderEvent:
    order = event.order
    when = event.occurred_at
    return OrderEvent(
        source=SOURCE,
        external_id=order.id,
        updated_at=when,
        name=order.name,
        currency=order.currency.upper() if order.currency else None,
        total_price=order.total_price,
        placed_at=order.placed_at or (when if event.type == "order.created" else None),
        fulfilled_at=order.fulfilled_at or (when if event.type == "order.fulfilled" else None),
        delivered_at=order.delivered_at or (when if event.type == "order.delivered" else None),
        cancelled_at=order.cancelled_at or (when if event.type == "order.cancelled" else None),
        customer=_customer(order.customer, when) if order.customer else None,
        line_items=tuple(
            LineItem(
                external_id=i.id,
                title=i.title,
                sku=i.sku,
                quantity=i.quantity,
                price=i.price,
                product_external_id=i.product_id,
                requires_shipping=i.requires_shipping,
            )
            for i in order.line_items
        ),
    )


def _customer(customer: ApiCustomer, when: datetime) -> CustomerInfo:
    consent: tuple[ConsentInfo, ...] = ()
    if customer.whatsapp_consent is not None:
        state = CONSENT_OPTED_IN if customer.whatsapp_consent else CONSENT_OPTED_OUT
        consent = (ConsentInfo(state, "whatsapp", "api", customer.consent_at or when),)
    return CustomerInfo(
        external_id=customer.id,
        first_name=customer.first_name,
        last_name=customer.last_name,
        email=customer.email,
        phone=customer.phone,
        country_code=customer.country_code,
        consent=consent,
    )


def handle(session: Session, stored: ExternalEvent) -> str:
    event = ApiOrderEvent.model_validate(event_payload(stored))
    apply_order_event(session, to_order_event(event))
    return PROCESSED
