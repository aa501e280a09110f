"""Merchants (the tenants) and the people and keys that act for them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from recete_app.backend.models.base import (
    created_field,
    id_field,
    json_field,
    merchant_field,
    timestamp_field,
)


class Merchant(SQLModel, table=True):
    __tablename__ = "merchants"

    id: uuid.UUID = id_field()
    name: str = Field(max_length=200)
    default_language: str = Field(default="en", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    settings: dict[str, Any] = json_field()
    created_at: datetime = created_field()


class Account(SQLModel, table=True):
    """A person who logs in to the dashboard. Emails are unique across all merchants."""

    __tablename__ = "accounts"
    __table_args__ = (sa.UniqueConstraint("email", name="uq_accounts_email"),)

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    email: str = Field(max_length=320)
    name: str = Field(default="", max_length=200)
    role: str = Field(default="owner", max_length=20)
    password_hash: str
    created_at: datetime = created_field()
    last_login_at: datetime | None = timestamp_field()


class AuthSession(SQLModel, table=True):
    """One signed-in session; its id is the JWT's `jti`, so logout can revoke it."""

    __tablename__ = "auth_sessions"

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    account_id: uuid.UUID = Field(foreign_key="accounts.id", ondelete="CASCADE", index=True)
    created_at: datetime = created_field()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = timestamp_field()


class ApiKey(SQLModel, table=True):
    """Only the SHA-256 of the key is kept; the key itself is shown once."""

    __tablename__ = "api_keys"
    __table_args__ = (sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),)

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    name: str = Field(default="", max_length=200)
    prefix: str = Field(max_length=32)
    key_hash: str = Field(max_length=64)
    # What the key may do (accounts/scopes.py); the database's default is the narrowest scope.
    scopes: list[str] = Field(
        default_factory=lambda: ["orders:write"],
        sa_column=sa.Column(
            postgresql.ARRAY(sa.String(32)),
            nullable=False,
            server_default=sa.text("'{orders:write}'"),
        ),
    )
    created_at: datetime = created_field()
    # Capped by api_key_max_expiry_days; null only on keys revoked before migration 0015.
    expires_at: datetime | None = timestamp_field(index=True)
    revoked_at: datetime | None = timestamp_field()
    last_used_at: datetime | None = timestamp_field()
    created_by: uuid.UUID | None = Field(
        default=None, foreign_key="accounts.id", ondelete="SET NULL"
    )


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    actor: str = Field(max_length=100)
    action: str = Field(max_length=100, index=True)
    target: str = Field(default="", max_length=200)
    details: dict[str, Any] = json_field()
    request_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_field()


class JobSchedule(SQLModel, table=True):
    """When each periodic job last ran; claimed with a conditional UPDATE so that any number of
    workers run it once per interval. Not a tenant table."""

    __tablename__ = "job_schedules"

    name: str = Field(primary_key=True, max_length=100)
    last_run_at: datetime | None = timestamp_field()
    interval_seconds: int | None = None  # how often it should run (the operator's alert)


class IdempotencyKey(SQLModel, table=True):
    """A creating request made with an `Idempotency-Key` header: the same key on the same route
    of the same merchant answers with what the first request created (`resource_id`), and
    creates nothing twice. `fingerprint` (SHA-256 of the request) tells a replay from a key
    reused for a different request."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "route", "key", name="uq_idempotency_keys_key"),
    )

    id: uuid.UUID = id_field()
    # The unique constraint leads with merchant_id and serves its lookups.
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    route: str = Field(max_length=100)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    resource_id: uuid.UUID | None = None
    created_at: datetime = created_field()
