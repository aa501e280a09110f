"""What a person does in the inbox: take a conversation over from the AI, answer it (free text
inside the 24-hour window, a journey template outside it), hand it back, close it, and resume
the journey messages a reaction paused. Which status allows which is `inbox_rules`. Each change
is audited; the caller commits, then sends the customer's due messages so the reply leaves at
once instead of on the dispatcher's next tick (`journeys.delivery.send_now`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend import audit
from recete_app.backend.analytics.agent_facts import record_person_reply
from recete_app.backend.errors import Conflict, InvalidInput, NotFound
from recete_app.backend.messaging.conversations import window_open
from recete_app.backend.messaging.inbox_rules import (
    can_close,
    can_hand_back,
    can_reply,
    can_take_over,
    holds,
)
from recete_app.backend.messaging.outbox.schedule import (
    CANCELLED,
    JOURNEY_STEP,
    SCHEDULED,
    outbound_row,
    schedule_reply,
)
from recete_app.backend.models import (
    Conversation,
    ConversationStatus,
    Customer,
    JourneyStep,
    Order,
    ScheduledMessage,
)

MAX_TEXT = 4096
WINDOW_CLOSED = (
    "The customer's 24-hour window is closed: WhatsApp allows only an approved template now. "
    "Send one of your journey templates instead."
)


@dataclass(frozen=True)
class Queued:
    """A person's message, scheduled; the caller commits it, then sends it."""

    conversation_id: uuid.UUID
    customer_id: uuid.UUID
    scheduled_id: uuid.UUID


def _actor(account_id: uuid.UUID | None, actor: str | None) -> str:
    if actor:
        return actor
    return f"account:{account_id}" if account_id else "system"


def _conversation(session: Session, conversation_id: uuid.UUID) -> Conversation:
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    return conversation


def _refuse_if_closed(conversation: Conversation) -> None:
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("This conversation is closed.", code="conversation_closed")


def _audit(
    session: Session, actor: str, action: str, conversation: Conversation, **details: object
) -> None:
    audit.record(session, actor, action, f"conversation:{conversation.id}", **details)


def take_over(
    session: Session,
    conversation_id: uuid.UUID,
    account_id: uuid.UUID | None,
    *,
    actor: str | None = None,
) -> Conversation:
    """A person owns the conversation from now on (taking it from a colleague too): the AI
    stays silent in it."""
    conversation = _conversation(session, conversation_id)
    if holds(conversation.status, conversation.assigned_account_id, account_id):
        return conversation  # theirs already: a retried click changes nothing
    if not can_take_over(conversation.status):
        raise Conflict("This conversation is closed.", code="conversation_closed")
    previous = conversation.status
    conversation.status = ConversationStatus.HUMAN
    conversation.assigned_account_id = account_id
    session.flush()
    _audit(
        session,
        _actor(account_id, actor),
        "conversation.taken_over",
        conversation,
        previous=previous,
    )
    return conversation


def hand_back(
    session: Session,
    conversation_id: uuid.UUID,
    account_id: uuid.UUID | None = None,
    *,
    actor: str | None = None,
) -> Conversation:
    """The AI answers again; the escalation is resolved. The AI's own conversation is left as it
    is (nothing to hand back: like closing a closed one, not an error)."""
    conversation = _conversation(session, conversation_id)
    if not can_hand_back(conversation.status):
        _refuse_if_closed(conversation)
        return conversation
    conversation.status = ConversationStatus.AI
    conversation.urgent = False
    conversation.escalation_reason = None
    conversation.escalated_at = None
    conversation.assigned_account_id = None
    session.flush()
    _audit(session, _actor(account_id, actor), "conversation.handed_back", conversation)
    return conversation


def close(
    session: Session,
    conversation_id: uuid.UUID,
    account_id: uuid.UUID | None = None,
    *,
    actor: str | None = None,
) -> Conversation:
    """Done: the customer's next message opens a new conversation."""
    conversation = _conversation(session, conversation_id)
    if can_close(conversation.status):
        conversation.status = ConversationStatus.CLOSED
        conversation.urgent = False
        session.flush()
        _audit(session, _actor(account_id, actor), "conversation.closed", conversation)
    return conversation


