"""The agent's entry points: answer a conversation (the actor, the sandbox), hand new messages
to it once they are committed, and find messages nobody is answering (the sweeper)."""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from recete_app.backend import queueing
from recete_app.backend.agent.handling import answer_conversation
from recete_app.backend.agent.pipeline import Decision
from recete_app.backend.agent.providers import configured_responder
from recete_app.backend.agent.responders import Responder
from recete_app.backend.db import after_commit, current_merchant_id, session_scope
from recete_app.backend.knowledge.embeddings import Embedder, configured_embedder

# A message waiting this long with no worker on its conversation was lost on the way.
STRAGGLER_AFTER = timedelta(seconds=30)
SWEEP_LIMIT = 500


@functools.cache
def _responder() -> Responder:
    return configured_responder()


@functools.cache
def _embedder() -> Embedder:
    return configured_embedder()


def load_models() -> None:
    """Build the responder and the embedder now, as a worker starts, rather than on its first
    message: importing the openai SDK takes about a second of CPU under the import lock, and the
    first messages after a start waited 2.5-5.4 s behind it (bench/agent_latency.py, warm-up)."""
    _responder()
    _embedder()


def answer(
    merchant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    responder: Responder | None = None,
    embedder: Embedder | None = None,
) -> list[Decision]:
    return answer_conversation(
        merchant_id, conversation_id, responder or _responder(), embedder or _embedder()
    )


def answer_after_commit(session: Session, conversation_id: uuid.UUID) -> None:
    """Queue the agent for this conversation once the message is committed."""
    merchant_id = str(current_merchant_id(session))

    def enqueue() -> None:
        queueing.enqueue(
            "answer_conversation", merchant_id=merchant_id, conversation_id=str(conversation_id)
        )

    after_commit(session, enqueue)


def conversations_waiting() -> list[tuple[uuid.UUID, uuid.UUID]]:
    with session_scope(lookups={"dispatcher": "on"}) as session:
        # MessageDirection.INBOUND and MessageStatus.RECEIVED written out, not bound: PostgreSQL
        # uses the partial index ix_messages_awaiting_agent only for a query stating its predicate.
        rows = session.execute(
            sa.text(
                "SELECT DISTINCT m.merchant_id, m.conversation_id FROM messages m "
                "JOIN conversations c ON c.id = m.conversation_id "
                "WHERE m.direction = 'inbound' AND m.status = 'received' "
                "AND m.created_at < now() - make_interval(secs => :after) "
                "AND (c.agent_lease_until IS NULL OR c.agent_lease_until < now()) "
                "LIMIT :limit"
            ),
            {"after": STRAGGLER_AFTER.total_seconds(), "limit": SWEEP_LIMIT},
        ).all()
    return [(merchant_id, conversation_id) for merchant_id, conversation_id in rows]
