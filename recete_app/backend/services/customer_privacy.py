"""A merchant's customers and their rights (KVKK and GDPR alike), one function per action for
the dashboard, the REST API and the CLI: find customers, read one with their timeline, erase
them, and record their consent by hand. Exports are `services/customer_exports`.

Every action is audited with who did it. An export or erasure of a customer who is not this
merchant's (or no longer exists) is `NotFound` and writes nothing; erasing twice erases once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend import audit
from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.commerce.customer_erasure import Erased, erase_customers
from recete_app.backend.commerce.customer_records import customer_record, profile
from recete_app.backend.commerce.customers import record_consent
from recete_app.backend.commerce.events import CONSENT_OPTED_IN, CONSENT_OPTED_OUT, ConsentInfo
from recete_app.backend.db import row_by_id, session_scope
from recete_app.backend.errors import InvalidInput, NotFound
from recete_app.backend.messaging.inbox import mask_phone
from recete_app.backend.messaging.inbox_search import search_filter
from recete_app.backend.models import Customer, Order
from recete_app.backend.paging import After, check_limit, decode_cursor, encode_cursor
from recete_app.backend.phones import InvalidPhoneError, normalize_phone
from recete_app.backend.security.crypto import blind_index, decrypt_if_readable
from recete_app.backend.security.fields import PHONE

MAX_PAGE = 100
CONSENT_STATES = (CONSENT_OPTED_IN, CONSENT_OPTED_OUT)
MAX_REASON = 500


@dataclass(frozen=True)
class CustomerSummary:
    id: uuid.UUID
    name: str
    phone: str  # masked: enough to recognise, not to dial
    consent_state: str
    source: str | None
    orders: int
    created_at: datetime


@dataclass(frozen=True)
class CustomerPage:
    customers: list[CustomerSummary]
    next_cursor: str | None


def list_customers(
    merchant_id: uuid.UUID, query: str = "", cursor: str | None = None, limit: int = 50
) -> CustomerPage:
    """Newest first, `limit` at a time; `query` is a name, a whole email, or a phone number or
    part of one."""
    check_limit(limit, MAX_PAGE)
    after = decode_cursor(cursor)
    with session_scope(merchant_id) as session:
        rows = _page(session, query.strip()[:100], after, limit)
        orders = _order_counts(session, [c.id for c in rows])
    summaries = [_summary(c, orders.get(c.id, 0)) for c in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return CustomerPage(summaries, encode_cursor((last.created_at, last.id)) if last else None)


def _page(session: Session, query: str, after: After | None, limit: int) -> list[Customer]:
    statement = select(Customer)
    if query:
        statement = statement.where(search_filter(session, query, in_inbox=False))
    if after is not None:
        statement = statement.where(
            sa.tuple_(col(Customer.created_at), col(Customer.id)) < sa.tuple_(*after)
        )
    ordered = statement.order_by(col(Customer.created_at).desc(), col(Customer.id).desc())
    return list(session.exec(ordered.limit(limit + 1)).all())


def _order_counts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    counted = session.execute(
        sa.select(col(Order.customer_id), sa.func.count())
        .where(col(Order.customer_id).in_(ids))
        .group_by(col(Order.customer_id))
    ).all()
    return {customer_id: int(count) for customer_id, count in counted}


def _summary(customer: Customer, orders: int) -> CustomerSummary:
    phone = decrypt_if_readable(customer.phone_encrypted, PHONE) or ""
    name = f"{customer.first_name} {customer.last_name}".strip()
    return CustomerSummary(
        id=customer.id,
        name=name,
        phone=mask_phone(phone) if phone else "",
        consent_state=customer.consent_state,
        source=customer.source,
        orders=orders,
        created_at=customer.created_at,
    )


def customer_of(session: Session, customer_id: uuid.UUID | str) -> Customer:
    """The merchant's customer with this id; NotFound for anyone else's, or no one's."""
    customer = row_by_id(session, Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.", code="customer_not_found")
    return customer


def customer_by_phone(merchant_id: uuid.UUID, phone: str) -> uuid.UUID:
    """The customer with this whole phone number (the CLI's way to name one)."""
    try:
        e164 = normalize_phone(phone)
    except InvalidPhoneError as exc:
        raise InvalidInput(str(exc), details=[{"field": "phone", "message": str(exc)}]) from exc
    with session_scope(merchant_id) as session:
        found = session.exec(
            select(Customer.id).where(Customer.phone_index == blind_index(e164))
        ).first()
    if found is None:
        raise NotFound("No customer has this phone number.", code="customer_not_found")
    return found


def read_customer(merchant_id: uuid.UUID, customer_id: uuid.UUID | str) -> dict[str, Any]:
    """The customer's whole record (as the export has it), with their phone and email."""
    with session_scope(merchant_id) as session:
        return customer_record(session, customer_of(session, customer_id))


def erase_customer(person: Principal, customer_id: uuid.UUID | str) -> Erased:
    """Erase the customer for good (the same path as Shopify's customers/redact): their
    messages, conversations, consent log and pending messages go; their orders stay, anonymous.
    """
    with session_scope(person.merchant_id) as session:
        customer = customer_of(session, customer_id)
        target = str(customer.id)
        erased = erase_customers(session, [customer])
        audit.record(
            session,
            person.actor,
            "customer.erased",
            target=target,
            webhook_bodies_erased=erased.webhook_bodies,
        )
        return erased


def set_consent(
    person: Principal, customer_id: uuid.UUID | str, state: str, reason: str
) -> dict[str, Any]:
    """A person records that the customer opted in or out, and why (e.g. "asked by phone");
    logged with their account. A later store event still only wins if it is newer."""
    reason = reason.strip()
    _check_consent(state, reason)
    with session_scope(person.merchant_id) as session:
        customer = customer_of(session, customer_id)
        decision = ConsentInfo(state, "whatsapp", f"merchant:{person.actor}", datetime.now(UTC))
        changed = record_consent(session, customer, decision, {"reason": reason})
        audit.record(
            session,
            person.actor,
            "customer.consent_set",
            target=str(customer.id),
            state=state,
            reason=reason,
            changed=changed,
        )
        return profile(customer)


def _check_consent(state: str, reason: str) -> None:
    problems = []
    if state not in CONSENT_STATES:
        problems.append({"field": "state", "message": f"one of {', '.join(CONSENT_STATES)}"})
    if not 1 <= len(reason) <= MAX_REASON:
        problems.append({"field": "reason", "message": f"1 to {MAX_REASON} characters"})
    if problems:
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidInput(message, details=problems)
