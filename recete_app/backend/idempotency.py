"""`Idempotency-Key` on creating requests: the first request with a key records what it
created, in its own transaction; the same key again (same merchant, same route) gets that back
and creates nothing. Two requests racing with one key meet at the table's unique constraint:
the second waits for the first to commit, then reads its result.

    with session_scope(merchant_id) as session:
        claim = idempotency.claim(session, "POST /api/products", key, request)
        if claim.replayed is not None:
            return claim.replayed
        job = ...create...
        idempotency.settle(session, claim, job.id)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, delete, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.errors import Conflict, InvalidInput
from recete_app.backend.models import IdempotencyKey
from recete_app.backend.tenants import for_each_merchant

MAX_KEY_LENGTH = 255
# A client retries within minutes or hours; a month covers any retry and keeps the table small.
KEEP_DAYS = 30


@dataclass(frozen=True)
class Claim:
    """`replayed`: what the first request with this key created (nothing to do but show it);
    otherwise `row_id` is ours to settle. Without a key both are None."""

    row_id: uuid.UUID | None
    replayed: uuid.UUID | None


NO_KEY = Claim(None, None)


def fingerprint(request: Any) -> str:
    """The request's JSON-able content, hashed: a key sent with another request is refused."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
            code="invalid_idempotency_key",
            details=[{"field": "Idempotency-Key", "message": "1 to 255 printable characters"}],
        )
    return key


def claim(session: Session, route: str, key: str | None, request: Any) -> Claim:
    """Take `key` for this request, or find what the request that took it before created."""
    key = check_key(key)
    if key is None:
        return NO_KEY
    digest = fingerprint(request)
    row_id = uuid.uuid4()
    taken = session.execute(
        insert(IdempotencyKey)
        .values(
            id=row_id,
            merchant_id=current_merchant_id(session),
            route=route,
            key=key,
            fingerprint=digest,
        )
        .on_conflict_do_nothing(index_elements=["merchant_id", "route", "key"])
        .returning(col(IdempotencyKey.id))
    ).first()
    if taken is not None:
        return Claim(row_id, None)
    earlier = session.exec(
        select(IdempotencyKey).where(IdempotencyKey.route == route, IdempotencyKey.key == key)
    ).one()
    if earlier.fingerprint != digest:
        raise Conflict(
            "This Idempotency-Key was used for a different request.",
            code="idempotency_key_reused",
        )
    if earlier.resource_id is None:  # settled in the same transaction, so never seen unset
        raise Conflict("The first request with this Idempotency-Key created nothing.")
    return Claim(None, earlier.resource_id)


def settle(session: Session, claim: Claim, resource_id: uuid.UUID) -> None:
    """Record what the request that took the key created (same transaction as the creation)."""
    if claim.row_id is None:
        return
    row = session.get_one(IdempotencyKey, claim.row_id)
    row.resource_id = resource_id
    session.flush()


def forget_old_keys(session: Session, now: datetime | None = None) -> int:
    """Delete this merchant's keys older than KEEP_DAYS (a key sent after that creates anew)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=KEEP_DAYS)
    gone = session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < cutoff))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def forget_old_keys_of_all_merchants() -> int:
    return for_each_merchant(forget_old_keys)
