"""The agent answers customers' messages off the request path."""

from __future__ import annotations

import uuid

import dramatiq

from recete_app.backend import queueing
from recete_app.backend.agent.service import answer, conversations_waiting


@dramatiq.actor(queue_name="agent", max_retries=3, min_backoff=2_000)
def answer_conversation(merchant_id: str, conversation_id: str) -> None:
    answer(uuid.UUID(merchant_id), uuid.UUID(conversation_id))


def sweep_waiting_messages() -> int:
    """Messages nobody is answering (a lost queue message, a dead worker) get a new run."""
    waiting = conversations_waiting()
    for merchant_id, conversation_id in waiting:
        answer_conversation.send(str(merchant_id), str(conversation_id))
    return len(waiting)


queueing.register(
    "answer_conversation",
    lambda merchant_id, conversation_id: answer_conversation.send(merchant_id, conversation_id),
)
