"""Sending due messages exactly once, a batch of one merchant's rows at a time.

The first transaction checks and renders every row of the batch (reads in bulk, `SendBatch`),
moves the sendable ones from `queued` to `sending` and stamps the first wave's
`request_started_at`: they leave as soon as it commits. The requests leave in waves of WAVE at
once; before each later wave leaves, its rows are stamped (and the batch's lease renewed) in a
short transaction, and after each wave its results are recorded in another. A
worker that dies leaves `sending` rows: unstamped ones never left and go back to the schedule;
stamped ones may have left, so the sweeper marks them `unknown`, and the status webhook Meta
sends for every accepted message (tagged with the row's id in `biz_opaque_callback_data`)
reconciles them. Nothing is resent blindly, and a crash leaves at most one wave in doubt.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.db import session_scope
from recete_app.backend.messaging.channels import SANDBOX, Channel, channel_for
from recete_app.backend.messaging.outbox.composing import Composer, ComposerFor, Later, Ready, Stop
from recete_app.backend.messaging.outbox.dispatch import claim_for_customer
from recete_app.backend.messaging.outbox.recording import record_deliveries
from recete_app.backend.messaging.outbox.schedule import PAUSED, QUEUED, SCHEDULED, SENDING, SENT
from recete_app.backend.messaging.outbox.send_failures import record_failure, settle
from recete_app.backend.messaging.whatsapp.client import SentMessage
from recete_app.backend.messaging.whatsapp.errors import WhatsAppError
from recete_app.backend.models import ScheduledMessage

SEND_LEASE = timedelta(seconds=60)
# A claimed row another transaction holds is looked at again every LOCK_PAUSE seconds, up to
# LOCK_LOOKS times: far longer than the short transactions that touch a row.
LOCK_PAUSE = 0.02
LOCK_LOOKS = 100
WAVE = 10  # requests in flight at once per batch: what a crash can leave in doubt
CALLBACK_PREFIX = "sm:"
NUMBER_NEEDS_RECONNECT = "The WhatsApp number's access token expired or is missing: reconnect it."
# Room for every wave of a worker's sender threads at once (a request waiting for its number's
# send slot holds its thread while it sleeps).
_requests = ThreadPoolExecutor(max_workers=16 * WAVE, thread_name_prefix="whatsapp-send")


@dataclass(frozen=True)
class Leaving:
    row_id: uuid.UUID
    claim: int
    ready: Ready


Result = SentMessage | Exception
# Claims the rows to send in the transaction that starts them: (row id -> claim number).
Claiming = Callable[[Session], dict[uuid.UUID, int]]


def callback_data(scheduled_id: uuid.UUID) -> str:
    return f"{CALLBACK_PREFIX}{scheduled_id}"


def send_batch(
    merchant_id: uuid.UUID, claims: Sequence[tuple[uuid.UUID, int]], composer: ComposerFor
) -> dict[uuid.UUID, str]:
    """Send the rows these claims still own; what became of each, by row id."""
    return _send(merchant_id, lambda _session: dict(claims), composer)


def send_scheduled(
    merchant_id: uuid.UUID, scheduled_id: uuid.UUID, claim: int, composer: ComposerFor
) -> str:
    """Send one row if this claim still owns it; returns what became of it."""
    return send_batch(merchant_id, [(scheduled_id, claim)], composer)[scheduled_id]


def send_due_now(
    merchant_id: uuid.UUID, customer_id: uuid.UUID, kinds: tuple[str, ...], composer: ComposerFor
) -> dict[uuid.UUID, str]:
    """Send a customer's due rows of these kinds at once (a reply, a person's message), not on
    the dispatcher's next tick: what became of each, by row id. The caller has committed them.
    They are claimed in the transaction that starts them: a reply costs one transaction less."""

    def claim(session: Session) -> dict[uuid.UUID, int]:
        return dict(claim_for_customer(session, customer_id, kinds))

    return _send(merchant_id, claim, composer)


def _send(merchant_id: uuid.UUID, claim: Claiming, composer: ComposerFor) -> dict[uuid.UUID, str]:
    outcome: dict[uuid.UUID, str] = {}
    started = _start(merchant_id, claim, composer, outcome)
    if started is None:
        return outcome
    channel, leaving = started
    for first in range(0, len(leaving), WAVE):
        wave = leaving[first : first + WAVE]
        # The first wave was stamped by the transaction that started the batch.
        owned = _stamp(merchant_id, wave, leaving[first:]) if first else set(_ids(wave))
        results = _send_wave(channel, [item for item in wave if item.row_id in owned])
        outcome.update(_record(merchant_id, results, channel.status_on_send))
    return outcome


def _ids(items: list[Leaving]) -> list[uuid.UUID]:
    return [item.row_id for item in items]


def _start(
    merchant_id: uuid.UUID, claim: Claiming, composer: ComposerFor, outcome: dict[uuid.UUID, str]
) -> tuple[Channel, list[Leaving]] | None:
    now = datetime.now(UTC)
    with session_scope(merchant_id) as session:
        claims = claim(session)
        outcome.update({row_id: "not_queued" for row_id in claims})
        rows = _lock_owned(session, claims) if claims else []
        if not rows:
            return None
        channel = channel_for(session)
        if channel is None:
            for row in rows:
                settle(row, PAUSED, NUMBER_NEEDS_RECONNECT)
                outcome[row.id] = PAUSED
            return None
        batch = composer(session, now)
        batch.prefetch(rows)
        leaving = [item for row in rows if (item := _decide(batch, row, now, outcome))]
        first_wave = set(_ids(leaving[:WAVE]))  # they leave as soon as this commits
        for row in rows:
            if row.id in first_wave:
                row.request_started_at = now
    return (channel, leaving) if leaving else None


def _lock_owned(session: Session, claims: dict[uuid.UUID, int]) -> list[ScheduledMessage]:
    """The claimed rows this claim still owns, locked, the earliest due first (the earlier step
    wins the day). A row another transaction holds is skipped, never waited on, so two senders
    cannot deadlock; but while it is still `queued` under this claim it is looked at again
    shortly. A dispatcher's claim statement can lock a row it then does not take, and a row
    skipped for good would sit `queued` until its lease ran out: a reply a minute late."""
    owned: list[ScheduledMessage] = []
    waiting = dict(claims)
    for _look in range(LOCK_LOOKS):
        for row in session.exec(
            select(ScheduledMessage)
            .where(col(ScheduledMessage.id).in_(list(waiting)), ScheduledMessage.status == QUEUED)
            .with_for_update(skip_locked=True)
        ).all():
            if row.claims == waiting.pop(row.id):  # else re-claimed since: another sender's
                owned.append(row)
        held = _held_elsewhere(session, waiting)
        if not held:
            break
        waiting = {row_id: waiting[row_id] for row_id in held}
        time.sleep(LOCK_PAUSE)
    return sorted(owned, key=lambda row: row.due_at)


def _held_elsewhere(session: Session, waiting: dict[uuid.UUID, int]) -> list[uuid.UUID]:
    """Of the rows the locking read skipped, those still queued under this claim (read without
    a lock: another transaction holds them)."""
    if not waiting:
        return []
    return [
        row_id
        for row_id, claims in session.exec(
            select(ScheduledMessage.id, ScheduledMessage.claims).where(
                col(ScheduledMessage.id).in_(list(waiting)), ScheduledMessage.status == QUEUED
            )
        ).all()
        if claims == waiting[row_id]
    ]


def _decide(
    batch: Composer, row: ScheduledMessage, now: datetime, outcome: dict[uuid.UUID, str]
) -> Leaving | None:
    decision = batch.compose(row)
    if isinstance(decision, Stop):
        settle(row, decision.status, decision.reason)
        outcome[row.id] = decision.status
        return None
    if isinstance(decision, Later):
        settle(row, SCHEDULED, decision.reason)
        row.due_at = decision.due_at
        outcome[row.id] = "moved"
        return None
    # Kept so a send whose answer is lost can still be recorded when WhatsApp reports it.
    row.payload = {
        **row.payload,
        "text": decision.outgoing.text,
        "message_kind": decision.kind,
        "details": decision.details,
    }
    row.status = SENDING
    row.attempts += 1
    row.request_started_at = None  # stamped when its wave leaves
    row.lease_until = now + SEND_LEASE
    row.updated_at = now
    return Leaving(row.id, row.claims, decision)


_STAMP = sa.text(
    """
    UPDATE scheduled_messages AS s
    SET request_started_at = CASE WHEN s.id = ANY(:wave) THEN clock_timestamp()
                                  ELSE s.request_started_at END,
        lease_until = now() + make_interval(secs => :lease), updated_at = now()
    FROM unnest(CAST(:ids AS uuid[]), CAST(:claims AS int[])) AS c(id, claims)
    WHERE s.id = c.id AND s.claims = c.claims AND s.status = 'sending'
    RETURNING s.id
    """
)


def _stamp(merchant_id: uuid.UUID, wave: list[Leaving], rest: list[Leaving]) -> set[uuid.UUID]:
    """Mark the wave's requests as leaving and renew the lease of the rows still to go; the
    wave's rows this sender still owns (the sweeper may have taken back a row it was slow on)."""
    with session_scope(merchant_id) as session:
        ids = session.execute(
            _STAMP,
            {
                "wave": [item.row_id for item in wave],
                "ids": [item.row_id for item in rest],
                "claims": [item.claim for item in rest],
                "lease": SEND_LEASE.total_seconds(),
            },
        ).scalars()
        owned = set(ids)
    return {item.row_id for item in wave} & owned


