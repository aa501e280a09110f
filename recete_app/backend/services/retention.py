"""Keeping personal data only as long as the store says (KVKK and GDPR: storage limitation).

Each store sets, in its settings, how long Recete keeps:
- message bodies (default 400 days): the text and details of older messages are blanked; the
  message rows stay, so conversations and figures keep their counts;
- the raw bodies of webhooks that were handled (30 days): blanked, the event row stays (it is
  what makes a store's retry of an old webhook a duplicate);
- the bodies of webhooks that never could be handled (90 days): blanked and given up.

Customers' prepared exports are deleted after 7 days whatever the settings.

A daily job (`tasks.maintenance.apply_retention`) sweeps every store in batches of 1,000 rows,
one transaction each, and writes the counts to the audit log. It walks keyset pages from a week
(LOOKBACK) before where the previous run stopped (kept in the store's settings), skipping rows
blanked already: a day's run reads eight days' rows and writes only what is due, including rows
that became erasable after the previous run passed them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col, select

from recete_app.backend import audit
from recete_app.backend.commerce.customer_erasure import DATA_REQUEST, empty_export
from recete_app.backend.db import session_scope
from recete_app.backend.intake.erasure import erased_body
from recete_app.backend.intake.events import FAILED, IGNORED, PROCESSED, REFUSED
from recete_app.backend.models import (
    AuditLog,
    ExternalEvent,
    Merchant,
    Message,
    MessageDirection,
    MessageStatus,
    ScheduledMessage,
    ScheduledStatus,
)
from recete_app.backend.services import customer_exports
from recete_app.backend.tenants import all_merchant_ids

BATCH = 1000
MAX_DAYS = 3650
DEFAULTS = {"message_days": 400, "webhook_days": 30, "failed_event_days": 90}
HANDLED = (PROCESSED, IGNORED, REFUSED)
SETTLED = (
    ScheduledStatus.SENT,
    ScheduledStatus.FAILED,
    ScheduledStatus.SKIPPED,
    ScheduledStatus.CANCELLED,
)
DONE_THROUGH = "retention_done_through"  # merchant.settings: where the last sweep stopped
# How far behind where the last sweep stopped each sweep looks again, for rows that became
# erasable after it passed them. Meta retries a webhook for up to 7 days, so a customer's
# message can arrive that late, dated when it was written.
LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class RetentionPolicy:
    message_days: int = DEFAULTS["message_days"]
    webhook_days: int = DEFAULTS["webhook_days"]
    failed_event_days: int = DEFAULTS["failed_event_days"]


@dataclass(frozen=True)
class Swept:
    message_bodies: int = 0
    webhook_bodies: int = 0
    failed_events: int = 0
    sent_payloads: int = 0  # what an outbound message was made from (a reply's text)
    data_request_exports: int = 0  # Shopify data requests' exports kept in the audit log
    customer_exports: int = 0  # prepared exports past their 7 days (customer_exports.KEPT_FOR)

    @property
    def total(self) -> int:
        return (
            self.message_bodies
            + self.webhook_bodies
            + self.failed_events
            + self.sent_payloads
            + self.data_request_exports
            + self.customer_exports
        )


def policy_of(merchant: Merchant) -> RetentionPolicy:
    stored = merchant.settings.get("retention") or {}
    kept = {name: stored.get(name, default) for name, default in DEFAULTS.items()}
    return RetentionPolicy(**{k: int(v) for k, v in kept.items() if isinstance(v, int)})


LABELS = {
    "message_days": "Message texts",
    "webhook_days": "Handled webhooks",
    "failed_event_days": "Failed webhooks",
}


def policy_problems(policy: RetentionPolicy) -> list[dict[str, str]]:
    """Each setting is 1 to MAX_DAYS days; the field names are the store settings' own."""
    return [
        {"field": f"retention_{name}", "message": f"{LABELS[name]}: 1 to {MAX_DAYS} days"}
        for name in DEFAULTS
        if not 1 <= getattr(policy, name) <= MAX_DAYS
    ]


def store_policy(merchant: Merchant, policy: RetentionPolicy) -> None:
    merchant.settings = {**merchant.settings, "retention": vars(policy).copy()}


def apply_retention_everywhere(now: datetime | None = None) -> int:
    """Every store's sweep; returns how many bodies were blanked in all."""
    return sum(apply_retention(merchant_id, now).total for merchant_id in all_merchant_ids())


def apply_retention(merchant_id: uuid.UUID, now: datetime | None = None) -> Swept:
    """Blank what is past its time for one store, batch by batch; audited if anything was."""
    now = now or datetime.now(UTC)
    with session_scope(merchant_id) as session:
        merchant = session.get_one(Merchant, merchant_id)
        policy, done = policy_of(merchant), dict(merchant.settings.get(DONE_THROUGH) or {})
    message_cutoff = now - timedelta(days=policy.message_days)
    webhook_cutoff = now - timedelta(days=policy.webhook_days)
    swept = Swept(
        message_bodies=_walk(merchant_id, MESSAGE_TEXTS, done.get("messages"), message_cutoff),
        webhook_bodies=_walk(merchant_id, HANDLED_WEBHOOKS, done.get("webhooks"), webhook_cutoff),
        failed_events=_give_up_failed(merchant_id, now - timedelta(days=policy.failed_event_days)),
        sent_payloads=_walk(merchant_id, SETTLED_SENDS, done.get("sends"), message_cutoff),
        data_request_exports=_forget_old_exports(merchant_id, webhook_cutoff),
        customer_exports=customer_exports.forget_expired(merchant_id, now),
    )
    _finish(merchant_id, swept, message_cutoff, webhook_cutoff)
    return swept


