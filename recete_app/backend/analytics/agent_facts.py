"""The agent's facts, written with the decision or the reply they describe: a customer's message
the AI answered, one whose draft a guardrail stopped, an escalation (with its reason, urgent or
not) and a person's first reply after it (with how long the customer waited).

An escalation's subject is derived from its conversation and the moment it escalated, so the
person's first reply finds the same subject again without a lookup, and a second reply (or a
retried one) adds nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session

from recete_app.backend.analytics.events import SendFact, record_facts
from recete_app.backend.models import AnalyticsEventName, Conversation

AGENT_STEP = "agent"
AGENT_FACTS = (
    AnalyticsEventName.ANSWERED,
    AnalyticsEventName.GUARDRAIL_BLOCKED,
    AnalyticsEventName.ESCALATED,
    AnalyticsEventName.PERSON_REPLIED,
)
_ESCALATIONS = uuid.UUID("6f2b7c1e-3d4a-4f5b-9c8d-2e1f0a9b8c7d")


def escalation_id(conversation_id: uuid.UUID, escalated_at: datetime) -> uuid.UUID:
    """The same for the moment however it was read back (in UTC, to the microsecond)."""
    moment = escalated_at.astimezone(UTC).isoformat()
    return uuid.uuid5(_ESCALATIONS, f"{conversation_id}:{moment}")


def record_answer(
    session: Session, message_id: uuid.UUID, received_at: datetime, *, blocked_by: list[str]
) -> None:
    """The AI answered the customer's message, or (`blocked_by` rules) a guardrail stopped
    its draft."""
    if blocked_by:
        name, properties = AnalyticsEventName.GUARDRAIL_BLOCKED, {"rules": blocked_by}
    else:
        name, properties = AnalyticsEventName.ANSWERED, {}
    record_facts(session, [SendFact(name, message_id, AGENT_STEP, received_at, properties)])


def record_escalation(session: Session, conversation: Conversation, reason: str) -> None:
    """The conversation was just escalated (`escalated_at` set)."""
    if conversation.escalated_at is None:
        return
    fact = SendFact(
        AnalyticsEventName.ESCALATED,
        escalation_id(conversation.id, conversation.escalated_at),
        AGENT_STEP,
        conversation.escalated_at,
        {"reason": reason, "urgent": conversation.urgent, "conversation_id": str(conversation.id)},
    )
    record_facts(session, [fact])


def record_person_reply(session: Session, conversation: Conversation, at: datetime) -> None:
    """A person wrote to the customer; the first time since the escalation, how long they
    waited. A conversation a person took without an escalation has nothing to record."""
    escalated_at = conversation.escalated_at
    if escalated_at is None:
        return
    waited = max(0.0, (at - escalated_at).total_seconds())
    fact = SendFact(
        AnalyticsEventName.PERSON_REPLIED,
        escalation_id(conversation.id, escalated_at),
        AGENT_STEP,
        escalated_at,
        {"waited_seconds": round(waited, 1), "reason": conversation.escalation_reason},
        occurred_at=at,
    )
    record_facts(session, [fact])
