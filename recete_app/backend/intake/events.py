"""The inbox of accepted webhooks (`external_events`): stored before they are acknowledged,
processed later by an actor, swept up again if that never happened."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from prometheus_client import Histogram
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, or_, select

from recete_app.backend.db import execute_alone, session_scope, tenant_scope_source
from recete_app.backend.errors import RecetError
from recete_app.backend.models import ExternalEvent
from recete_app.backend.security.crypto import decrypt_field, encrypt_field
from recete_app.backend.security.fields import WEBHOOK_BODY

log = logging.getLogger(__name__)

PENDING, PROCESSED, IGNORED, FAILED = "pending", "processed", "ignored", "failed"
PROCESSING_LAG = Histogram(
    "recete_webhook_processing_lag_seconds",
    "From a webhook's arrival to its processing (each attempt), by provider.",
    ["provider"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 15, 30, 60, 120, 300, 900, 3600),
)
# Signed, but not what its topic says (a body re-sent under another topic) or not acted on
# (a destructive topic that makes no sense now): kept with the reason, nothing changed.
REFUSED = "refused"
FINAL_ON_ARRIVAL = (IGNORED, REFUSED)
MAX_ATTEMPTS = 5
# An event still pending after this long was not picked up (dead Redis, crashed worker).
SWEEP_AFTER = timedelta(seconds=60)

BATCH_SIZE = 25

# provider -> handler(session, event) -> outcome ("processed" or "ignored")
Handler = Callable[[Session, ExternalEvent], str]


class _BatchedOutcomes:
    """Outcomes of events processed in another event's batch, kept until the event's own queue
    message asks (once), so that message costs no database round trip. Bounded: an entry whose
    message never comes (the sweep found it first) is dropped eventually; the database says
    "done" then."""

    def __init__(self, limit: int = 10_000) -> None:
        self._outcomes: OrderedDict[uuid.UUID, str] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def put(self, event_id: uuid.UUID, outcome: str) -> None:
        if outcome == FAILED:
            return  # a failure is retried by the sweep; its message should try again now
        with self._lock:
            self._outcomes[event_id] = outcome
            while len(self._outcomes) > self._limit:
                self._outcomes.popitem(last=False)

    def take(self, event_id: uuid.UUID) -> str | None:
        with self._lock:
            return self._outcomes.pop(event_id, None)


_batched = _BatchedOutcomes()


@dataclass(frozen=True)
class Accepted:
    event_id: uuid.UUID | None  # None: a duplicate of an event already stored
    merchant_id: uuid.UUID
    status: str

    @property
    def duplicate(self) -> bool:
        return self.event_id is None


class Refused(RecetError):
    """A handler's verdict that a stored event must change nothing; its message is the reason
    kept on the event."""

    code = "refused"


def event_payload_text(event: ExternalEvent) -> str:
    return decrypt_field(event.raw_body, WEBHOOK_BODY)


def event_payload(event: ExternalEvent) -> dict[str, Any]:
    """The stored body, decrypted. It was parsed with bounds before it was stored."""
    payload: dict[str, Any] = json.loads(event_payload_text(event))
    return payload


def sealed_body(text: str) -> str:
    """A body as stored: encrypted like every other field that can carry a phone or an email."""
    return encrypt_field(text, WEBHOOK_BODY)


_STORED_COLUMNS = (
    "id",
    "merchant_id",
    "integration_id",
    "provider",
    "external_id",
    "topic",
    "raw_body",
    "headers",
    "status",
    "error",
    "attempts",
    "received_at",
    "processed_at",
)


def _store_statement() -> Any:
    """INSERT ... SELECT <parameters> FROM <tenant scope> ON CONFLICT DO NOTHING RETURNING id.

    Built once and run with parameters: constructing it per webhook cost more Python time than
    the database took to run it. Scoping inside the statement and running it alone (autocommit)
    makes storing a webhook one round trip instead of four.
    """
    table = ExternalEvent.__table__  # type: ignore[attr-defined]
    values = [
        sa.cast(sa.bindparam(name, type_=table.c[name].type), table.c[name].type)
        for name in _STORED_COLUMNS
    ]
    rows = sa.select(*values).select_from(tenant_scope_source())
    return (
        insert(table)
        .from_select(list(_STORED_COLUMNS), rows)
        .on_conflict_do_nothing(constraint="uq_external_events_provider_id")
        .returning(table.c.id)
    )


_STORE = _store_statement()


def store_event(
    merchant_id: uuid.UUID,
    *,
    provider: str,
    external_id: str,
    topic: str,
    raw_body: str,
    headers: dict[str, Any],
    integration_id: uuid.UUID | None = None,
    status: str = PENDING,
    error: str | None = None,
) -> uuid.UUID | None:
    """Insert once per (provider, external id), committed when this returns; a duplicate
    returns None and changes nothing. The body is stored encrypted."""
    now = datetime.now(UTC)
    values = {
        "scope_merchant_id": str(merchant_id),
        "id": uuid.uuid4(),
        "merchant_id": merchant_id,
        "integration_id": integration_id,
        "provider": provider,
        "external_id": external_id[:255],
        "topic": topic[:100],
        "raw_body": sealed_body(raw_body),
        "headers": headers,
        "status": status,
        "error": error,
        "attempts": 0,
        "received_at": now,
        "processed_at": now if status in FINAL_ON_ARRIVAL else None,
    }
    rows = execute_alone(_STORE, values)
    return rows[0][0] if rows else None


def process_event(merchant_id: uuid.UUID, event_id: uuid.UUID, handlers: dict[str, Handler]) -> str:
    """Process one stored event once. Safe to call any number of times, from any worker.

    The event is processed together with up to BATCH_SIZE - 1 other pending events of the same
    merchant, in one transaction: a burst of webhooks then costs a few statements per order
    instead of a transaction each. Their own queue messages, arriving later, find them done.
    """
    already = _batched.take(event_id)
    if already is not None:
        return already
    try:
        outcomes = _process_batch(merchant_id, event_id, handlers)
    except Exception:
        log.warning("batch with %s failed; processing its events one by one", event_id)
        return _process_one_by_one(merchant_id, event_id, handlers)
    for other_id, outcome in outcomes.items():
        if other_id != event_id:
            _batched.put(other_id, outcome)
    return outcomes.get(event_id, "skipped")


def _process_batch(
    merchant_id: uuid.UUID, event_id: uuid.UUID, handlers: dict[str, Handler]
) -> dict[uuid.UUID, str]:
    with session_scope(merchant_id) as session:
        events = _claim_batch(session, event_id)
        for event in events:
            _apply(session, event, handlers)
        return {event.id: event.status for event in events}


def _claim_batch(session: Session, event_id: uuid.UUID) -> Sequence[ExternalEvent]:
    """The event asked for (pending, or failed and due again) and the oldest other pending
    ones, in the order they arrived; rows another worker holds are skipped, not waited for.
    The asked one is sure to be claimed, not to go first: a privacy request applied before the
    order that named the person would find no one to erase, and the order would then add them."""
    asked = (col(ExternalEvent.id) == event_id) & col(ExternalEvent.status).in_((PENDING, FAILED))
    others = (col(ExternalEvent.status) == PENDING) & (col(ExternalEvent.id) != event_id)
    claimed = session.exec(
        select(ExternalEvent)
        .where(or_(asked, others))
        .order_by((col(ExternalEvent.id) == event_id).desc(), col(ExternalEvent.received_at))
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    ).all()
    return sorted(claimed, key=lambda event: (event.received_at, str(event.id)))


def _apply(session: Session, event: ExternalEvent, handlers: dict[str, Handler]) -> None:
    if event.status == IGNORED:  # given up by an earlier event of the batch (a privacy request)
        return
    try:
        event.status, event.error = handlers[event.provider](session, event), None
    except Refused as refusal:  # raised before the handler changed anything
        event.status, event.error = REFUSED, refusal.message[:1000]
    event.attempts += 1
    event.processed_at = datetime.now(UTC)
    PROCESSING_LAG.labels(event.provider).observe(
        (event.processed_at - event.received_at).total_seconds()
    )


def _process_one_by_one(
    merchant_id: uuid.UUID, event_id: uuid.UUID, handlers: dict[str, Handler]
) -> str:
    """After a failed batch: every event on its own, so one bad event fails alone."""
    with session_scope(merchant_id) as session:
        batch = [event.id for event in _claim_batch(session, event_id)]
    outcome = "skipped"
    for one_id in batch:
        result = _process_alone(merchant_id, one_id, handlers)
        if one_id == event_id:
            outcome = result
        else:
            _batched.put(one_id, result)
    return outcome


def _process_alone(
    merchant_id: uuid.UUID, event_id: uuid.UUID, handlers: dict[str, Handler]
) -> str:
    try:
        with session_scope(merchant_id) as session:
            event = session.exec(
                select(ExternalEvent)
                .where(
                    ExternalEvent.id == event_id, col(ExternalEvent.status).in_((PENDING, FAILED))
                )
                .with_for_update(skip_locked=True)
            ).first()
            if event is None:
                return "skipped"  # done already, or another worker holds it right now
            _apply(session, event, handlers)
            return event.status
    except Exception as exc:
        log.exception("processing %s failed", event_id)
        _record_failure(merchant_id, event_id, exc)
        return FAILED


def _record_failure(merchant_id: uuid.UUID, event_id: uuid.UUID, exc: Exception) -> None:
    with session_scope(merchant_id) as session:
        event = session.get(ExternalEvent, event_id, with_for_update=True)
        if event is None or event.status == PROCESSED:
            return
        event.attempts += 1
        event.status = FAILED
        event.error = f"{type(exc).__name__}: {exc}"[:1000]
        event.processed_at = datetime.now(UTC)


def due_for_retry(session: Session, now: datetime | None = None) -> list[uuid.UUID]:
    """Events nobody processed (pending for a while) and failures still worth retrying
    (exponential back-off: 1, 2, 4, 8 minutes)."""
    now = now or datetime.now(UTC)
    # Only the columns the decision needs: a retry batch must not drag 500 raw bodies along.
    rows = session.exec(
        select(
            ExternalEvent.id,
            ExternalEvent.status,
            ExternalEvent.attempts,
            ExternalEvent.processed_at,
        )
        .where(
            or_(
                (col(ExternalEvent.status) == PENDING)
                & (col(ExternalEvent.received_at) <= now - SWEEP_AFTER),
                (col(ExternalEvent.status) == FAILED)
                & (col(ExternalEvent.attempts) < MAX_ATTEMPTS),
            )
        )
        .order_by(col(ExternalEvent.received_at))
        .limit(500)
    ).all()
    return [
        event_id
        for event_id, status, attempts, last_try in rows
        if status == PENDING
        or last_try is None
        or last_try <= now - timedelta(minutes=2 ** max(attempts - 1, 0))
    ]
