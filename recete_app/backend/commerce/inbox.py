"""The inbox of accepted webhooks (`external_events`): stored before they are acknowledged,
processed later by an actor, swept up again if that never happened."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, or_, select

from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.errors import RecetError
from recete_app.backend.models import ExternalEvent

log = logging.getLogger(__name__)

PENDING, PROCESSED, IGNORED, FAILED = "pending", "processed", "ignored", "failed"
MAX_ATTEMPTS = 5
# An event still pending after this long was not picked up (dead Redis, crashed worker).
SWEEP_AFTER = timedelta(seconds=60)

# provider -> handler(session, event) -> outcome ("processed" or "ignored")
Handler = Callable[[Session, ExternalEvent], str]


@dataclass(frozen=True)
class Accepted:
    event_id: uuid.UUID | None  # None: a duplicate of an event already stored
    merchant_id: uuid.UUID
    status: str

    @property
    def duplicate(self) -> bool:
        return self.event_id is None


def json_object_text(raw: bytes) -> str:
    """The body as text, if it is a JSON object (what every store webhook sends)."""
    try:
        text = raw.decode("utf-8")
        parsed = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RecetError("The request body is not valid JSON.", code="malformed_json") from exc
    if not isinstance(parsed, dict):
        raise RecetError("The request body must be a JSON object.", code="malformed_json")
    return text


def store_event(
    session: Session,
    *,
    provider: str,
    external_id: str,
    topic: str,
    raw_body: str,
    headers: dict[str, Any],
    integration_id: uuid.UUID | None = None,
    status: str = PENDING,
) -> uuid.UUID | None:
    """Insert once per (provider, external id); a duplicate returns None and changes nothing."""
    statement = (
        insert(ExternalEvent)
        .values(
            id=uuid.uuid4(),
            merchant_id=current_merchant_id(session),
            integration_id=integration_id,
            provider=provider,
            external_id=external_id[:255],
            topic=topic[:100],
            raw_body=raw_body,
            headers=headers,
            status=status,
            attempts=0,
            received_at=datetime.now(UTC),
            processed_at=datetime.now(UTC) if status == IGNORED else None,
        )
        .on_conflict_do_nothing(constraint="uq_external_events_provider_id")
        .returning(col(ExternalEvent.id))
    )
    return session.execute(statement).scalar()


def process_event(merchant_id: uuid.UUID, event_id: uuid.UUID, handlers: dict[str, Handler]) -> str:
    """Process one stored event once. Safe to call any number of times, from any worker."""
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
            outcome = handlers[event.provider](session, event)
            event.status = outcome
            event.attempts += 1
            event.processed_at = datetime.now(UTC)
            event.error = None
            return outcome
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
