"""/api/conversations: the inbox over HTTP. List and read conversations, take one over from the
AI, answer it as a person (text inside the 24-hour window, a journey template outside it), hand
it back to the AI or close it. Another merchant's conversation is simply not found (row-level
security hides it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.db import session_scope
from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.http.openapi import IdempotencyHeader
from recete_app.backend.messaging import inbox
from recete_app.backend.services import conversation_actions

router = APIRouter(prefix="/api/conversations", tags=["conversations"])
Caller = AdminCaller


class ConversationSummary(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str
    phone: str  # masked: "+90 532 *** 45 67"
    status: str
    urgent: bool
    escalation_reason: str | None
    last_message: str
    last_message_at: datetime | None
    unanswered: int


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]


class MessageView(BaseModel):
    id: uuid.UUID
    direction: str
    author: str
    body: str
    status: str
    kind: str
    intent: str | None
    sources: list[dict[str, Any]]
    agent_action: str | None
    agent_reason: str | None
    created_at: datetime


class ThreadView(BaseModel):
    id: uuid.UUID
    status: str
    urgent: bool
    escalation_reason: str | None
    escalated_at: datetime | None
    assigned_account_id: uuid.UUID | None
    language: str | None
    window_open: bool
    window_expires_at: datetime | None
    customer_id: uuid.UUID
    customer_name: str
    phone: str  # E.164
    consent_state: str
    proactive_paused_reason: str | None
    # What a person may do now (take_over, hand_back, close, reply): the backend's rule.
    actions: list[str]
    messages: list[MessageView]


class ResumedView(BaseModel):
    restored: int  # journey steps the pause had cancelled, planned again
    thread: ThreadView


class SentView(BaseModel):
    outcome: str  # sent, or why not (failed, skipped, moved, ...)
    thread: ThreadView


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=4096)


class TemplateBody(BaseModel):
    step_id: uuid.UUID


def _thread_view(thread: inbox.ConversationThread) -> ThreadView:
    c = thread.conversation
    return ThreadView(
        id=c.id,
        status=c.status,
        urgent=c.urgent,
        escalation_reason=c.escalation_reason,
        escalated_at=c.escalated_at,
        assigned_account_id=c.assigned_account_id,
        language=c.language,
        window_open=thread.window_open,
        window_expires_at=c.window_expires_at,
        customer_id=thread.customer_id,
        customer_name=thread.customer_name,
        phone=thread.phone,
        consent_state=thread.consent_state,
        proactive_paused_reason=thread.proactive_paused_reason,
        actions=[str(action) for action in thread.actions],
        messages=[MessageView(**vars(m)) for m in thread.messages],
    )


def _read(caller: Principal, conversation_id: uuid.UUID) -> ThreadView:
    with session_scope(caller.merchant_id) as session:
        thread = inbox.read_thread(session, conversation_id, caller.account_id)
        return _thread_view(thread)


@router.get("")
def list_conversations(
    caller: Caller,
    view: Annotated[str, Query(max_length=20)] = "all",
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationList:
    """Urgent conversations first, then those waiting for a person, then the most recent.
    `view`: all | needs_human | ai | human | closed; `q`: a name, a phone number, or part of
    one (four digits or more)."""
    with session_scope(caller.merchant_id) as session:
        rows = inbox.list_conversations(session, view, q, limit)
    return ConversationList(
        conversations=[
            ConversationSummary(**{**vars(row), "phone": row.phone_masked}) for row in rows
        ]
    )


@router.get("/{conversation_id}")
def read_conversation(caller: Caller, conversation_id: uuid.UUID) -> ThreadView:
    """The conversation with every message, oldest first, and what the agent decided on each."""
    return _read(caller, conversation_id)


@router.post("/{conversation_id}/take-over")
def take_over(caller: Caller, conversation_id: uuid.UUID) -> ThreadView:
    """A person owns the conversation: the AI stays silent in it until it is handed back."""
    conversation_actions.take_over(caller, conversation_id)
    return _read(caller, conversation_id)


@router.post("/{conversation_id}/hand-back")
def hand_back(caller: Caller, conversation_id: uuid.UUID) -> ThreadView:
    """The AI answers again; the escalation (and its urgency) is cleared."""
    conversation_actions.hand_back(caller, conversation_id)
    return _read(caller, conversation_id)


@router.post("/{conversation_id}/close")
def close(caller: Caller, conversation_id: uuid.UUID) -> ThreadView:
    """Done: the customer's next message opens a new conversation."""
    conversation_actions.close(caller, conversation_id)
    return _read(caller, conversation_id)


@router.post("/{conversation_id}/resume-journeys")
def resume_journeys(caller: Caller, conversation_id: uuid.UUID) -> ResumedView:
    """Lift the pause an adverse reaction put on this customer's journey messages (a person
    has checked on them): the steps it cancelled are planned again."""
    restored = conversation_actions.resume_journeys(caller, conversation_id)
    return ResumedView(restored=restored, thread=_read(caller, conversation_id))


def _sent(caller: Principal, sent: conversation_actions.Sent) -> SentView:
    return SentView(outcome=sent.outcome, thread=_read(caller, sent.conversation_id))


@router.post("/{conversation_id}/reply")
def reply(
    caller: Caller,
    conversation_id: uuid.UUID,
    body: ReplyBody,
    idempotency_key: IdempotencyHeader = None,
) -> SentView:
    """Answer as a person (taking the conversation over if it waits for one). Free text is
    allowed only inside the customer's 24-hour window: 409 `window_closed` otherwise."""
    sent = conversation_actions.reply_and_send(caller, conversation_id, body.text, idempotency_key)
    return _sent(caller, sent)


@router.post("/{conversation_id}/template")
def send_template(
    caller: Caller,
    conversation_id: uuid.UUID,
    body: TemplateBody,
    idempotency_key: IdempotencyHeader = None,
) -> SentView:
    """Send a journey step's approved template for the customer's latest order, now."""
    sent = conversation_actions.send_template_and_send(
        caller, conversation_id, body.step_id, idempotency_key
    )
    return _sent(caller, sent)
