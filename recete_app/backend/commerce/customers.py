"""Customers from store data: phone in E.164, encrypted, found again by its blind index."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from recete_app.backend.commerce.events import CONSENT_OPTED_IN, ConsentInfo, CustomerInfo
from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import ConsentEvent, Customer
from recete_app.backend.phones import InvalidPhoneError, customer_timezone, normalize_phone
from recete_app.backend.security.crypto import decrypt_field
from recete_app.backend.security.fields import EMAIL, stored_email, stored_phone

_CUSTOMER_EXCLUDED = insert(Customer).excluded  # built once (see orders._ORDER_EXCLUDED)


def e164_or_none(raw: str | None, country_code: str | None) -> str | None:
    if not raw:
        return None
    try:
        return normalize_phone(raw, (country_code or "").upper() or None)
    except InvalidPhoneError:
        return None


def upsert_customer(session: Session, info: CustomerInfo, source: str) -> Customer | None:
    """Find the customer by phone, else by the source's customer id; create when new.

    Returns None when the data names nobody we could ever message or match again.
    """
    phone = e164_or_none(info.phone, info.country_code)
    if phone is not None:
        customer = _upsert_by_phone(session, phone, info, source)
    elif info.external_id is not None:
        customer = _by_external_id(session, info.external_id, source) or _insert(
            session, _new_values(session, None, info, source)
        )
    else:
        return None
    _refresh(customer, info, phone, source)
    for consent in info.consent:
        record_consent(session, customer, consent)
    return customer


def _new_values(
    session: Session, phone: str | None, info: CustomerInfo, source: str
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "merchant_id": current_merchant_id(session),
        "source": source,
        "external_id": info.external_id,
        **stored_phone(phone),
        **stored_email(_email(info)),
        "first_name": info.first_name[:200],
        "last_name": info.last_name[:200],
        "consent_state": "unknown",
        "created_at": datetime.now(UTC),
    }


def _upsert_by_phone(session: Session, phone: str, info: CustomerInfo, source: str) -> Customer:
    """One round trip: insert, or lock and return the customer who has this phone (two events
    about one new customer may race; the unique phone index decides)."""
    values = insert(Customer).values(**_new_values(session, phone, info, source))
    statement = values.on_conflict_do_update(
        constraint="uq_customers_merchant_phone",
        set_={"phone_index": _CUSTOMER_EXCLUDED.phone_index},
    ).returning(Customer)
    customer: Customer = session.execute(
        select(Customer).from_statement(statement).execution_options(populate_existing=True)
    ).scalar_one()
    return customer


def _by_external_id(session: Session, external_id: str, source: str) -> Customer | None:
    return session.exec(
        select(Customer)
        .where(Customer.source == source, Customer.external_id == external_id)
        .order_by(col(Customer.created_at))
        .with_for_update()
    ).first()


def _insert(session: Session, values: dict[str, Any]) -> Customer:
    statement = insert(Customer).values(**values).returning(Customer)
    customer: Customer = session.execute(select(Customer).from_statement(statement)).scalar_one()
    return customer


def _email(info: CustomerInfo) -> str | None:
    return info.email.strip().lower() if info.email and info.email.strip() else None


def _refresh(customer: Customer, info: CustomerInfo, phone: str | None, source: str) -> None:
    if info.first_name and customer.first_name != info.first_name[:200]:
        customer.first_name = info.first_name[:200]
    if info.last_name and customer.last_name != info.last_name[:200]:
        customer.last_name = info.last_name[:200]
    email = _email(info)
    known = decrypt_field(customer.email_encrypted, EMAIL) if customer.email_encrypted else None
    if email and email != known:
        for column, value in stored_email(email).items():
            setattr(customer, column, value)
    if phone and customer.phone_index is None:
        for column, value in stored_phone(phone).items():
            setattr(customer, column, value)
    if info.external_id and customer.external_id is None:
        customer.external_id = info.external_id
        customer.source = source
    if phone and info.country_code and customer.timezone is None:
        _remember_zone(customer, phone, info.country_code)


def _remember_zone(customer: Customer, phone: str, country_code: str) -> None:
    """The shipping country is only known here: it narrows a number valid in many zones (a US
    toll-free number shipped to Canada). Without it the sender reads the zone from the phone."""
    zone = customer_timezone(phone, country_code, fallback="")
    if zone.key != "UTC":  # UTC here means nothing was known: the merchant's zone stays the rule
        customer.timezone = zone.key


# Decisions made by the customer themselves (a keyword on WhatsApp) or by a person of the
# store; a store's snapshot of consent is second-hand.
PERSON = "merchant:"
FIRST_PARTY = ("whatsapp:", PERSON)


def record_consent(
    session: Session,
    customer: Customer,
    consent: ConsentInfo,
    details: dict[str, Any] | None = None,
) -> bool:
    """Apply what a source says about consent, unless something newer is already known
    (a customer's own STOP on WhatsApp outranks an older store snapshot); True if the state
    changed.

    A store stamp ahead of our clock (a store's clock running fast), or none, counts as made
    now, but is not a time to rank against the customer's or a person's own decision: stores
    repeat the same consent in every order update, and each repeat would otherwise be "newer"
    than the customer's STOP. A person's decision is logged and dated even when it confirms the
    current state, so a store event dated before it cannot undo it."""
    now, stamp = datetime.now(UTC), consent.recorded_at
    unstamped = stamp is None or stamp > now
    at = now if stamp is None or unstamped else stamp
    changed = customer.consent_state != consent.state
    if not changed and not consent.source.startswith(PERSON):
        return False  # a repeat (a second STOP) says nothing new
    known = customer.consent_updated_at
    if known is not None and not _outranks(session, customer, consent, at, known, unstamped):
        return False
    at = max(at, known or at)
    customer.consent_state, customer.consent_updated_at = consent.state, at
    noted = {**(details or {}), **({"unstamped": True} if unstamped else {})}
    session.add(
        ConsentEvent(
            merchant_id=customer.merchant_id,
            customer_id=customer.id,
            channel=consent.channel,
            state=consent.state,
            source=consent.source,
            recorded_at=at,
            details=noted,
        )
    )
    return changed


def _outranks(
    session: Session,
    customer: Customer,
    consent: ConsentInfo,
    at: datetime,
    known: datetime,
    unstamped: bool,
) -> bool:
    """Whether this decision beats the one known (dated `known`). The consent log is read
    only when the dates alone cannot tell: an order import applies consent for every order."""
    first_party = consent.source.startswith(FIRST_PARTY)
    store_opt_in = unstamped and not first_party and consent.state == CONSENT_OPTED_IN
    if at > known and not store_opt_in:
        return True
    last = session.exec(
        select(ConsentEvent)
        .where(ConsentEvent.customer_id == customer.id)
        .order_by(col(ConsentEvent.recorded_at).desc(), col(ConsentEvent.id).desc())
        .limit(1)
    ).first()
    if last is None:
        return True
    if store_opt_in and last.source.startswith(FIRST_PARTY):
        return False  # an undated store snapshot never opts back in who decided themselves
    if at > known:
        return True
    # Older than what is known: only the customer or a person beats a time that was "now"
    # only because the store gave none (or one ahead of our clock).
    return first_party and bool(last.details.get("unstamped"))


def customer_for_phone(session: Session, phone: str, profile_name: str | None = None) -> Customer:
    """The customer who wrote from `phone` (E.164), created on first contact. A WhatsApp
    profile name only names a new customer: the store's name for them wins."""
    first, _, last = (profile_name or "").strip().partition(" ")
    info = CustomerInfo(phone=phone, first_name=first, last_name=last)
    return _upsert_by_phone(session, phone, info, "whatsapp")
