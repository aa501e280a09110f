"""Erasing customers (the right to erasure, KVKK and GDPR alike): the one path behind a
merchant's request (dashboard, API, CLI) and Shopify's `customers/redact`.

Deleting the customer row takes with it, by foreign key, their conversations and messages,
their consent log, their domain events and every scheduled message (so nothing pending is
ever sent to them). Their orders stay as anonymous sales records (`customer_id` is set to
null), so the merchant's figures keep their totals. What a store or Meta sent about them is
blanked in the stored webhook bodies, and an earlier data request's export of them is emptied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from recete_app.backend.intake.erasure import Person, erase_from_events
from recete_app.backend.models import AuditLog, Customer
from recete_app.backend.security.crypto import decrypt_if_readable
from recete_app.backend.security.fields import EMAIL, PHONE

# The audit action whose details hold an export of customers (Shopify's data request).
DATA_REQUEST = "privacy.data_request"
MIN_EXTERNAL_ID = 6  # shorter ids would match unrelated numbers in other bodies


@dataclass(frozen=True)
class Erased:
    customers: int
    webhook_bodies: int


def person_of(customer: Customer, also: Person | None = None) -> Person:
    """What names the customer in a stored body: their phone, email and the store's id for
    them (plus what the request itself named, `also`)."""
    phones, emails, ids = set(), set(), {customer.external_id}
    phone = decrypt_if_readable(customer.phone_encrypted, PHONE)
    email = decrypt_if_readable(customer.email_encrypted, EMAIL)
    if phone:
        phones.add(phone)
    if email:
        emails.add(email.strip().lower())
    if also is not None:
        phones |= also.phones
        emails |= also.emails
        ids |= also.external_ids
    return Person(
        phones=frozenset(p for p in phones if p),
        emails=frozenset(e for e in emails if "@" in e),
        external_ids=frozenset(i for i in ids if i and len(i) >= MIN_EXTERNAL_ID),
    )


def erase_customers(
    session: Session,
    customers: Iterable[Customer],
    people: Iterable[Person] = (),
) -> Erased:
    """Erase `customers` in the caller's transaction (the caller audits it). `people`: what
    names them in stored bodies, when the caller knows more than the rows (`person_of`).
    Webhooks naming them that are still to be processed are given up as well: processing them
    would create the customer again."""
    customers = list(customers)
    named = list(people) or [person_of(customer) for customer in customers]
    for customer in customers:
        session.delete(customer)
    session.flush()
    bodies = erase_from_events(session, named)
    ids = {str(customer.id) for customer in customers}
    _forget_exports(session, ids)
    _forget_reasons(session, ids)
    return Erased(customers=len(customers), webhook_bodies=bodies)


def _forget_reasons(session: Session, customer_ids: set[str]) -> None:
    """The audit trail keeps who did what to the erased customer, not the free text a person
    typed about them (a consent change's reason may name them)."""
    for entry in session.exec(select(AuditLog).where(col(AuditLog.target).in_(customer_ids))):
        if "reason" in entry.details:
            entry.details = {**entry.details, "reason": "(erased with the customer)"}


def _forget_exports(session: Session, customer_ids: set[str]) -> None:
    """An earlier data request's export holds the person's phone and email: erased with them."""
    for entry in session.exec(select(AuditLog).where(AuditLog.action == DATA_REQUEST)):
        named = set(entry.details.get("customer_ids") or [])
        if named & customer_ids:
            empty_export(entry)


def empty_export(entry: AuditLog) -> None:
    """A data request's audit entry without the export it held (who asked, and when, stay)."""
    entry.details = {**entry.details, "export": [], "export_erased": True}
