"""Conversations with customers, their messages, and the durable schedule of proactive ones."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from recete_app.backend.models.base import (
    created_field,
    id_field,
    json_field,
    merchant_field,
    timestamp_field,
)


class ConversationStatus(StrEnum):
    """Who answers the customer. Which inbox actions each allows is the inbox's rule
    (`messaging/inbox_rules.py`), not the pages'."""

    AI = "ai"
    NEEDS_HUMAN = "needs_human"  # escalated: the AI stays silent, waiting for a person
    HUMAN = "human"  # a person owns it: the AI stays silent until it is handed back
    CLOSED = "closed"  # done: the customer's next message opens a new conversation


class MessageDirection(StrEnum):
    INBOUND = "inbound"  # the customer's
    OUTBOUND = "outbound"  # ours: the AI's, a person's, or automatic


class MessageStatus(StrEnum):
    """Inbound: received until the agent (or the opt-out rule) handled it. Outbound: what
    WhatsApp reports, only ever forward (sent -> delivered -> read), or failed."""

    RECEIVED = "received"
    HANDLED = "handled"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (
        sa.Index("ix_conversations_inbox", "merchant_id", "status", "last_message_at"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    customer_id: uuid.UUID = Field(foreign_key="customers.id", ondelete="CASCADE", index=True)
    channel: str = Field(default="whatsapp", max_length=20)
    status: str = Field(default=ConversationStatus.AI, max_length=20)  # ConversationStatus
    urgent: bool = False
    language: str | None = Field(default=None, max_length=8)
    last_message_at: datetime | None = timestamp_field()
    window_expires_at: datetime | None = timestamp_field()
    assigned_account_id: uuid.UUID | None = Field(
        default=None, foreign_key="accounts.id", ondelete="SET NULL"
    )
    # Why a person is needed (adverse_reaction, complaint, refund, human, low_confidence, ...).
    escalation_reason: str | None = Field(default=None, max_length=40)
    escalated_at: datetime | None = timestamp_field()
    # The agent answers one message of a conversation at a time, in arrival order: a worker
    # holds this lease while it does; an expired lease means the holder died.
    agent_lease_until: datetime | None = timestamp_field()
    created_at: datetime = created_field()


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("provider_message_id", name="uq_messages_provider_message_id"),
        # The retention job walks a store's messages by age (services/retention.py).
        sa.Index("ix_messages_merchant_time", "merchant_id", "created_at"),
        # Customers' messages the agent has not handled yet (the sweeper's and the agent's
        # queue), kept small: handled messages leave it.
        sa.Index(
            "ix_messages_awaiting_agent",
            "conversation_id",
            "created_at",
            postgresql_where=sa.text("direction = 'inbound' AND status = 'received'"),
        ),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)  # ix_messages_merchant_time
    conversation_id: uuid.UUID = Field(
        foreign_key="conversations.id", ondelete="CASCADE", index=True
    )
    direction: str = Field(max_length=10)  # MessageDirection
    author: str = Field(default="customer", max_length=10)  # customer | ai | human | system
    body: str = ""
    status: str = Field(default=MessageStatus.RECEIVED, max_length=20)  # MessageStatus
    provider_message_id: str | None = Field(default=None, max_length=255)
    intent: str | None = Field(default=None, max_length=40)
    sources: list[dict[str, Any]] = json_field(list)
    # text | template | image | audio | button | ... (inbound: the WhatsApp message type)
    kind: str = Field(default="text", max_length=20)
    # Template name and parameters, media facts, the provider's error code: what a person reading
    # the thread or reconciling a send needs, beyond the body.
    details: dict[str, Any] = json_field()
    error: str | None = None
    created_at: datetime = created_field()
    status_updated_at: datetime | None = timestamp_field()


class Journey(SQLModel, table=True):
    """A merchant's post-delivery plan: its sending window and how old an order may be."""

    __tablename__ = "journeys"
    __table_args__ = (sa.UniqueConstraint("merchant_id", name="uq_journeys_merchant"),)

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    enabled: bool = True
    window_start: time = Field(default=time(9, 0), sa_type=sa.Time())
    window_end: time = Field(default=time(20, 0), sa_type=sa.Time())
    max_order_age_days: int = 60
    created_at: datetime = created_field()
    updated_at: datetime | None = timestamp_field()


class JourneyStep(SQLModel, table=True):
    """One proactive message: days after delivery, what it is for, its template per language."""

    __tablename__ = "journey_steps"
    __table_args__ = (
        sa.UniqueConstraint("journey_id", "position", name="uq_journey_steps_position"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    journey_id: uuid.UUID = Field(foreign_key="journeys.id", ondelete="CASCADE")
    position: int
    offset_days: int
    purpose: str = Field(default="usage_tips", max_length=32)  # usage_tips | check_in | custom
    enabled: bool = True
    # language ("en", "tr") -> TemplateSpec.to_dict()
    templates: dict[str, Any] = json_field()
    link: str = Field(default="", max_length=1000)
    updated_at: datetime | None = timestamp_field()


class ScheduledStatus(StrEnum):
    """A scheduled message's way out: scheduled -> queued -> sending -> one of the others."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"  # claimed by a dispatcher (lease)
    SENDING = "sending"  # a worker holds it (lease)
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    PAUSED = "paused"  # the number's token expired: waits for the merchant to reconnect
    UNKNOWN = "unknown"  # the request may have reached WhatsApp but its answer was lost


class ScheduledMessage(SQLModel, table=True):
    """The durable schedule: a due row is claimed (SKIP LOCKED), sent once, and recorded.

    scheduled -> queued (claimed by a dispatcher, lease) -> sending (a worker holds it; lease)
    -> sent | failed | skipped | cancelled | paused | unknown (the request may have left, its
    answer was lost: reconciled by a status webhook, never resent blindly).
    """

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key", name="uq_scheduled_idempotency"),
        sa.Index("ix_scheduled_messages_due", "status", "due_at"),
        sa.Index("ix_scheduled_messages_customer_due", "customer_id", "due_at"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    customer_id: uuid.UUID = Field(foreign_key="customers.id", ondelete="CASCADE")
    order_id: uuid.UUID | None = Field(
        default=None, foreign_key="orders.id", ondelete="CASCADE", index=True
    )
    idempotency_key: str = Field(max_length=200)
    kind: str = Field(default="journey_step", max_length=32)
    due_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    status: str = Field(default=ScheduledStatus.SCHEDULED, max_length=20)  # ScheduledStatus
    step_id: uuid.UUID | None = Field(
        default=None, foreign_key="journey_steps.id", ondelete="SET NULL"
    )
    attempts: int = 0  # sends tried (bounded)
    claims: int = 0  # times a dispatcher claimed it: the token a queued send must present
    lease_until: datetime | None = timestamp_field()
    request_started_at: datetime | None = timestamp_field()
    sent_at: datetime | None = timestamp_field()
    last_error: str | None = None
    payload: dict[str, Any] = json_field()
    message_id: uuid.UUID | None = Field(
        default=None, foreign_key="messages.id", ondelete="SET NULL", index=True
    )
    created_at: datetime = created_field()
    updated_at: datetime | None = timestamp_field()


class LlmCall(SQLModel, table=True):
    """One model call: tokens and cost per merchant, and how it went."""

    __tablename__ = "llm_calls"
    __table_args__ = (sa.Index("ix_llm_calls_merchant_time", "merchant_id", "created_at"),)

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    message_id: uuid.UUID | None = Field(
        default=None, foreign_key="messages.id", ondelete="SET NULL", index=True
    )
    model: str = Field(max_length=100)
    outcome: str = Field(default="ok", max_length=20)  # ok | failed
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=6)
    latency_ms: int = 0
    created_at: datetime = created_field()


class AnalyticsEvent(SQLModel, table=True):
    __tablename__ = "analytics_events"
    __table_args__ = (
        sa.Index("ix_analytics_events_name_time", "merchant_id", "name", "occurred_at"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    name: str = Field(max_length=100)
    properties: dict[str, Any] = json_field()
    occurred_at: datetime = created_field()
