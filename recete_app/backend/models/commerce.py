"""Store connections, the events they send, and the customers and orders that come of them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from recete_app.backend.models.base import (
    JobStatus,
    created_field,
    id_field,
    json_field,
    merchant_field,
    timestamp_field,
)


class IntegrationStatus(StrEnum):
    ACTIVE = "active"
    BROKEN = "broken"  # the WhatsApp number's token expired: sends wait for a reconnect
    UNINSTALLED = "uninstalled"  # the store removed the app (Shopify's shop/redact may follow)
    REDACTED = "redacted"  # shop/redact erased what the store sent us, and its secrets
    DISCONNECTED = "disconnected"  # the merchant disconnected it: secrets erased until reconnected


class Integration(SQLModel, table=True):
    """A connected store or WhatsApp number. `secrets` is AES-256-GCM ciphertext (JSON inside)."""

    __tablename__ = "integrations"
    __table_args__ = (
        sa.UniqueConstraint("kind", "external_id", name="uq_integrations_kind_external_id"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    kind: str = Field(max_length=32)
    status: str = Field(default=IntegrationStatus.ACTIVE, max_length=32)  # IntegrationStatus
    external_id: str = Field(max_length=255)
    display_name: str = Field(default="", max_length=255)
    secrets: str | None = None
    settings: dict[str, Any] = json_field()
    last_error: str | None = None
    created_at: datetime = created_field()
    updated_at: datetime | None = timestamp_field()


class ExternalEvent(SQLModel, table=True):
    """A webhook as it arrived, stored before it is acknowledged (the inbox/outbox)."""

    __tablename__ = "external_events"
    __table_args__ = (
        sa.UniqueConstraint("provider", "external_id", name="uq_external_events_provider_id"),
        sa.Index("ix_external_events_pending", "status", "received_at"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    integration_id: uuid.UUID | None = Field(
        default=None, foreign_key="integrations.id", ondelete="SET NULL"
    )
    provider: str = Field(max_length=32)
    external_id: str = Field(max_length=255)
    topic: str = Field(max_length=100)
    raw_body: str
    headers: dict[str, Any] = json_field()
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    error: str | None = None
    received_at: datetime = created_field()
    processed_at: datetime | None = timestamp_field()
    body_erased_at: datetime | None = timestamp_field()  # blanked (privacy or retention)


class Customer(SQLModel, table=True):
    """Phone and email are encrypted; the phone's blind index (HMAC of E.164) finds a customer."""

    __tablename__ = "customers"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "phone_index", name="uq_customers_merchant_phone"),
        sa.Index("ix_customers_external", "merchant_id", "source", "external_id"),
        sa.Index("ix_customers_email", "merchant_id", "email_index"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    external_id: str | None = Field(default=None, max_length=255)
    phone_encrypted: str | None = None
    phone_index: str | None = Field(default=None, max_length=64)
    # Finds a part of a number without decrypting every phone (security.crypto.digit_grams).
    phone_grams: list[str] | None = Field(
        default=None, sa_column=sa.Column(postgresql.ARRAY(sa.String(3)), nullable=True)
    )
    email_encrypted: str | None = None
    email_index: str | None = Field(default=None, max_length=64)  # finds a whole email
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    language: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    source: str | None = Field(default=None, max_length=32)
    consent_state: str = Field(default="unknown", max_length=20)
    consent_updated_at: datetime | None = timestamp_field()
    # Proactive messages (journeys) stop for this customer until a person resumes them, e.g.
    # after they reported a reaction to a product.
    proactive_paused_at: datetime | None = timestamp_field()
    proactive_paused_reason: str | None = None
    created_at: datetime = created_field()


class ConsentEvent(SQLModel, table=True):
    """The consent log: every change of a customer's messaging consent, with where it came from."""

    __tablename__ = "consent_events"

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    customer_id: uuid.UUID = Field(foreign_key="customers.id", ondelete="CASCADE", index=True)
    channel: str = Field(default="whatsapp", max_length=20)
    state: str = Field(max_length=20)
    source: str = Field(max_length=100)
    recorded_at: datetime = created_field()
    details: dict[str, Any] = json_field()


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "source", "external_id", name="uq_orders_source_id"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    customer_id: uuid.UUID | None = Field(
        default=None, foreign_key="customers.id", ondelete="SET NULL", index=True
    )
    source: str = Field(max_length=32)
    external_id: str = Field(max_length=255)
    name: str = Field(default="", max_length=100)
    currency: str | None = Field(default=None, max_length=3)
    total_price: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    financial_status: str | None = Field(default=None, max_length=32)
    fulfillment_status: str | None = Field(default=None, max_length=32)
    placed_at: datetime | None = timestamp_field()
    fulfilled_at: datetime | None = timestamp_field()
    delivered_at: datetime | None = timestamp_field(index=True)
    delivery_estimated: bool = False
    cancelled_at: datetime | None = timestamp_field()
    cancel_reason: str | None = Field(default=None, max_length=100)
    refunded_at: datetime | None = timestamp_field()
    # The source's own "updated at" of the newest snapshot applied: older snapshots are ignored.
    source_updated_at: datetime | None = timestamp_field()
    created_at: datetime = created_field()
    updated_at: datetime | None = timestamp_field()


class OrderItem(SQLModel, table=True):
    __tablename__ = "order_items"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "external_id", name="uq_order_items_order_external"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    order_id: uuid.UUID = Field(foreign_key="orders.id", ondelete="CASCADE")
    product_id: uuid.UUID | None = Field(
        default=None, foreign_key="products.id", ondelete="SET NULL", index=True
    )
    external_id: str | None = Field(default=None, max_length=255)
    title: str = Field(default="", max_length=500)
    sku: str | None = Field(default=None, max_length=255)
    quantity: int = 1
    price: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    requires_shipping: bool = True


class DomainEvent(SQLModel, table=True):
    """What happened to an order that other parts act on (journeys: delivered, cancelled,
    refunded). An outbox: written in the same transaction as the change, consumed later."""

    __tablename__ = "domain_events"
    __table_args__ = (
        sa.Index("ix_domain_events_pending", "merchant_id", "handled_at"),
        sa.Index(
            "ix_domain_events_unhandled",
            "merchant_id",
            postgresql_where=sa.text("handled_at IS NULL"),
        ),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    name: str = Field(max_length=64)
    order_id: uuid.UUID | None = Field(
        default=None, foreign_key="orders.id", ondelete="CASCADE", index=True
    )
    customer_id: uuid.UUID | None = Field(
        default=None, foreign_key="customers.id", ondelete="CASCADE", index=True
    )
    payload: dict[str, Any] = json_field()
    created_at: datetime = created_field()
    handled_at: datetime | None = timestamp_field()


class OrderImport(SQLModel, table=True):
    """An uploaded order file and how far its import has got. The file's bytes wait in
    `order_import_chunks` (in the database, so any worker can read them) until imported."""

    __tablename__ = "order_imports"

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    filename: str = Field(default="", max_length=255)
    actor: str = Field(default="", max_length=255)
    status: str = Field(default=JobStatus.QUEUED, max_length=20)  # JobStatus
    format: str = Field(default="", max_length=40)
    size_bytes: int = 0
    rows_read: int = 0
    orders_imported: int = 0
    orders_skipped: int = 0
    problem_count: int = 0
    problems: list[dict[str, Any]] = json_field(list)
    error: str | None = None
    created_at: datetime = created_field()
    started_at: datetime | None = timestamp_field()
    heartbeat_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()


class OrderImportChunk(SQLModel, table=True):
    """One piece (up to 1 MiB) of an uploaded file, in order."""

    __tablename__ = "order_import_chunks"

    import_id: uuid.UUID = Field(
        foreign_key="order_imports.id", ondelete="CASCADE", primary_key=True
    )
    seq: int = Field(primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    data: bytes = Field(sa_type=sa.LargeBinary)


class CustomerExport(SQLModel, table=True):
    """A customer's export too large to make inside a request, made by a worker and kept (the
    document encrypted) for a few days to be downloaded. Erasing the customer deletes it."""

    __tablename__ = "customer_exports"
    __table_args__ = (
        # One export in the making per customer: asking again while it is made returns it.
        sa.Index(
            "uq_customer_exports_active",
            "customer_id",
            unique=True,
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        ),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    customer_id: uuid.UUID = Field(foreign_key="customers.id", ondelete="CASCADE", index=True)
    actor: str = Field(default="", max_length=255)
    status: str = Field(default=JobStatus.QUEUED, max_length=20)  # JobStatus
    document: str | None = None  # AES-256-GCM ciphertext of the JSON (security.fields)
    size_bytes: int = 0
    error: str | None = None
    created_at: datetime = created_field()
    started_at: datetime | None = timestamp_field()
    heartbeat_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()
