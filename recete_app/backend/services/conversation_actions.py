"""What a person does with a conversation, one function per action, for the dashboard and the
REST API alike: take over, hand back, close, resume journey messages, reply and send, send a
template. Each opens its own transaction and commits once; a message is sent only after that
commit, so the sender finds the row it is about.

Ids arrive as the front door has them (the dashboard keeps them as text): one that is not an id
at all names nothing, so it is `NotFound`, like an id of another merchant's conversation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from recete_app.backend import idempotency
from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.db import session_scope
from recete_app.backend.errors import NotFound
from recete_app.backend.journeys.delivery import send_now
from recete_app.backend.messaging import inbox_actions
from recete_app.backend.models import Conversation, ScheduledMessage, ScheduledStatus

REPLY = "POST /api/conversations/{id}/reply"  # idempotency key spaces
TEMPLATE = "POST /api/conversations/{id}/template"

Id = uuid.UUID | str


@dataclass(frozen=True)
class Sent:
    """A person's message and what became of it at once: `sent`, or why not (`queued` when it
    waits for the dispatcher, `failed`, `skipped`, ...)."""

    outcome: str
    conversation_id: uuid.UUID
    customer_id: uuid.UUID
    scheduled_id: uuid.UUID


def _parsed(value: Id) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _conversation_id(value: Id) -> uuid.UUID:
    parsed = _parsed(value)
    if parsed is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    return parsed


def _step_id(value: Id) -> uuid.UUID:
    parsed = _parsed(value)
    if parsed is None:
        raise NotFound("No such journey step (or it is turned off).", code="step_not_found")
    return parsed


def take_over(person: Principal, conversation_id: Id) -> Conversation:
    """A person owns the conversation from now on: the AI stays silent in it."""
    with session_scope(person.merchant_id) as session:
        return inbox_actions.take_over(
            session, _conversation_id(conversation_id), person.account_id, actor=person.actor
        )


def hand_back(person: Principal, conversation_id: Id) -> Conversation:
    """The AI answers again; the escalation (and its urgency) is cleared."""
    with session_scope(person.merchant_id) as session:
        return inbox_actions.hand_back(
            session, _conversation_id(conversation_id), person.account_id, actor=person.actor
        )


def close(person: Principal, conversation_id: Id) -> Conversation:
    """Done: the customer's next message opens a new conversation."""
    with session_scope(person.merchant_id) as session:
        return inbox_actions.close(
            session, _conversation_id(conversation_id), person.account_id, actor=person.actor
        )


def resume_journeys(person: Principal, conversation_id: Id) -> int:
    """Lift the pause a reaction put on the conversation's customer's journey messages: how many
    planned steps came back."""
    with session_scope(person.merchant_id) as session:
        conversation = session.get(Conversation, _conversation_id(conversation_id))
        if conversation is None:
            raise NotFound("No such conversation.", code="conversation_not_found")
        return inbox_actions.resume_proactive(
            session, conversation.customer_id, person.account_id, actor=person.actor
        )


def reply_and_send(
    person: Principal, conversation_id: Id, text: str, idempotency_key: str | None = None
) -> Sent:
    """A person's free-text answer (inside the 24-hour window), committed, then sent at once.
    The same `idempotency_key` again returns what became of the first and sends nothing."""
    conversation = _conversation_id(conversation_id)
    request = {"conversation_id": str(conversation), "text": text}
    with session_scope(person.merchant_id) as session:
        claim = idempotency.claim(session, REPLY, idempotency_key, request)
        if claim.replayed is not None:
            return _already_sent(session, conversation, claim.replayed)
        queued = inbox_actions.reply_as_person(
            session, conversation, person.account_id, text, actor=person.actor
        )
        idempotency.settle(session, claim, queued.scheduled_id)
    return _send(person.merchant_id, queued)


def send_template_and_send(
    person: Principal, conversation_id: Id, step_id: Id, idempotency_key: str | None = None
) -> Sent:
    """A journey step's template for the customer's latest order, committed, then sent at once.
    The same `idempotency_key` again returns what became of the first and sends nothing."""
    conversation, step = _conversation_id(conversation_id), _step_id(step_id)
    request = {"conversation_id": str(conversation), "step_id": str(step)}
    with session_scope(person.merchant_id) as session:
        claim = idempotency.claim(session, TEMPLATE, idempotency_key, request)
        if claim.replayed is not None:
            return _already_sent(session, conversation, claim.replayed)
        queued = inbox_actions.send_template_as_person(
            session, conversation, person.account_id, step, actor=person.actor
        )
        idempotency.settle(session, claim, queued.scheduled_id)
    return _send(person.merchant_id, queued)


def _already_sent(session: Session, conversation_id: uuid.UUID, scheduled_id: uuid.UUID) -> Sent:
    row = session.get(ScheduledMessage, scheduled_id)
    if row is None:  # the customer was erased since
        raise NotFound("No such conversation.", code="conversation_not_found")
    # Still on its way (scheduled, queued, sending) reads as the first answer said: queued.
    settled = row.status in (ScheduledStatus.SENT, ScheduledStatus.FAILED, ScheduledStatus.SKIPPED)
    return Sent(
        outcome=row.status if settled else "queued",
        conversation_id=conversation_id,
        customer_id=row.customer_id,
        scheduled_id=row.id,
    )


def _send(merchant_id: uuid.UUID, queued: inbox_actions.Queued) -> Sent:
    outcomes = send_now(merchant_id, queued.customer_id)
    return Sent(
        outcome=outcomes.get(queued.scheduled_id, "queued"),
        conversation_id=queued.conversation_id,
        customer_id=queued.customer_id,
        scheduled_id=queued.scheduled_id,
    )
