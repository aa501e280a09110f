"""The dispatcher and the sweeper: the only parts that look at every merchant's schedule.

The dispatcher claims due rows (`FOR UPDATE SKIP LOCKED`, so any number of dispatchers can run)
and hands them, a batch of one merchant's rows at a time, to a sender with their claim numbers;
it keeps at most MAX_IN_FLIGHT rows claimed so a claim's lease never runs out while it waits in
the queue. The sweeper takes back claims whose lease ran out (a dead worker, a lost queue
message, a dead Redis): recovery never waits for the broker to redeliver.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from recete_app.backend.db import session_scope
from recete_app.backend.messaging.outbox.schedule import QUEUED, SCHEDULED
from recete_app.backend.models import ScheduledMessage

QUEUE_LEASE = timedelta(seconds=60)
BATCH = 2000  # rows claimed per statement; they leave in batches of at most SEND_BATCH
SEND_BATCH = 50  # one merchant's rows per sender run (outbox/sending.py sends them in waves)
PER_MERCHANT = SEND_BATCH  # per claim: busy numbers' runs alternate with other numbers' runs
MAX_IN_FLIGHT = 5000


@dataclass(frozen=True)
class Claim:
    merchant_id: uuid.UUID
    scheduled_id: uuid.UUID
    claim: int


@dataclass(frozen=True)
class SendOrder:
    """One sender run: a merchant's claimed rows, (row id, claim number) each."""

    merchant_id: uuid.UUID
    rows: list[tuple[uuid.UUID, int]]


# Rows are claimed per merchant (the oldest waiting first, up to PER_MERCHANT rows each) rather
# than the oldest rows overall: a sender run reads and sends one merchant's rows together, and
# rows spread thinly over many merchants would make runs of two or three rows. FOR UPDATE sits in
# the per-merchant subquery, so the rows two dispatchers race for are skipped, not waited on.
_CLAIM = sa.text(
    """
    WITH room AS (
        SELECT greatest(0, :max_in_flight - count(*))::int AS n
        FROM scheduled_messages
        WHERE status IN ('queued', 'sending') AND lease_until > now()
    ), waiting AS (
        SELECT merchant_id, min(due_at) AS oldest
        FROM scheduled_messages
        WHERE status = 'scheduled' AND due_at <= now()
        GROUP BY merchant_id
        ORDER BY oldest
    ), due AS (
        SELECT rows.id
        FROM waiting
        CROSS JOIN LATERAL (
            SELECT id FROM scheduled_messages
            WHERE merchant_id = waiting.merchant_id AND status = 'scheduled' AND due_at <= now()
            ORDER BY due_at
            LIMIT :per_merchant
            FOR UPDATE SKIP LOCKED
        ) AS rows
        LIMIT least(:batch, (SELECT n FROM room))
    ), claimed AS (
        UPDATE scheduled_messages AS s
        SET status = 'queued', claims = s.claims + 1,
            lease_until = now() + make_interval(secs => :lease), updated_at = now()
        FROM due WHERE s.id = due.id
        RETURNING s.merchant_id, s.id, s.claims, s.due_at
    )
    -- An UPDATE returns its rows in no promised order: a customer's day-14 message could be
    -- handed over before their day-3 one (a test saw it once). Claims go out in due order.
    SELECT merchant_id, id, claims FROM claimed ORDER BY due_at, id
    """
)

_RELEASE = sa.text(
    """
    UPDATE scheduled_messages
    SET status = CASE WHEN status = 'sending' AND request_started_at IS NOT NULL
                      THEN 'unknown' ELSE 'scheduled' END,
        last_error = CASE WHEN status = 'sending' AND request_started_at IS NOT NULL
                          THEN :unknown_reason ELSE last_error END,
        lease_until = NULL, updated_at = now()
    WHERE status IN ('queued', 'sending') AND lease_until < now()
    RETURNING status
    """
)
UNKNOWN_REASON = (
    "The worker stopped while the request may have been on its way to WhatsApp; "
    "waiting for WhatsApp's status report before deciding."
)


def claim_due(batch: int = BATCH, max_in_flight: int = MAX_IN_FLIGHT) -> list[Claim]:
    with session_scope(lookups={"dispatcher": "on"}) as session:
        rows = session.execute(
            _CLAIM,
            {
                "batch": batch,
                "per_merchant": PER_MERCHANT,
                "max_in_flight": max_in_flight,
                "lease": QUEUE_LEASE.total_seconds(),
            },
        ).all()
    return [Claim(merchant_id, scheduled_id, claims) for merchant_id, scheduled_id, claims in rows]


def dispatch_due(send: Callable[[SendOrder], None], batch: int = BATCH) -> int:
    """Claim and hand over due rows until none are left (or the in-flight cap is reached).
    A failed hand-over (Redis down) leaves the rows claimed; the sweeper takes them back."""
    total = 0
    while True:
        claims = claim_due(batch)
        for order in send_orders(claims):
            send(order)
        total += len(claims)
        if len(claims) < batch:
            return total


def send_orders(claims: list[Claim], size: int = SEND_BATCH) -> list[SendOrder]:
    """Claims grouped by merchant (one number, one channel, one batch's reads), in claim order,
    at most `size` rows per sender run."""
    by_merchant: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = {}
    for claim in claims:
        by_merchant.setdefault(claim.merchant_id, []).append((claim.scheduled_id, claim.claim))
    return [
        SendOrder(merchant_id, rows[first : first + size])
        for merchant_id, rows in by_merchant.items()
        for first in range(0, len(rows), size)
    ]


def release_stale() -> dict[str, int]:
    """Expired claims: not yet started -> scheduled again; maybe sent -> unknown."""
    with session_scope(lookups={"dispatcher": "on"}) as session:
        statuses = session.execute(_RELEASE, {"unknown_reason": UNKNOWN_REASON}).scalars().all()
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def claim_for_customer(
    session: Session, customer_id: uuid.UUID, kinds: tuple[str, ...]
) -> list[tuple[uuid.UUID, int]]:
    """Claim one customer's due rows in the caller's transaction (the sandbox sends them at once
    instead of waiting for the dispatcher's next tick)."""
    rows = session.execute(
        sa.update(ScheduledMessage)
        .where(
            col(ScheduledMessage.customer_id) == customer_id,
            col(ScheduledMessage.status) == SCHEDULED,
            col(ScheduledMessage.due_at) <= sa.func.clock_timestamp(),
            col(ScheduledMessage.kind).in_(kinds),
        )
        .values(
            status=QUEUED,
            claims=ScheduledMessage.claims + 1,
            lease_until=sa.func.now() + QUEUE_LEASE,
            updated_at=sa.func.now(),
        )
        .returning(col(ScheduledMessage.id), col(ScheduledMessage.claims))
        .execution_options(synchronize_session=False)
    ).all()
    return [(row_id, claims) for row_id, claims in rows]