Key = tuple[datetime, uuid.UUID]


@dataclass(frozen=True)
class Blanking:
    """One kind of row that retention blanks: its table, the column its age is read from,
    which of its rows it applies to (given the cutoff), which are not blanked yet, and the
    values that blank one (made per page: a sealed body is encrypted afresh)."""

    model: Any
    at: Any
    applies: Callable[[datetime], Any]
    unblanked: Any
    values: Callable[[], dict[str, Any]]


MESSAGE_TEXTS = Blanking(
    Message,
    col(Message.created_at),
    # A customer's message the agent has not answered yet keeps its text while it is still to
    # read: up to LOOKBACK past its retention, after which it was never going to be.
    lambda cutoff: (
        ~sa.and_(
            col(Message.direction) == MessageDirection.INBOUND,
            col(Message.status) == MessageStatus.RECEIVED,
            col(Message.created_at) >= cutoff - LOOKBACK,
        )
    ),
    ~sa.type_coerce(col(Message.details), JSONB).has_key("erased"),
    lambda: {"body": "", "details": {"erased": "retention"}},
)
HANDLED_WEBHOOKS = Blanking(
    ExternalEvent,
    col(ExternalEvent.received_at),
    lambda _cutoff: col(ExternalEvent.status).in_(HANDLED),
    col(ExternalEvent.body_erased_at).is_(None),
    erased_body,
)
# Outbound messages whose fate is settled: their payload (a reply's text, a template's values)
# goes with the message texts. One still in doubt keeps it for "send again".
SETTLED_SENDS = Blanking(
    ScheduledMessage,
    col(ScheduledMessage.due_at),
    lambda _cutoff: col(ScheduledMessage.status).in_(SETTLED),
    ~sa.type_coerce(col(ScheduledMessage.payload), JSONB).has_key("erased"),
    lambda: {"payload": {"erased": "retention"}},
)


def _walk(merchant_id: uuid.UUID, blanking: Blanking, since: str | None, cutoff: datetime) -> int:
    """Keyset pages of rows older than `cutoff`, each blanked in its own transaction: from
    LOOKBACK before where the last sweep stopped (`since`), for the rows that became erasable
    after it passed them (a webhook handled late, a message answered late or delivered late
    with the time it was written), skipping those blanked already."""
    start = datetime.fromisoformat(since) - LOOKBACK if since else None
    blanked, after = 0, None
    while True:
        with session_scope(merchant_id) as session:
            keys = _blank_page(session, blanking, start, cutoff, after)
        blanked += len(keys)
        if len(keys) < BATCH:
            return blanked
        after = keys[-1]


def _blank_page(
    session: Session,
    blanking: Blanking,
    start: datetime | None,
    cutoff: datetime,
    after: Key | None,
) -> list[Key]:
    at, row_id = blanking.at, blanking.model.id
    query = select(at, row_id).where(at < cutoff, blanking.applies(cutoff), blanking.unblanked)
    if start is not None:
        query = query.where(at >= start)
    if after is not None:
        query = query.where(sa.tuple_(at, row_id) > sa.tuple_(*after))
    keys = [(row[0], row[1]) for row in session.execute(query.order_by(at, row_id).limit(BATCH))]
    session.execute(
        sa.update(blanking.model)
        .where(col(row_id).in_([key for _at, key in keys]))
        .values(**blanking.values())
        .execution_options(synchronize_session=False)
    )
    return keys


def _forget_old_exports(merchant_id: uuid.UUID, cutoff: datetime) -> int:
    """A Shopify data request's export (the customer's data, for the merchant to pass on) is
    kept in its audit entry as long as a handled webhook's body, then emptied; the entry stays."""
    with session_scope(merchant_id) as session:
        entries = session.exec(
            select(AuditLog).where(
                AuditLog.action == DATA_REQUEST, col(AuditLog.created_at) < cutoff
            )
        ).all()
        kept = [entry for entry in entries if entry.details.get("export")]
        for entry in kept:
            empty_export(entry)
        return len(kept)


def _give_up_failed(merchant_id: uuid.UUID, cutoff: datetime) -> int:
    """Webhooks still failing after their time: nothing will retry them now."""
    given_up = 0
    while True:
        with session_scope(merchant_id) as session:
            ids = session.exec(
                select(ExternalEvent.id)
                .where(ExternalEvent.status == FAILED, col(ExternalEvent.received_at) < cutoff)
                .limit(BATCH)
            ).all()
            session.execute(
                sa.update(ExternalEvent)
                .where(col(ExternalEvent.id).in_(list(ids)))
                .values(
                    **erased_body(),
                    status=IGNORED,
                    error="Still failing when its retention ended: the body was erased.",
                    processed_at=datetime.now(UTC),
                )
                .execution_options(synchronize_session=False)
            )
        given_up += len(ids)
        if len(ids) < BATCH:
            return given_up


def _finish(
    merchant_id: uuid.UUID, swept: Swept, message_cutoff: datetime, webhook_cutoff: datetime
) -> None:
    with session_scope(merchant_id) as session:
        merchant = session.get_one(Merchant, merchant_id)
        done = dict(merchant.settings.get(DONE_THROUGH) or {})
        # Never backwards: a longer retention set later cannot bring erased bodies back.
        cutoffs = (("messages", message_cutoff), ("webhooks", webhook_cutoff))
        for name, cutoff in (*cutoffs, ("sends", message_cutoff)):
            if done.get(name) is None or datetime.fromisoformat(done[name]) < cutoff:
                done[name] = cutoff.isoformat()
        merchant.settings = {**merchant.settings, DONE_THROUGH: done}
        if swept.total:
            audit.record(session, "system", "retention.applied", target="", **vars(swept))
