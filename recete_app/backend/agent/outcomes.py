"""Recording what the agent decided: on the customer's message, the conversation (a person is
needed), the customer (proactive messages paused), the reply to send, the merchant's audit log
(guardrails that fired) and the model's cost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from recete_app.backend import audit
from recete_app.backend.agent.context import Inquiry
from recete_app.backend.agent.pipeline import ANSWER, ESCALATE, HUMAN_OWNED, Decision
from recete_app.backend.agent.responders import Source, Usage
from recete_app.backend.analytics.agent_facts import record_answer, record_escalation
from recete_app.backend.db import current_merchant_id
from recete_app.backend.messaging.outbox.schedule import cancel_pending, schedule_reply
from recete_app.backend.models import (
    Conversation,
    ConversationStatus,
    Customer,
    LlmCall,
    Message,
    MessageStatus,
)

ADVERSE_PAUSE = "The customer reported a reaction to a product: proactive messages are paused."


def record_decision(session: Session, inquiry: Inquiry, decision: Decision) -> bool:
    """Store the decision once; False when the message was handled meanwhile (by a worker that
    held the conversation before this one's lease expired)."""
    message = session.get(Message, inquiry.message_id, with_for_update=True)
    if message is None or message.status != MessageStatus.RECEIVED:
        return False
    message.status = MessageStatus.HANDLED
    message.intent = decision.intent
    message.details = {**message.details, "agent": decision.details()}
    conversation = session.get_one(Conversation, inquiry.conversation_id, with_for_update=True)
    customer = session.get_one(Customer, inquiry.customer_id)
    conversation.language = customer.language = decision.language
    escalated = decision.action == ESCALATE and _escalate(conversation, decision)
    if decision.urgent:
        conversation.urgent = True
        pause_proactive(session, customer, ADVERSE_PAUSE)
    _record_facts(session, message, conversation, decision, escalated)
    if decision.reply:
        schedule_reply(
            session,
            customer.id,
            text=decision.reply,
            key=f"reply:{message.id}",
            reply_to=inquiry.provider_message_id,
            author="ai",
            extra={
                "intent": decision.intent,
                "sources": [source_view(s) for s in decision.sources],
                "details": {"agent": decision.details()},
            },
        )
    if decision.flags:
        audit.record(
            session,
            "agent",
            "agent.guardrail",
            f"message:{message.id}",
            rules=[flag.rule for flag in decision.flags],
            decision=decision.action,
        )
    if decision.usage is not None:
        _record_usage(session, inquiry, decision, decision.usage)
    return True


def source_view(source: Source) -> dict[str, Any]:
    return {
        "chunk_id": str(source.chunk_id),
        "product_id": str(source.product_id) if source.product_id else None,
        "product": source.product,
        "section": source.section,
        "language": source.language,
    }


def pause_proactive(session: Session, customer: Customer, reason: str) -> None:
    if customer.proactive_paused_at is None:
        customer.proactive_paused_at = datetime.now(UTC)
        customer.proactive_paused_reason = reason
    cancel_pending(session, reason, customer_id=customer.id)


def _escalate(conversation: Conversation, decision: Decision) -> bool:
    """Whether this escalated it (one a person already has is not escalated again)."""
    if conversation.status in HUMAN_OWNED:
        return False
    conversation.status = ConversationStatus.NEEDS_HUMAN
    conversation.escalation_reason = decision.reason[:40]
    conversation.escalated_at = datetime.now(UTC)
    return True


def _record_facts(
    session: Session,
    message: Message,
    conversation: Conversation,
    decision: Decision,
    escalated: bool,
) -> None:
    """The analytics facts of the decision: answered, or its draft stopped by a guardrail, and
    the escalation."""
    if escalated:
        record_escalation(session, conversation, decision.reason[:40])
    blocked = [flag.rule for flag in decision.flags] if decision.action != ANSWER else []
    if decision.action == ANSWER or blocked:
        record_answer(session, message.id, message.created_at, blocked_by=blocked)


def _record_usage(session: Session, inquiry: Inquiry, decision: Decision, usage: Usage) -> None:
    session.add(
        LlmCall(
            merchant_id=current_merchant_id(session),
            message_id=inquiry.message_id,
            model=usage.model,
            outcome="failed" if decision.reason == "responder_failed" else "ok",
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=Decimal(str(round(usage.cost_usd, 6))),
            latency_ms=usage.latency_ms,
        )
    )
