"""The Customers page's rows, profile and exports: the customer services' answers turned into the
plain values the page shows. Each reader is a plain function that the state runs in a worker
thread (the services open their own database sessions); nothing here touches the database."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.services import customer_exports, customer_privacy
from recete_app.backend.services.customer_exports import PreparedExport
from recete_app.state.customer_timeline import TimelineEntry, build_timeline

PAGE_SIZE = 25
CONSENT_LABELS = {"opted_in": "Opted in", "opted_out": "Opted out", "unknown": "Unknown"}
ERASE_WORD = "ERASE"


@dataclasses.dataclass
class CustomerRow:
    id: str = ""
    name: str = ""
    phone: str = ""  # masked
    consent: str = ""
    consent_label: str = ""
    orders: int = 0


@dataclasses.dataclass
class CustomerProfile:
    """The open customer (empty `id`: nothing open)."""

    id: str = ""
    name: str = ""
    phone: str = ""  # whole: the erase confirmation asks for it
    email: str = ""
    language: str = ""
    source: str = ""
    consent: str = ""
    consent_label: str = ""
    consent_since: str = ""


@dataclasses.dataclass(frozen=True)
class RowsPage:
    rows: list[CustomerRow]
    next_cursor: str


@dataclasses.dataclass(frozen=True)
class OpenCustomer:
    profile: CustomerProfile
    timeline: list[TimelineEntry]
    exports: list[ExportRow]


def consent_label(state: str) -> str:
    return CONSENT_LABELS.get(state, state.replace("_", " ").capitalize())


def read_rows(merchant_id: uuid.UUID, query: str, cursor: str | None) -> RowsPage:
    page = customer_privacy.list_customers(merchant_id, query, cursor, PAGE_SIZE)
    rows = [
        CustomerRow(
            id=str(c.id),
            name=c.name or "Unnamed customer",
            phone=c.phone,
            consent=c.consent_state,
            consent_label=consent_label(c.consent_state),
            orders=c.orders,
        )
        for c in page.customers
    ]
    return RowsPage(rows, page.next_cursor or "")


def profile_of(customer: Mapping[str, Any]) -> CustomerProfile:
    """The record's `customer` part (also what `set_consent` answers)."""
    name = f"{customer.get('first_name') or ''} {customer.get('last_name') or ''}".strip()
    state = str(customer.get("consent_state") or "unknown")
    since = customer.get("consent_updated_at")
    return CustomerProfile(
        id=str(customer.get("id") or ""),
        name=name or "Unnamed customer",
        phone=str(customer.get("phone") or ""),
        email=str(customer.get("email") or ""),
        language=str(customer.get("language") or ""),
        source=str(customer.get("source") or ""),
        consent=state,
        consent_label=consent_label(state),
        consent_since=_utc(since),
    )


def _utc(value: object) -> str:
    if not isinstance(value, str) or not value:
        return ""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def read_customer(merchant_id: uuid.UUID, customer_id: str) -> OpenCustomer:
    """The profile, the timeline and prepared exports; `NotFound` if this merchant has no such
    customer."""
    record = customer_privacy.read_customer(merchant_id, customer_id)
    exports = read_exports(merchant_id, customer_id)
    return OpenCustomer(profile_of(record["customer"]), build_timeline(record), exports)


@dataclasses.dataclass
class ExportRow:
    """A prepared export of the open customer (a large one, made by a worker)."""

    id: str = ""
    status: str = ""  # queued, running, done, failed
    label: str = ""
    requested: str = ""
    detail: str = ""  # its size and until when it can be downloaded, or why it failed


EXPORT_LABELS = {"queued": "Waiting", "running": "Being prepared", "done": "Ready"}


@dataclasses.dataclass(frozen=True)
class ExportAnswer:
    """The document's JSON text (a small export, made at once), or "" when it was queued."""

    text: str
    queued: bool


def export_now(person: Principal, customer_id: str) -> ExportAnswer:
    """The export (made, audited and counted against the store's hourly budget by the
    service): its JSON text, or word that a worker is preparing it."""
    outcome = customer_exports.request_export(person, customer_id)
    if outcome.document is None:
        return ExportAnswer("", queued=True)
    return ExportAnswer(json.dumps(outcome.document, ensure_ascii=False, indent=2), queued=False)


def read_exports(merchant_id: uuid.UUID, customer_id: str) -> list[ExportRow]:
    return [_export_row(e) for e in customer_exports.list_exports(merchant_id, customer_id)]


def _size(size_bytes: int) -> str:
    if size_bytes < 1_048_576:
        return f"{max(1, round(size_bytes / 1024))} KB"
    return f"{size_bytes / 1_048_576:.1f} MB"


def _export_row(export: PreparedExport) -> ExportRow:
    if export.status == "failed":
        detail = export.error or "It could not be made."
    elif export.expires_at is not None:
        until = _utc(export.expires_at.isoformat())
        detail = f"{_size(export.size_bytes)}, can be downloaded until {until}"
    else:
        detail = "It appears here, ready to download, when the worker has made it."
    return ExportRow(
        id=str(export.id),
        status=export.status,
        label=EXPORT_LABELS.get(export.status, "Failed"),
        requested=_utc(export.created_at.isoformat()),
        detail=detail,
    )


def erase_confirmed(typed: str, phone: str) -> bool:
    """Erasing is irreversible: the person types the customer's whole phone number (or the word
    ERASE) exactly, surrounding spaces aside."""
    typed = typed.strip()
    return typed == ERASE_WORD or (bool(phone) and typed == phone)


def consent_problem(state: str, reason: str) -> str:
    """What is missing from a consent form, in a sentence ("" when nothing is); the service
    checks it again, in the API's terms."""
    if state not in customer_privacy.CONSENT_STATES:
        return "Choose whether the customer opted in or opted out."
    if not reason.strip():
        return 'Give a reason, e.g. "asked by phone to stop messages".'
    if len(reason.strip()) > customer_privacy.MAX_REASON:
        return f"Keep the reason under {customer_privacy.MAX_REASON} characters."
    return ""
