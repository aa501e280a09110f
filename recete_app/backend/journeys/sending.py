"""Sending one due message, exactly once.

Two short transactions around the request. The first moves the row from `queued` to `sending`
and stamps `request_started_at`; the second records the provider's message id. A worker that
dies between them leaves a `sending` row whose request may have left: the sweeper marks it
`unknown`, and the status webhook Meta sends for every accepted message (tagged with this row's
id in `biz_opaque_callback_data`) reconciles it. Nothing is resent blindly.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from recete_app.backend.db import session_scope
from recete_app.backend.journeys.composing import Later, Ready, Stop, compose
from recete_app.backend.journeys.dispatch import claim_for_customer
from recete_app.backend.journeys.schedule import (
    FAILED,
    PAUSED,
    QUEUED,
    SCHEDULED,
    SENDING,
    SENT,
    TEXT_REPLY,
    UNKNOWN,
)
from recete_app.backend.messaging.channels import (
    BROKEN,
    Channel,
    channel_for,
    whatsapp_integration,
)
from recete_app.backend.messaging.conversations import (
    SERVICE_WINDOW,
    add_outbound,
    open_conversation,
)
from recete_app.backend.messaging.whatsapp.errors import (
    WhatsAppApiError,
    WhatsAppError,
    WhatsAppTransportError,
)
from recete_app.backend.models import Customer, ScheduledMessage

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
CALLBACK_PREFIX = "sm:"


def callback_data(scheduled_id: uuid.UUID) -> str:
    return f"{CALLBACK_PREFIX}{scheduled_id}"


def send_scheduled(merchant_id: uuid.UUID, scheduled_id: uuid.UUID, claim: int) -> str:
    """Send the row if this claim still owns it; returns what became of it."""
    started = _start(merchant_id, scheduled_id, claim)
    if isinstance(started, str):
        return started
    channel, ready = started
    try:
        sent = channel.send(ready.outgoing, callback_data(scheduled_id))
    except (WhatsAppError, ValueError) as exc:
        return _record_failure(merchant_id, scheduled_id, exc)
    with session_scope(merchant_id) as session:
        row = session.get_one(ScheduledMessage, scheduled_id, with_for_update=True)
        record_delivery(session, row, sent.message_id, channel.status_on_send)
    return SENT


def send_due_now(
    merchant_id: uuid.UUID, customer_id: uuid.UUID, kinds: tuple[str, ...]
) -> dict[uuid.UUID, str]:
    """Send a customer's due rows of these kinds at once (a reply, a person's message), not on
    the dispatcher's next tick: what became of each, by row id. The caller has committed them."""
    with session_scope(merchant_id) as session:
        claims = claim_for_customer(session, customer_id, kinds)
    return {row_id: send_scheduled(merchant_id, row_id, claim) for row_id, claim in claims}


def _start(
    merchant_id: uuid.UUID, scheduled_id: uuid.UUID, claim: int
) -> str | tuple[Channel, Ready]:
    now = datetime.now(UTC)
    with session_scope(merchant_id) as session:
        row = session.exec(
            select(ScheduledMessage)
            .where(
                ScheduledMessage.id == scheduled_id,
                ScheduledMessage.status == QUEUED,
                ScheduledMessage.claims == claim,
            )
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return "not_queued"  # sent, cancelled, or re-claimed since this claim
        channel = channel_for(session)
        if channel is None:
            _settle(row, PAUSED, "The WhatsApp number's access token expired: reconnect it.")
            return PAUSED
        decision = compose(session, row, now)
        if isinstance(decision, Stop):
            _settle(row, decision.status, decision.reason)
            return decision.status
        if isinstance(decision, Later):
            _settle(row, SCHEDULED, decision.reason)
            row.due_at = decision.due_at
            return "moved"
        # Kept so a send whose answer is lost can still be recorded when WhatsApp reports it.
        row.payload = {
            **row.payload,
            "text": decision.outgoing.text,
            "message_kind": decision.kind,
            "details": decision.details,
        }
        row.status = SENDING
        row.attempts += 1
        row.request_started_at = now
        row.lease_until = now + SEND_LEASE
        row.updated_at = now
        return channel, decision


def _settle(row: ScheduledMessage, status: str, reason: str | None) -> None:
    row.status = status
    row.last_error = reason
    row.lease_until = None
    row.request_started_at = None
    row.updated_at = datetime.now(UTC)


def record_delivery(
    session: Session,
    row: ScheduledMessage,
    provider_message_id: str,
    status: str,
) -> None:
    """The row went out as `provider_message_id`: store it in the customer's conversation, from
    what `_start` kept on the row before the request. Also the reconciliation path (a status
    webhook for a row whose answer was lost)."""
    customer = session.get_one(Customer, row.customer_id)
    conversation = open_conversation(session, customer)
    kept = row.payload
    message = add_outbound(
        session,
        conversation,
        body=str(kept.get("text", "")),
        kind=str(kept.get("message_kind", "template")),
        author=str(kept.get("author", "system")),
        intent=kept.get("intent"),
        sources=kept.get("sources") or [],
        provider_message_id=provider_message_id,
        status=status,
        details={**(kept.get("details") or {}), "scheduled_message_id": str(row.id)},
    )
    now = datetime.now(UTC)
    row.status, row.message_id, row.sent_at = SENT, message.id, now
    row.lease_until, row.last_error, row.updated_at = None, None, now


def _record_failure(merchant_id: uuid.UUID, scheduled_id: uuid.UUID, exc: Exception) -> str:
    now = datetime.now(UTC)
    with session_scope(merchant_id) as session:
        row = session.get_one(ScheduledMessage, scheduled_id, with_for_update=True)
        if row.status != SENDING:
            return row.status  # reconciled meanwhile
        if isinstance(exc, WhatsAppApiError) and exc.kind == "token_expired":
            _mark_broken(session, str(exc))
            _settle(row, PAUSED, str(exc))
            return PAUSED
        if _may_have_arrived(exc):
            row.status, row.last_error, row.lease_until = UNKNOWN, _unknown_reason(exc), None
            return UNKNOWN
        if not _transient(exc) or row.attempts >= MAX_ATTEMPTS:
            _settle(row, FAILED, str(exc)[:1000])
            return FAILED
        retry_at = now + _backoff(row.attempts, exc)
        if row.kind == TEXT_REPLY and retry_at > _window_end(session, row):
            _settle(row, FAILED, f"{exc} (no retry: the 24-hour window ends first)")
            return FAILED
        _settle(row, SCHEDULED, f"Retrying after: {exc}"[:1000])
        row.due_at = retry_at
        return "retrying"


def _transient(exc: Exception) -> bool:
    if isinstance(exc, WhatsAppApiError):
        return exc.kind == "transient"
    return isinstance(exc, WhatsAppTransportError) and not exc.request_sent


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
    if integration is not None and integration.status != BROKEN:
        integration.status = BROKEN
        integration.last_error = reason[:1000]
        log.warning("WhatsApp number %s marked broken: %s", integration.external_id, reason)
