"""Shopify's mandatory privacy topics, doing what they say: export, erase, erase the shop."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from recete_app.backend import audit
from recete_app.backend.commerce.customers import e164_or_none
from recete_app.backend.commerce.parsing import text
from recete_app.backend.models import Customer, Integration, Order, OrderItem, Product
from recete_app.backend.security.crypto import blind_index, decrypt_field
from recete_app.backend.security.fields import EMAIL, PHONE

SOURCE = "shopify"


def _matching_customers(session: Session, payload: dict[str, Any]) -> list[Customer]:
    person = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    assert isinstance(person, dict)
    found: dict[uuid.UUID, Customer] = {}
    external_id = text(person.get("id"))
    if external_id:
        for row in session.exec(
            select(Customer).where(Customer.source == SOURCE, Customer.external_id == external_id)
        ):
            found[row.id] = row
    phone = e164_or_none(text(person.get("phone")), None)
    if phone:
        by_phone = session.exec(
            select(Customer).where(Customer.phone_index == blind_index(phone))
        ).first()
        if by_phone is not None:
            found[by_phone.id] = by_phone
    return list(found.values())


def export_customer_data(session: Session, payload: dict[str, Any]) -> None:
    """customers/data_request: collect what we hold about the customer for the merchant."""
    customers = _matching_customers(session, payload)
    export = [_customer_export(session, c) for c in customers]
    request_id = str((payload.get("data_request") or {}).get("id", ""))
    audit.record(
        session,
        "shopify",
        "privacy.data_request",
        target=request_id,
        customers_found=len(export),
        export=export,
    )


def _customer_export(session: Session, customer: Customer) -> dict[str, Any]:
    orders = session.exec(select(Order).where(Order.customer_id == customer.id)).all()
    return {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "phone": decrypt_field(customer.phone_encrypted, PHONE)
        if customer.phone_encrypted
        else None,
        "email": decrypt_field(customer.email_encrypted, EMAIL)
        if customer.email_encrypted
        else None,
        "consent_state": customer.consent_state,
        "orders": [
            {
                "name": o.name,
                "placed_at": o.placed_at.isoformat() if o.placed_at else None,
                "delivered_at": o.delivered_at.isoformat() if o.delivered_at else None,
            }
            for o in orders
        ],
    }


def redact_customer(session: Session, payload: dict[str, Any]) -> None:
    """customers/redact: erase the person (and with them conversations, messages, consent log
    and scheduled messages); orders stay as anonymous sales records."""
    customers = _matching_customers(session, payload)
    for customer in customers:
        session.delete(customer)
    audit.record(session, "shopify", "privacy.customer_redacted", target=str(len(customers)))


def redact_shop(session: Session, integration: Integration) -> None:
    """shop/redact (48 h after uninstall): erase everything this shop sent us."""
    order_ids = select(Order.id).where(Order.source == SOURCE)
    session.execute(delete(OrderItem).where(col(OrderItem.order_id).in_(order_ids)))
    session.execute(delete(Order).where(col(Order.source) == SOURCE))
    session.execute(delete(Customer).where(col(Customer.source) == SOURCE))
    session.execute(delete(Product).where(col(Product.source) == SOURCE))
    integration.status = "redacted"
    integration.secrets = None
    audit.record(session, "shopify", "privacy.shop_redacted", target=integration.external_id)