def _send_wave(channel: Channel, wave: list[Leaving]) -> list[tuple[Leaving, Result]]:
    slots = channel.pace(len(wave))  # the wave's send slots on the number, taken at once

    def send(item: Leaving, slot: float | None) -> tuple[Leaving, Result]:
        try:
            return item, channel.send(item.ready.outgoing, callback_data(item.row_id), slot)
        except (WhatsAppError, ValueError) as exc:
            return item, exc

    if len(wave) == 1 or channel.name == SANDBOX:
        return [send(item, slot) for item, slot in zip(wave, slots, strict=True)]
    return list(_requests.map(send, wave, slots))


def _record(
    merchant_id: uuid.UUID, results: list[tuple[Leaving, Result]], status: str
) -> dict[uuid.UUID, str]:
    if not results:
        return {}
    outcome: dict[uuid.UUID, str] = {}
    with session_scope(merchant_id) as session:
        rows = {
            row.id: row
            for row in session.exec(
                select(ScheduledMessage)
                .where(col(ScheduledMessage.id).in_([item.row_id for item, _r in results]))
                .with_for_update()
            ).all()
        }
        delivered = []
        for item, result in results:
            row = rows[item.row_id]
            if isinstance(result, SentMessage):
                delivered.append((row, result.message_id))
                outcome[row.id] = SENT
            else:
                outcome[row.id] = record_failure(session, row, result)
        record_deliveries(session, delivered, status)
    return outcome