def resume_proactive(
    session: Session,
    customer_id: uuid.UUID,
    account_id: uuid.UUID | None = None,
    *,
    actor: str | None = None,
) -> int:
    """Clear the pause on journey messages; the steps the pause cancelled are planned again
    (each is checked again when it is sent). Returns how many came back."""
    customer = session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise NotFound("No such customer.", code="customer_not_found")
    reason = customer.proactive_paused_reason
    customer.proactive_paused_at = None
    customer.proactive_paused_reason = None
    restored = 0
    if reason:
        result = session.execute(
            sa.update(ScheduledMessage)
            .where(
                col(ScheduledMessage.customer_id) == customer.id,
                col(ScheduledMessage.kind) == JOURNEY_STEP,
                col(ScheduledMessage.status) == CANCELLED,
                col(ScheduledMessage.last_error) == reason,
            )
            .values(status=SCHEDULED, last_error=None, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        restored = int(result.rowcount)  # type: ignore[attr-defined]
    session.flush()
    audit.record(
        session,
        _actor(account_id, actor),
        "customer.proactive_resumed",
        f"customer:{customer.id}",
        restored=restored,
    )
    return restored


def _owned_by_person(
    session: Session, conversation_id: uuid.UUID, account_id: uuid.UUID | None, actor: str
) -> Conversation:
    """The conversation a person may write in (the caller writes in it): one a person holds, or
    one waiting for a person (taken over on the spot)."""
    conversation = _conversation(session, conversation_id)
    if not can_reply(conversation.status):
        _refuse_if_closed(conversation)
        raise Conflict(
            "The AI is answering this conversation: take it over first.", code="not_taken_over"
        )
    if conversation.status == ConversationStatus.NEEDS_HUMAN:
        take_over(session, conversation.id, account_id, actor=actor)
    # A person writes now: the escalation's first reply (a later one adds nothing).
    record_person_reply(session, conversation, datetime.now(UTC))
    return conversation


def reply_as_person(
    session: Session,
    conversation_id: uuid.UUID,
    account_id: uuid.UUID | None,
    text: str,
    *,
    actor: str | None = None,
) -> Queued:
    """A free-form reply from a person, due now (inside the 24-hour window only)."""
    body = (text or "").strip()
    if not body or len(body) > MAX_TEXT:
        raise InvalidInput("Write 1 to 4096 characters.", code="invalid_text")
    who = _actor(account_id, actor)
    conversation = _owned_by_person(session, conversation_id, account_id, who)
    if not window_open(conversation):
        raise Conflict(WINDOW_CLOSED, code="window_closed")
    key = f"human:{uuid.uuid4()}"
    details = {"by_account": str(account_id) if account_id else None, "by": who}
    schedule_reply(
        session,
        conversation.customer_id,
        text=body,
        key=key,
        author="human",
        extra={"details": details},
    )
    _audit(session, who, "conversation.replied", conversation)
    return Queued(conversation.id, conversation.customer_id, _scheduled_id(session, key))


def send_template_as_person(
    session: Session,
    conversation_id: uuid.UUID,
    account_id: uuid.UUID | None,
    step_id: uuid.UUID,
    *,
    actor: str | None = None,
) -> Queued:
    """A journey step's template for the customer's latest order, due now: allowed outside the
    window, and not held back by quiet hours or the one-a-day rule (a person chose to send it)."""
    who = _actor(account_id, actor)
    conversation = _owned_by_person(session, conversation_id, account_id, who)
    step = session.get(JourneyStep, step_id)
    if step is None or not step.enabled:
        raise NotFound("No such journey step (or it is turned off).", code="step_not_found")
    customer = session.get_one(Customer, conversation.customer_id)
    if customer.consent_state != "opted_in":
        raise Conflict(
            "The customer has not opted in to WhatsApp messages: no template may be sent.",
            code="not_opted_in",
        )
    order = session.exec(
        select(Order)
        .where(Order.customer_id == customer.id)
        .order_by(col(Order.placed_at).desc().nulls_last(), col(Order.created_at).desc())
        .limit(1)
    ).first()
    if order is None:
        raise Conflict("The customer has no order to send a template about.", code="no_order")
    key = f"human-template:{uuid.uuid4()}"
    row = _template_row(session, customer.id, order.id, step.id, key)
    _audit(session, who, "conversation.template_sent", conversation, step=step.position)
    return Queued(conversation.id, customer.id, row.id)


def _template_row(
    session: Session, customer_id: uuid.UUID, order_id: uuid.UUID, step_id: uuid.UUID, key: str
) -> ScheduledMessage:
    row = outbound_row(
        session,
        customer_id,
        kind=JOURNEY_STEP,
        key=key,
        payload={"by_person": True, "author": "human"},
        order_id=order_id,
        step_id=step_id,
    )
    session.add(row)
    session.flush()
    return row


def _scheduled_id(session: Session, key: str) -> uuid.UUID:
    return session.exec(
        select(ScheduledMessage.id).where(ScheduledMessage.idempotency_key == key)
    ).one()
