"""The sandbox channel's customer side: a merchant without a WhatsApp number writes as a
customer from the dashboard's simulator (or `POST /api/sandbox/messages`); outbound messages are
stored, never sent anywhere, and replies due at once are delivered before the call returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from recete_app.backend.agent.service import answer
from recete_app.backend.db import session_scope
from recete_app.backend.errors import Conflict, InvalidInput, NotFound
from recete_app.backend.journeys.delivery import send_due_now, send_scheduled
from recete_app.backend.messaging.channels import whatsapp_integration
from recete_app.backend.messaging.inbound import STORED, receive
from recete_app.backend.messaging.outbox.dispatch import claim_for_customer
from recete_app.backend.messaging.outbox.schedule import JOURNEY_STEP, SCHEDULED, TEXT_REPLY
from recete_app.backend.messaging.whatsapp.payloads import InboundMessage
from recete_app.backend.models import (
    Conversation,
    Customer,
    Message,
    MessageDirection,
    Order,
    ScheduledMessage,
)
from recete_app.backend.phones import InvalidPhoneError, normalize_phone
from recete_app.backend.security.crypto import blind_index

SANDBOX_NUMBER = "sandbox"
MAX_TEXT = 4096


@dataclass(frozen=True)
class SandboxReply:
    message_id: uuid.UUID
    text: str
    kind: str
    status: str


@dataclass(frozen=True)
class SandboxExchange:
    inbound_message_id: uuid.UUID
    conversation_id: uuid.UUID
    action: str  # opt_out | opt_in, or what the agent did: answer | escalate | decline | silent
    replies: list[SandboxReply]
    intent: str | None = None
    sources: list[dict[str, str]] = field(default_factory=list)


def write_as_customer(merchant_id: uuid.UUID, phone: str, text: str) -> SandboxExchange:
    if not text.strip() or len(text) > MAX_TEXT:
        raise InvalidInput("Write 1 to 4096 characters.", code="invalid_text")
    try:
        e164 = normalize_phone(phone)
    except InvalidPhoneError:
        raise InvalidInput(
            "The phone must be an international number, e.g. +905321234567.", code="invalid_phone"
        ) from None
    inbound = InboundMessage(
        phone_number_id=SANDBOX_NUMBER,
        message_id=f"sandbox.in.{uuid.uuid4().hex}",
        sender=e164.lstrip("+"),
        timestamp=datetime.now(UTC),
        kind="text",
        text=text.strip(),
        payload=None,
        media=None,
        profile_name=None,
        context_message_id=None,
    )
    with session_scope(merchant_id) as session:
        _require_sandbox(session)
        received = receive(session, inbound)
        if received is None:
            raise InvalidInput("The message could not be stored.", code="invalid_message")
    action, intent, sources = received.action, received.action, []
    if received.action == STORED:
        decisions = answer(merchant_id, received.conversation_id)
        if decisions:
            last = decisions[-1]
            action, intent = last.action, last.intent
            sources = [_source(s.product, s.section) for s in last.sources]
    send_due_now(merchant_id, received.customer_id, (TEXT_REPLY,))
    with session_scope(merchant_id) as session:
        replies = _replies_after(session, received.conversation_id, received.message_id)
    return SandboxExchange(
        received.message_id, received.conversation_id, action, replies, intent, sources
    )


def _source(product: str, section: str) -> dict[str, str]:
    return {"product": product, "section": section}


def send_step_now(merchant_id: uuid.UUID, scheduled_id: uuid.UUID) -> str:
    """Preview a planned journey step on the sandbox now, whatever its day (quiet hours and the
    one-a-day rule are for real customers)."""
    with session_scope(merchant_id) as session:
        _require_sandbox(session)
        row = session.get(ScheduledMessage, scheduled_id, with_for_update=True)
        if row is None or row.kind != JOURNEY_STEP:
            raise NotFound("No such planned step.")
        if row.status != SCHEDULED:
            raise Conflict(f"This step is {row.status}, not waiting to be sent.")
        row.due_at = datetime.now(UTC)
        row.payload = {**row.payload, "preview": True}
        session.flush()
        claims = claim_for_customer(session, row.customer_id, (JOURNEY_STEP,))
    outcome = "not_due"
    for row_id, claim in claims:
        result = send_scheduled(merchant_id, row_id, claim)
        if row_id == scheduled_id:
            outcome = result
    return outcome


NOT_SANDBOX = (
    "This store has a WhatsApp number connected: the simulator works in sandbox mode only."
)


def sandbox_unavailable(session: Session) -> str | None:
    """Why the simulator cannot be used for this store (None when it can)."""
    return NOT_SANDBOX if whatsapp_integration(session) is not None else None


def _require_sandbox(session: Session) -> None:
    reason = sandbox_unavailable(session)
    if reason is not None:
        raise Conflict(reason, code="not_sandbox")


def _replies_after(
    session: Session, conversation_id: uuid.UUID, inbound_id: uuid.UUID
) -> list[SandboxReply]:
    inbound = session.get_one(Message, inbound_id)
    rows = session.exec(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == MessageDirection.OUTBOUND,
            col(Message.created_at) >= inbound.created_at,
        )
        .order_by(col(Message.created_at))
    ).all()
    return [SandboxReply(m.id, m.body, m.kind, m.status) for m in rows]


@dataclass(frozen=True)
class ThreadMessage:
    id: uuid.UUID
    direction: str
    author: str
    text: str
    status: str
    at: datetime


@dataclass(frozen=True)
class PlannedStep:
    id: uuid.UUID
    order_name: str
    due_at: datetime
    status: str


def _customer(session: Session, phone: str) -> Customer | None:
    try:
        e164 = normalize_phone(phone)
    except InvalidPhoneError:
        return None
    return session.exec(select(Customer).where(Customer.phone_index == blind_index(e164))).first()


def thread(session: Session, phone: str, limit: int = 100) -> list[ThreadMessage]:
    """The simulated customer's conversation, oldest first."""
    customer = _customer(session, phone)
    if customer is None:
        return []
    rows = session.exec(
        select(Message)
        .join(Conversation, col(Conversation.id) == Message.conversation_id)
        .where(Conversation.customer_id == customer.id)
        .order_by(col(Message.created_at).desc())
        .limit(limit)
    ).all()
    return [
        ThreadMessage(m.id, m.direction, m.author, m.body, m.status, m.created_at)
        for m in reversed(rows)
    ]


def planned_steps(session: Session, phone: str) -> list[PlannedStep]:
    """Journey steps waiting for this customer: the simulator can send each one now."""
    customer = _customer(session, phone)
    if customer is None:
        return []
    rows = session.exec(
        select(ScheduledMessage, Order.name)
        .join(Order, col(Order.id) == ScheduledMessage.order_id)
        .where(
            ScheduledMessage.customer_id == customer.id,
            ScheduledMessage.kind == JOURNEY_STEP,
            ScheduledMessage.status == SCHEDULED,
        )
        .order_by(col(ScheduledMessage.due_at))
    ).all()
    return [PlannedStep(row.id, name, row.due_at, row.status) for row, name in rows]
