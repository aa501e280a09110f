"""What a failed send becomes: retried later with backoff, failed with its reason, paused while
the number's token is expired, or `unknown` when the request may have reached WhatsApp."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter
from sqlmodel import Session

from recete_app.backend.analytics.events import fact_about, record_facts
from recete_app.backend.messaging.channels import whatsapp_integration
from recete_app.backend.messaging.conversations import SERVICE_WINDOW, open_conversation
from recete_app.backend.messaging.outbox.schedule import (
    FAILED,
    PAUSED,
    SCHEDULED,
    SENDING,
    TEXT_REPLY,
    UNKNOWN,
)
from recete_app.backend.messaging.whatsapp.errors import (
    WhatsAppApiError,
    WhatsAppError,
    WhatsAppTransportError,
)
from recete_app.backend.models import (
    AnalyticsEventName,
    Customer,
    IntegrationStatus,
    ScheduledMessage,
)

log = logging.getLogger(__name__)
SEND_FAILURES = Counter(
    "recete_outbox_send_failures_total",
    "Sends that failed, by what became of the message (retrying, failed, paused, unknown) and "
    "Meta's error code (`transport` when no answer came back).",
    ["outcome", "code"],
)

FAILED_FACT = AnalyticsEventName.FAILED
MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


def settle(row: ScheduledMessage, status: str, reason: str | None) -> None:
    row.status = status
    row.last_error = reason
    row.lease_until = None
    row.request_started_at = None
    row.updated_at = datetime.now(UTC)


def record_failure(session: Session, row: ScheduledMessage, exc: Exception) -> str:
    """The row's send raised `exc`; the row is locked by the caller."""
    if row.status != SENDING:
        return row.status  # reconciled meanwhile
    outcome = _record_failure(session, row, exc)
    SEND_FAILURES.labels(outcome, _code(exc)).inc()
    if outcome == FAILED:
        # Refused for good before it left: the day it was tried is the day it counts on.
        details = {**(row.payload.get("details") or {}), "scheduled_message_id": str(row.id)}
        why = {"code": _code(exc), "title": str(exc)[:200]}
        record_facts(session, fact_about(FAILED_FACT, details, datetime.now(UTC), why))
    return outcome


def _code(exc: Exception) -> str:
    if isinstance(exc, WhatsAppApiError):
        return str(exc.graph_code) if exc.graph_code is not None else str(exc.http_status)
    return "transport"


def _record_failure(session: Session, row: ScheduledMessage, exc: Exception) -> str:
    now = datetime.now(UTC)
    if isinstance(exc, WhatsAppApiError) and exc.kind == "token_expired":
        _mark_broken(session, str(exc))
        settle(row, PAUSED, str(exc))
        return PAUSED
    if _may_have_arrived(exc):
        row.status, row.last_error, row.lease_until = UNKNOWN, _unknown_reason(exc), None
        return UNKNOWN
    if not _transient(exc) or row.attempts >= MAX_ATTEMPTS:
        settle(row, FAILED, str(exc)[:1000])
        return FAILED
    retry_at = now + _backoff(row.attempts, exc)
    if row.kind == TEXT_REPLY and retry_at > _window_end(session, row):
        settle(row, FAILED, f"{exc} (no retry: the 24-hour window ends first)")
        return FAILED
    settle(row, SCHEDULED, f"Retrying after: {exc}"[:1000])
    row.due_at = retry_at
    return "retrying"


def _transient(exc: Exception) -> bool:
    # Meta's temporary errors, and failures before the request left.
    return isinstance(exc, WhatsAppError) and exc.retryable


def _may_have_arrived(exc: Exception) -> bool:
    if isinstance(exc, WhatsAppTransportError):
        return exc.request_sent
    return isinstance(exc, WhatsAppError) and not isinstance(exc, WhatsAppApiError)


def _unknown_reason(exc: Exception) -> str:
    return (
        f"The request may have reached WhatsApp but its answer was lost ({exc}); "
        "waiting for WhatsApp's status report before deciding."
    )[:1000]


def _backoff(attempts: int, exc: Exception) -> timedelta:
    """Exponential with full jitter between half and the whole step; Meta's Retry-After wins."""
    step = min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_MAX)
    delay: timedelta = step * random.uniform(0.5, 1.0)  # noqa: S311
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int | float) and retry_after > delay.total_seconds():
        return timedelta(seconds=float(retry_after))
    return delay


def _window_end(session: Session, row: ScheduledMessage) -> datetime:
    customer = session.get_one(Customer, row.customer_id)
    conversation = open_conversation(session, customer)
    return conversation.window_expires_at or (row.created_at + SERVICE_WINDOW)


def _mark_broken(session: Session, reason: str) -> None:
    integration = whatsapp_integration(session)
    if integration is not None and integration.status != IntegrationStatus.BROKEN:
        integration.status = IntegrationStatus.BROKEN
        integration.last_error = reason[:1000]
        log.warning("WhatsApp number %s marked broken: %s", integration.external_id, reason)
