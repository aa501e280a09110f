"""Conversations with customers, their messages, and the durable schedule of proactive ones."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
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
    # WhatsApp's pricing of an outbound message, from its status reports: whether it is
    # charged, its category (marketing, utility, service ...) and the recipient's country
    # calling code, which with the category picks the rate.
    billable: bool | None = None
    pricing_category: str | None = Field(default=None, max_length=40)
    pricing_type: str | None = Field(default=None, max_length=40)
    calling_code: str | None = Field(default=None, max_length=4)


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


class AnalyticsEventName(StrEnum):
    """What happened to a journey send, or in a conversation with the agent (the event's
    subject): each happens once per subject."""

    SENT = "sent"  # WhatsApp accepted it
    DELIVERED = "delivered"  # reached the phone (a read implies it)
    READ = "read"
    FAILED = "failed"  # refused at sending for good, or reported failed after it left
    PRICED = "priced"  # WhatsApp's pricing for it: billable, category, calling code
    REPLIED = "replied"  # the customer wrote within 72 hours of it
    CLICKED = "clicked"  # its link's first click by a person
    OPTED_OUT = "opted_out"  # the customer opted out within 72 hours of it
    # An order placed after reading it or clicking its link, inside the attribution window.
    # Its subject is the order (one attribution per order); the send is in its properties.
    ATTRIBUTED = "attributed"
    # The agent's, each about one customer message or one escalation (step "agent"):
    ANSWERED = "answered"  # the AI answered the customer's message
    GUARDRAIL_BLOCKED = "guardrail_blocked"  # a guardrail stopped the draft reply
    ESCALATED = "escalated"  # a person was needed (reason, urgent)
    PERSON_REPLIED = "person_replied"  # a person's first reply after an escalation (waited)


class AnalyticsEvent(SQLModel, table=True):
    """The analytics queue: a fact about a journey send, written in the transaction that records
    the fact, rolled up into `journey_days` by a worker (`analytics/rollup.py`)."""

    __tablename__ = "analytics_events"
    __table_args__ = (
        # A day's rollup reads its sends' events by send time.
        sa.Index("ix_analytics_events_subject_time", "merchant_id", "subject_at"),
        # The agent's facts, read for a range by agent_report (a few next to the journeys').
        sa.Index(
            "ix_analytics_events_agent",
            "merchant_id",
            "subject_at",
            postgresql_where=sa.text("step = 'agent'"),
        ),
        # The rollup's queue, by send time: a batch takes the earliest sends' events.
        sa.Index(
            "ix_analytics_events_pending",
            "merchant_id",
            "subject_at",
            postgresql_where=sa.text("rolled_up_at IS NULL"),
        ),
    )

    # The key is what makes a fact happen once per send: a repeated report, a retried webhook
    # or a second click adds nothing. (No surrogate id: one index less on the send path.)
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    # The journey send it is about (scheduled_messages.id; kept when the row is gone), or for
    # `attributed` the order.
    subject_id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=20, primary_key=True)  # AnalyticsEventName
    step: str = Field(max_length=80)  # the journey step's label, e.g. day3_usage_tips
    # When the send went out (or was refused): the day it counts on, however late the event.
    subject_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    properties: dict[str, Any] = json_field()
    occurred_at: datetime = created_field()
    rolled_up_at: datetime | None = timestamp_field()


class JourneyDay(SQLModel, table=True):
    """A day's sends of one journey step (the merchant's timezone), rolled up from the events of
    the sends made that day. Rebuilt whole from those events, so rolling up again changes
    nothing."""

    __tablename__ = "journey_days"

    merchant_id: uuid.UUID = Field(foreign_key="merchants.id", ondelete="CASCADE", primary_key=True)
    day: date = Field(primary_key=True)
    step: str = Field(max_length=80, primary_key=True)
    sent: int = 0
    delivered: int = 0
    read: int = 0
    replied: int = 0
    clicked: int = 0
    failed: int = 0
    opted_out: int = 0
    billable: int = 0
    # Estimated from the rate card (analytics/pricing.py), in its currency (USD).
    cost_estimate: Decimal = Field(default=Decimal(0), max_digits=14, decimal_places=6)
    failures: dict[str, Any] = json_field()  # Meta error code -> sends failed with it
    attributed_orders: int = 0
    attributed_revenue: dict[str, Any] = json_field()  # currency -> total, as a decimal string
    rolled_up_at: datetime = created_field()


class TrackedLink(SQLModel, table=True):
    """A journey message's link, sent as `/r/{token}`: the click is counted, then redirected to
    the store. The token is random: nothing about the customer is in the URL."""

    __tablename__ = "tracked_links"
    __table_args__ = (
        sa.UniqueConstraint("token", name="uq_tracked_links_token"),
        sa.UniqueConstraint("subject_id", "target", name="uq_tracked_links_subject_target"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    token: str = Field(max_length=64)
    subject_id: uuid.UUID  # the journey send (scheduled_messages.id)
    step: str = Field(max_length=80)  # utm_campaign
    subject_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    target: str = Field(max_length=2000)
    clicks: int = 0
    first_clicked_at: datetime | None = timestamp_field()
    last_clicked_at: datetime | None = timestamp_field()
    created_at: datetime = created_field()
