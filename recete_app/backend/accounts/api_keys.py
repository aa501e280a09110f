"""API keys: create (shown once), list, revoke, authenticate, expire. What a key may do is its
scopes (accounts/scopes.py); how long it lives is capped by `api_key_max_expiry_days`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from recete_app.backend import audit
from recete_app.backend.accounts.scopes import normalize_scopes
from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.config import get_settings
from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.errors import InvalidInput, NotFound, Unauthorized
from recete_app.backend.models import ApiKey
from recete_app.backend.security.api_keys import (
    display_prefix,
    generate_api_key,
    hash_api_key,
    looks_like_api_key,
)
from recete_app.backend.tenants import for_each_merchant


@dataclass(frozen=True)
class CreatedKey:
    id: uuid.UUID
    key: str  # the only time the key itself exists outside the caller's hands
    prefix: str
    expires_at: datetime
    scopes: list[str]


def create_key(
    session: Session,
    actor: str,
    name: str = "",
    expires_days: int | None = None,
    scopes: Iterable[str] | None = None,
) -> CreatedKey:
    """A new key with the given scopes (default orders:write), expiring after expires_days, or
    after the configured cap when none is given: no key lives forever."""
    granted = normalize_scopes(scopes)
    expires_at = datetime.now(UTC) + timedelta(days=_lifetime_days(expires_days))
    key = generate_api_key()
    row = ApiKey(
        merchant_id=current_merchant_id(session),
        name=name.strip()[:200],
        prefix=display_prefix(key),
        key_hash=hash_api_key(key),
        scopes=granted,
        expires_at=expires_at,
        created_by=_account_id(actor),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "api_key.created", target=str(row.id), prefix=row.prefix, scopes=granted
    )
    return CreatedKey(row.id, key, row.prefix, expires_at, granted)


def issue_key(
    merchant_id: uuid.UUID,
    actor: str,
    name: str = "",
    expires_days: int | None = None,
    scopes: Iterable[str] | None = None,
) -> CreatedKey:
    """The merchant's "create an API key" (dashboard, REST API, CLI), in its own transaction."""
    with session_scope(merchant_id) as session:
        return create_key(session, actor, name, expires_days, scopes)


def withdraw_key(merchant_id: uuid.UUID, actor: str, key_id: uuid.UUID | str) -> ApiKey:
    """The merchant's "revoke this key" (dashboard, REST API), in its own transaction. An id
    that is not one names no key."""
    try:
        key = key_id if isinstance(key_id, uuid.UUID) else uuid.UUID(key_id)
    except ValueError:
        raise NotFound("No such API key.") from None
    with session_scope(merchant_id) as session:
        return revoke_key(session, actor, key)


def _lifetime_days(expires_days: int | None) -> int:
    cap = get_settings().api_key_max_expiry_days
    if expires_days is None:
        return cap
    if not 1 <= expires_days <= cap:
        raise InvalidInput(
            f"expires_days must be between 1 and {cap}.",
            details=[{"field": "expires_days", "message": f"must be between 1 and {cap}"}],
        )
    return expires_days


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at).desc())).all())


def revoke_key(session: Session, actor: str, key_id: uuid.UUID) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("No such API key.")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        audit.record(session, actor, "api_key.revoked", target=str(row.id), prefix=row.prefix)
    return row


def key_state(row: ApiKey, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    expired = row.expires_at is not None and row.expires_at <= now
    # The expiry job closes an expired key with revoked_at = expires_at: still "expired".
    if row.revoked_at is not None and not (expired and row.revoked_at >= row.expires_at):  # type: ignore[operator]
        return "revoked"
    return "expired" if expired else "active"


def authenticate_key(key: str) -> Principal:
    if not looks_like_api_key(key):
        raise Unauthorized("Invalid API key.", code="invalid_api_key")
    key_hash = hash_api_key(key)
    with session_scope(lookups={"api_key_hash": key_hash}) as session:
        row = session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()
    if row is None or key_state(row) != "active":
        raise Unauthorized("Invalid, expired or revoked API key.", code="invalid_api_key")
    with session_scope(row.merchant_id) as session:
        stored = session.get_one(ApiKey, row.id)
        stored.last_used_at = datetime.now(UTC)
    return Principal(
        merchant_id=row.merchant_id,
        actor=f"api_key:{row.id}",
        api_key_id=row.id,
        scopes=frozenset(row.scopes),
    )


def expire_due_keys(session: Session, now: datetime | None = None) -> int:
    """Close keys past their expiry (revoked_at = expires_at) and audit it, once per key."""
    now = now or datetime.now(UTC)
    due = session.exec(
        select(ApiKey).where(
            col(ApiKey.revoked_at).is_(None),
            col(ApiKey.expires_at).is_not(None),
            col(ApiKey.expires_at) <= now,
        )
    ).all()
    for row in due:
        row.revoked_at = row.expires_at
        audit.record(session, "system", "api_key.expired", target=str(row.id), prefix=row.prefix)
    return len(due)


def expire_keys_for_all_merchants() -> int:
    return for_each_merchant(expire_due_keys)


def _account_id(actor: str) -> uuid.UUID | None:
    kind, _, value = actor.partition(":")
    return uuid.UUID(value) if kind == "account" and value else None
