"""Customers from store data: phone in E.164, encrypted, found again by its blind index."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from recete_app.backend.commerce.events import ConsentInfo, CustomerInfo
from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import ConsentEvent, Customer
from recete_app.backend.phones import InvalidPhoneError, normalize_phone
from recete_app.backend.security.crypto import blind_index, encrypt_field
from recete_app.backend.security.fields import EMAIL, PHONE


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
    customer = _find(session, phone, info.external_id, source)
    if customer is None:
        if phone is None and info.external_id is None:
            return None
        customer = _create(session, phone, info.external_id, source)
    _refresh(customer, info, phone, source)
    for consent in info.consent:
        record_consent(session, customer, consent)
    return customer


def _find(
    session: Session, phone: str | None, external_id: str | None, source: str
) -> Customer | None:
    if phone is not None:
        found = session.exec(
            select(Customer).where(Customer.phone_index == blind_index(phone)).with_for_update()
        ).first()
        if found is not None:
            return found
    if external_id is not None:
        return session.exec(
            select(Customer)
            .where(Customer.source == source, Customer.external_id == external_id)
            .order_by(col(Customer.created_at))
            .with_for_update()
        ).first()
    return None


def _create(session: Session, phone: str | None, external_id: str | None, source: str) -> Customer:
    values = {
        "id": uuid.uuid4(),
        "merchant_id": current_merchant_id(session),
        "source": source,
        "external_id": external_id,
        "phone_encrypted": encrypt_field(phone, PHONE) if phone else None,
        "phone_index": blind_index(phone) if phone else None,
        "first_name": "",
        "last_name": "",
        "consent_state": "unknown",
        "created_at": datetime.now(UTC),
    }
    # Two events about one new customer may race: the unique phone index decides.
    statement = (
        insert(Customer).values(**values).on_conflict_do_nothing().returning(col(Customer.id))
    )
    created = session.execute(statement).scalar()
    found = _find(session, phone, external_id, source) if created is None else None
    return found or session.get_one(Customer, created, with_for_update=True)


def _refresh(customer: Customer, info: CustomerInfo, phone: str | None, source: str) -> None:
    if info.first_name:
        customer.first_name = info.first_name[:200]
    if info.last_name:
        customer.last_name = info.last_name[:200]
    if info.email:
        customer.email_encrypted = encrypt_field(info.email.strip().lower(), EMAIL)
    if phone and customer.phone_index is None:
        customer.phone_encrypted = encrypt_field(phone, PHONE)
        customer.phone_index = blind_index(phone)
    if info.external_id and customer.external_id is None:
        customer.external_id = info.external_id
        customer.source = source


def record_consent(session: Session, customer: Customer, consent: ConsentInfo) -> bool:
    """Apply what a source says about consent, unless something newer is already known
    (a customer's own STOP on WhatsApp outranks an older store snapshot)."""
    at = consent.recorded_at or datetime.now(UTC)
    if customer.consent_updated_at is not None and at <= customer.consent_updated_at:
        return False
    if customer.consent_state == consent.state:
        return False
    customer.consent_state = consent.state
    customer.consent_updated_at = at
    session.add(
        ConsentEvent(
            merchant_id=customer.merchant_id,
            customer_id=customer.id,
            channel=consent.channel,
            state=consent.state,
            source=consent.source,
            recorded_at=at,
        )
    )
    return True
