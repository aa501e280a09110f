"""A customer's export (the right of access, KVKK and GDPR alike): everything Recete holds about
them as one JSON document, for the dashboard, the REST API and the CLI.

Each export decrypts and gathers a whole history, so a store has a budget of them an hour. A
small one is made at once, in the request. A large one (more rows than
`RECETE_EXPORT_INLINE_MAX_ROWS`: messages, orders and scheduled messages together) would tie up
a request for too long, so it is queued: a worker makes it and keeps it, encrypted, for
`KEPT_FOR` to be downloaded; retention deletes it after that, and erasing the customer deletes
it at once. Asking again while one is being made returns that one and spends no budget.

Making an export is audited (`customer.exported`, who asked and whom, never what it held), and
so is each download of a prepared one.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend import audit, background_jobs, queueing
from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.background_jobs import DONE, FAILED
from recete_app.backend.commerce.customer_records import customer_record
from recete_app.backend.config import get_settings
from recete_app.backend.db import row_by_id, session_scope
from recete_app.backend.errors import Conflict, NotFound, RateLimited
from recete_app.backend.models import (
    Conversation,
    Customer,
    CustomerExport,
    Message,
    Order,
    ScheduledMessage,
)
from recete_app.backend.security.crypto import decrypt_field, encrypt_field
from recete_app.backend.security.fields import CUSTOMER_EXPORT
from recete_app.backend.security.rate_limits import (
    Limit,
    RateLimiter,
    default_limits,
    shared_rate_limiter,
)
from recete_app.backend.services.customer_privacy import customer_of

KEPT_FOR = timedelta(days=7)
Budget = tuple[RateLimiter, Limit]


@dataclass(frozen=True)
class PreparedExport:
    """A queued export and how far it has got; `expires_at` once it is ready."""

    id: uuid.UUID
    customer_id: uuid.UUID
    status: str  # JobStatus: queued, running, done, failed
    size_bytes: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class ExportOutcome:
    """Exactly one is set: the document, made at once, or the export queued to make it."""

    document: dict[str, Any] | None = None
    queued: PreparedExport | None = None


def request_export(
    person: Principal,
    customer_id: uuid.UUID | str,
    budget: Budget | None = None,
    *,
    in_process: bool = False,
) -> ExportOutcome:
    """The customer's export: made now when small (or `in_process`, for the CLI, where no
    request waits), else queued for a worker. `budget` is the front door's limiter and limit
    (the REST API's own), the process's shared one by default."""
    with session_scope(person.merchant_id) as session:
        customer = customer_of(session, customer_id)
        waiting = None if in_process else _in_the_making(session, customer.id)
        if waiting is not None:
            return ExportOutcome(queued=_prepared(waiting))
        _spend(person.merchant_id, budget)
        if in_process or _rows_of(session, customer.id) <= get_settings().export_inline_max_rows:
            return ExportOutcome(document=_made(session, person.actor, customer))
        queued, created = _queue(session, person, customer.id)
        if not created:  # another request queued it first, and enqueued it
            return ExportOutcome(queued=_prepared(queued))
        outcome = ExportOutcome(queued=_prepared(queued))
    queueing.enqueue(
        "make_customer_export", merchant_id=str(person.merchant_id), export_id=str(queued.id)
    )
    return outcome


def _queue(
    session: Session, person: Principal, customer_id: uuid.UUID
) -> tuple[CustomerExport, bool]:
    """A new export row (True), or the one a concurrent request just queued (False): the
    partial unique index lets only one be in the making."""
    queued = CustomerExport(
        merchant_id=person.merchant_id, customer_id=customer_id, actor=person.actor[:255]
    )
    try:
        with session.begin_nested():
            session.add(queued)
    except sa.exc.IntegrityError as exc:
        existing = _in_the_making(session, customer_id)
        if existing is None:  # the customer was erased meanwhile (the foreign key)
            raise NotFound("No such customer.", code="customer_not_found") from exc
        return existing, False
    return queued, True


def make_export(merchant_id: uuid.UUID, export_id: uuid.UUID) -> str | None:
    """Make a queued export (the worker's side). Returns its final status, or None when it is
    finished already, another worker has it, or the customer was erased meanwhile (which
    deleted the export too)."""
    with session_scope(merchant_id) as session:
        job = background_jobs.claim(session, CustomerExport, export_id)
        if job is None:
            return None
    try:
        return _fill(merchant_id, export_id)
    except (KeyboardInterrupt, SystemExit):
        raise  # the worker is stopping: the sweep resumes the export
    except BaseException as exc:
        # Recorded so the merchant sees it failed, rather than the sweep retrying it forever
        # (a queue's time limit is raised as a BaseException, not an Exception).
        _mark_failed(merchant_id, export_id, f"The export could not be made: {exc!r}")
        raise


def _fill(merchant_id: uuid.UUID, export_id: uuid.UUID) -> str | None:
    with session_scope(merchant_id) as session:
        job = session.get(CustomerExport, export_id, with_for_update=True)
        customer = session.get(Customer, job.customer_id) if job is not None else None
        if job is None or customer is None:
            return None
        text = json.dumps(_made(session, job.actor, customer), ensure_ascii=False)
        job.document = encrypt_field(text, CUSTOMER_EXPORT)
        job.size_bytes = len(text.encode())
        job.status, job.finished_at = DONE, datetime.now(UTC)
        return DONE


def read_export(merchant_id: uuid.UUID, export_id: uuid.UUID | str) -> PreparedExport:
    with session_scope(merchant_id) as session:
        return _prepared(_export(session, export_id))


def list_exports(merchant_id: uuid.UUID, customer_id: uuid.UUID | str) -> list[PreparedExport]:
    """The customer's queued exports, newest first (expired ones are gone or going)."""
    with session_scope(merchant_id) as session:
        customer = customer_of(session, customer_id)
        rows = session.exec(
            select(CustomerExport)
            .where(CustomerExport.customer_id == customer.id)
            .order_by(col(CustomerExport.created_at).desc())
            .limit(20)
        ).all()
        return [_prepared(row) for row in rows]


def download_export(person: Principal, export_id: uuid.UUID | str) -> tuple[uuid.UUID, str]:
    """A prepared export's customer and JSON text; each download is audited. Conflict while it
    is still being made (or if it failed), NotFound once it has expired."""
    with session_scope(person.merchant_id) as session:
        job = _export(session, export_id)
        if job.status != DONE or job.document is None:
            raise Conflict(
                job.error or "The export is still being prepared.", code="export_not_ready"
            )
        audit.record(
            session, person.actor, "customer.export_downloaded", target=str(job.customer_id)
        )
        return job.customer_id, decrypt_field(job.document, CUSTOMER_EXPORT)


def exports_to_resume(session: Session) -> list[uuid.UUID]:
    return background_jobs.jobs_to_resume(session, CustomerExport)


def forget_expired(merchant_id: uuid.UUID, now: datetime) -> int:
    """Delete the store's exports older than KEPT_FOR (their documents hold the person's data)."""
    with session_scope(merchant_id) as session:
        gone = session.execute(
            sa.delete(CustomerExport)
            .where(col(CustomerExport.created_at) < now - KEPT_FOR)
            .returning(col(CustomerExport.id))
        ).all()
        return len(gone)


def _mark_failed(merchant_id: uuid.UUID, export_id: uuid.UUID, error: str) -> None:
    with session_scope(merchant_id) as session:
        job = session.get(CustomerExport, export_id)
        if job is not None and job.status != DONE:
            job.status, job.error, job.finished_at = FAILED, error[:500], datetime.now(UTC)


def _made(session: Session, actor: str, customer: Customer) -> dict[str, Any]:
    document = customer_record(session, customer)
    document["exported_at"] = datetime.now(UTC).isoformat()
    audit.record(session, actor, "customer.exported", target=str(customer.id))
    return document


def _rows_of(session: Session, customer_id: uuid.UUID) -> int:
    """How large the customer's export would be, in rows (a few indexed counts)."""
    messages = (
        select(sa.func.count())
        .select_from(Message)
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(Conversation.customer_id == customer_id)
    )
    orders = select(sa.func.count()).where(Order.customer_id == customer_id)
    scheduled = select(sa.func.count()).where(ScheduledMessage.customer_id == customer_id)
    return sum(int(session.exec(query).one()) for query in (messages, orders, scheduled))


def _in_the_making(session: Session, customer_id: uuid.UUID) -> CustomerExport | None:
    return session.exec(
        select(CustomerExport).where(
            CustomerExport.customer_id == customer_id,
            col(CustomerExport.status).in_(background_jobs.ACTIVE),
        )
    ).first()


def _spend(merchant_id: uuid.UUID, budget: Budget | None) -> None:
    limiter, limit = budget or (shared_rate_limiter(), default_limits(get_settings())["export"])
    verdict = limiter.hit(limit, str(merchant_id))
    if not verdict.allowed:
        minutes = max(1, round(verdict.retry_after / 60))
        raise RateLimited(
            f"Too many exports this hour: try again in {minutes} minute(s).",
            retry_after=verdict.retry_after,
        )


def _export(session: Session, export_id: uuid.UUID | str) -> CustomerExport:
    job = row_by_id(session, CustomerExport, export_id)
    if job is None or job.created_at < datetime.now(UTC) - KEPT_FOR:
        raise NotFound("No such export (exports are kept for 7 days).", code="export_not_found")
    return job


def _prepared(job: CustomerExport) -> PreparedExport:
    expires = job.created_at + KEPT_FOR if job.status == DONE else None
    return PreparedExport(
        id=job.id,
        customer_id=job.customer_id,
        status=job.status,
        size_bytes=job.size_bytes,
        error=job.error,
        created_at=job.created_at,
        finished_at=job.finished_at,
        expires_at=expires,
    )
