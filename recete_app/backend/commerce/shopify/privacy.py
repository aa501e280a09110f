"""Shopify's mandatory privacy topics, doing what they say: export, erase, erase the shop."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, exists, or_, select

from recete_app.backend import audit
from recete_app.backend.commerce.customer_erasure import (
    DATA_REQUEST,
    MIN_EXTERNAL_ID,
    erase_customers,
    person_of,
)
from recete_app.backend.commerce.customer_records import customer_record
from recete_app.backend.commerce.customers import e164_or_none
from recete_app.backend.commerce.parsing import text
from recete_app.backend.intake.erasure import (
    Person,
    erase_from_events,
    erase_integration_events,
)
from recete_app.backend.intake.events import Refused
from recete_app.backend.models import (
    Customer,
    Integration,
    IntegrationStatus,
    Order,
    OrderItem,
    Product,
)
from recete_app.backend.security.crypto import blind_index

SOURCE = "shopify"


def _person(payload: dict[str, Any]) -> dict[str, Any]:
    person = payload.get("customer")
    return person if isinstance(person, dict) else {}


def _matching_customers(session: Session, payload: dict[str, Any]) -> list[Customer]:
    """Customers of this shop the request names: by the shop's id for them, or by phone when
    the customer came from the shop or bought there (the merchant's other channels' customers
    are not the shop's to erase)."""
    person = _person(payload)
    external_id = text(person.get("id"))
    phone = e164_or_none(text(person.get("phone")), None)
    bought_here = exists().where(
        col(Order.customer_id) == col(Customer.id), col(Order.source) == SOURCE
    )
    matches = []
    if external_id:
        matches.append(
            (col(Customer.source) == SOURCE) & (col(Customer.external_id) == external_id)
        )
    if phone:
        matches.append(
            (col(Customer.phone_index) == blind_index(phone))
            & or_(col(Customer.source) == SOURCE, bought_here)
        )
    if not matches:
        return []
    return list(session.exec(select(Customer).where(or_(*matches))).all())


def _named_in(payload: dict[str, Any]) -> Person:
    """The person as the request names them."""
    named = _person(payload)
    email = (text(named.get("email")) or "").strip().lower()
    store_id = text(named.get("id"))
    return Person(
        phones=frozenset(p for p in [e164_or_none(text(named.get("phone")), None)] if p),
        emails=frozenset([email]) if "@" in email else frozenset(),
        # Shorter ids would match unrelated numbers in other bodies.
        external_ids=frozenset([store_id] if store_id and len(store_id) >= MIN_EXTERNAL_ID else []),
    )


def _as_person(customer: Customer, payload: dict[str, Any]) -> Person:
    return person_of(customer, _named_in(payload))


def export_customer_data(session: Session, payload: dict[str, Any]) -> None:
    """customers/data_request: collect what we hold about the customer for the merchant."""
    customers = _matching_customers(session, payload)
    export = [customer_record(session, c) for c in customers]
    request_id = str((payload.get("data_request") or {}).get("id", ""))
    audit.record(
        session,
        "shopify",
        DATA_REQUEST,
        target=request_id,
        customers_found=len(export),
        customer_ids=[str(c.id) for c in customers],
        export=export,
    )


def redact_customer(session: Session, integration: Integration, payload: dict[str, Any]) -> None:
    """customers/redact: erase the person (and with them conversations, messages, consent log
    and scheduled messages) and blank the stored webhook bodies that name them, this one's too;
    orders stay as anonymous sales records. Only a customer of this shop is erased."""
    customers = _matching_customers(session, payload)
    if not customers:
        # Nothing of this shop's to erase, but the request's own body names the person: it goes,
        # with this shop's other bodies naming them, before the refusal is recorded. Another
        # channel's customer of the same name is not the shop's to touch.
        erase_from_events(session, [_named_in(payload)], integration_id=integration.id)
        raise Refused(f"No customer of {integration.external_id} matches this request.")
    people = [_as_person(customer, payload) for customer in customers]
    # Events still waiting that name the person (this request's own body among them) are given
    # up: applied after it, an order update would bring back the person the shop erased.
    erased = erase_customers(session, customers, people)
    audit.record(
        session,
        "shopify",
        "privacy.customer_redacted",
        target=str(erased.customers),
        webhook_bodies_erased=erased.webhook_bodies,
    )


def redact_shop(session: Session, integration: Integration) -> None:
    """shop/redact (48 h after uninstall): erase everything this shop sent us."""
    order_ids = select(Order.id).where(Order.source == SOURCE)
    session.execute(delete(OrderItem).where(col(OrderItem.order_id).in_(order_ids)))
    session.execute(delete(Order).where(col(Order.source) == SOURCE))
    session.execute(delete(Customer).where(col(Customer.source) == SOURCE))
    session.execute(delete(Product).where(col(Product.source) == SOURCE))
    erased = erase_integration_events(session, integration.id)
    integration.status = IntegrationStatus.REDACTED
    integration.secrets = None
    audit.record(
        session,
        "shopify",
        "privacy.shop_redacted",
        target=integration.external_id,
        webhook_bodies_erased=erased,
    )
