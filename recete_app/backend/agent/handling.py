"""The conversation manager: answers a conversation's waiting messages one at a time, in
arrival order, and sends the replies at once.

Per message: read what the agent needs (one transaction, which also takes the conversation's
lease on the first look and gives it back on the look that finds nothing), decide (no
transaction: a model may take seconds), record the decision and schedule the reply (one
transaction, once per message: the reply's idempotency key is the message's id), then send it.
A worker that dies anywhere in between leaves either a message still `received` (the sweeper
hands it to the agent again) or a reply already scheduled (the dispatcher sends it), never a
second reply.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.agent.context import Inquiry, find_sources, read_inquiry
from recete_app.backend.agent.intents import IntentGuess, classify
from recete_app.backend.agent.links import read_store_links
from recete_app.backend.agent.outcomes import record_decision
from recete_app.backend.agent.pipeline import HUMAN_OWNED, Decision, decide
from recete_app.backend.agent.responders import Responder, Source
from recete_app.backend.agent.telemetry import count_decision
from recete_app.backend.db import session_scope
from recete_app.backend.journeys.delivery import send_due_now
from recete_app.backend.knowledge.embeddings import Embedder
from recete_app.backend.messaging.channels import channel_for
from recete_app.backend.messaging.outbox.schedule import TEXT_REPLY
from recete_app.backend.messaging.read_receipts import mark_read
from recete_app.backend.models import Conversation, Message, MessageDirection, MessageStatus

AGENT_LEASE = timedelta(seconds=60)
KNOWLEDGE_INTENTS = ("product_question", "usage", "other")


def answer_conversation(
    merchant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    responder: Responder,
    embedder: Embedder,
) -> list[Decision]:
    """Answer every waiting message of the conversation; [] when another worker holds it (that
    worker answers them: it looks again after giving the lease back)."""
    decisions: list[Decision] = []
    holding = False
    try:
        while (
            reading := _next_reading(merchant_id, conversation_id, embedder, holding)
        ) is not None:
            holding = True
            decisions.append(_answer(merchant_id, reading, responder))
        holding = False  # the look that found nothing gave the lease back
    finally:
        if holding:
            _release_lease(merchant_id, conversation_id)
    return decisions


@dataclass(frozen=True)
class _Reading:
    inquiry: Inquiry
    guess: IntentGuess
    sources: list[Source]


def _next_reading(
    merchant_id: uuid.UUID, conversation_id: uuid.UUID, embedder: Embedder, holding: bool
) -> _Reading | None:
    """What the agent needs for the oldest waiting message, in one transaction that also takes
    the lease (first look) or gives it back (nothing left). None: another worker holds the
    conversation, or nothing is waiting and the lease is given back."""
    with session_scope(merchant_id) as session:
        if not holding and not _take_lease(session, conversation_id):
            return None
        message_id = _oldest_waiting(session, conversation_id) or _last_look(
            session, conversation_id
        )
        if message_id is None:
            return None
        inquiry = read_inquiry(session, message_id)
        if inquiry is None:  # gone since it was found (an erasure): give the lease back too
            _clear_lease(session, conversation_id)
            return None
        guess = classify(inquiry.text)
        needs_sources = (
            guess.intent in KNOWLEDGE_INTENTS
            and inquiry.conversation_status not in HUMAN_OWNED
            and inquiry.consent_state != "opted_out"
        )
        sources = find_sources(session, inquiry, embedder) if needs_sources else []
        if needs_sources:  # a responder may draft: what it may link to
            products = [p.product_id for p in inquiry.purchases] + [s.product_id for s in sources]
            inquiry = replace(inquiry, store_links=read_store_links(session, products))
    return _Reading(inquiry, guess, sources)


def _answer(merchant_id: uuid.UUID, reading: _Reading, responder: Responder) -> Decision:
    inquiry = reading.inquiry
    started = time.perf_counter()
    decision = decide(inquiry, reading.guess, reading.sources, responder)
    with session_scope(merchant_id) as session:
        recorded = record_decision(session, inquiry, decision)
        # Answered, declined or handed over (not while a person owns it): the receipt's channel
        # is read in this transaction rather than in one of its own.
        receipt = channel_for(session) if recorded and decision.reply else None
    if recorded:
        count_decision(decision, time.perf_counter() - started)
        send_due_now(merchant_id, inquiry.customer_id, (TEXT_REPLY,))
        mark_read(receipt, inquiry.provider_message_id)
    return decision


def _last_look(session: Session, conversation_id: uuid.UUID) -> uuid.UUID | None:
    """Give the lease back, then look once more in the same transaction: a message stored
    meanwhile, whose own run found the lease taken and left, is answered here (the lease taken
    again) rather than by the sweeper half a minute later."""
    _clear_lease(session, conversation_id)
    message_id = _oldest_waiting(session, conversation_id)
    if message_id is not None:
        _take_lease(session, conversation_id)
    return message_id


def _oldest_waiting(session: Session, conversation_id: uuid.UUID) -> uuid.UUID | None:
    return session.exec(
        select(Message.id)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == MessageDirection.INBOUND,
            Message.status == MessageStatus.RECEIVED,
        )
        .order_by(col(Message.created_at), col(Message.id))
        .limit(1)
    ).first()


def _take_lease(session: Session, conversation_id: uuid.UUID) -> bool:
    now = datetime.now(UTC)
    taken = session.execute(
        sa.update(Conversation)
        .where(
            col(Conversation.id) == conversation_id,
            sa.or_(
                col(Conversation.agent_lease_until).is_(None),
                col(Conversation.agent_lease_until) < now,
            ),
        )
        .values(agent_lease_until=now + AGENT_LEASE)
        .returning(col(Conversation.id))
        .execution_options(synchronize_session=False)
    ).first()
    return taken is not None


def _release_lease(merchant_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
    with session_scope(merchant_id) as session:
        _clear_lease(session, conversation_id)


def _clear_lease(session: Session, conversation_id: uuid.UUID) -> None:
    session.execute(
        sa.update(Conversation)
        .where(col(Conversation.id) == conversation_id)
        .values(agent_lease_until=None)
        .execution_options(synchronize_session=False)
    )
