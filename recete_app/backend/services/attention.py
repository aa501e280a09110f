"""What needs the merchant now, for the Overview: conversations waiting for a person (urgent
ones first), sends in doubt, connections that stopped working, webhooks that could not be
handled, and a journey that is off. Counts only, each with where to act on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from recete_app.backend.commerce.overview import KIND_LABELS
from recete_app.backend.db import session_scope
from recete_app.backend.journeys.settings import journey_for
from recete_app.backend.messaging.outbox.schedule import UNKNOWN
from recete_app.backend.models import (
    Conversation,
    ConversationStatus,
    ExternalEvent,
    Integration,
    IntegrationStatus,
    JourneyStep,
    ScheduledMessage,
)

# Connections whose stores' events or numbers' sends have stopped until the merchant acts.
STOPPED = (IntegrationStatus.BROKEN, IntegrationStatus.UNINSTALLED, IntegrationStatus.REDACTED)


@dataclass(frozen=True)
class Attention:
    waiting: int  # conversations waiting for a person
    urgent: int  # of those, flagged urgent (an adverse reaction)
    oldest_waiting_since: datetime | None
    sends_in_doubt: int
    stopped_connections: list[str]  # "WhatsApp +90 …: broken"
    failed_webhooks: int
    journey_off: bool
    steps_off: int

    @property
    def anything(self) -> bool:
        return bool(
            self.waiting
            or self.sends_in_doubt
            or self.stopped_connections
            or self.failed_webhooks
            or self.journey_off
        )


def what_needs_you(merchant_id: uuid.UUID) -> Attention:
    with session_scope(merchant_id) as session:
        waiting, urgent, oldest = _waiting(session)
        journey = journey_for(session)
        return Attention(
            waiting=waiting,
            urgent=urgent,
            oldest_waiting_since=oldest,
            sends_in_doubt=_count(
                session, ScheduledMessage, col(ScheduledMessage.status) == UNKNOWN
            ),
            stopped_connections=_stopped(session),
            failed_webhooks=_count(session, ExternalEvent, col(ExternalEvent.status) == "failed"),
            journey_off=not journey.enabled,
            steps_off=_count(
                session,
                JourneyStep,
                sa.and_(
                    col(JourneyStep.journey_id) == journey.id, col(JourneyStep.enabled).is_(False)
                ),
            ),
        )


def _off_in(journey_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.and_(col(JourneyStep.journey_id) == journey_id, col(JourneyStep.enabled).is_(False))


def _waiting(session: Session) -> tuple[int, int, datetime | None]:
    row = session.exec(
        select(
            func.count(),
            func.count().filter(col(Conversation.urgent)),
            func.min(Conversation.escalated_at),
        ).where(Conversation.status == ConversationStatus.NEEDS_HUMAN)
    ).one()
    return int(row[0]), int(row[1]), row[2]


def _count(session: Session, table: type, condition: sa.ColumnElement[bool]) -> int:
    return int(session.exec(select(func.count()).select_from(table).where(condition)).one())


def _stopped(session: Session) -> list[str]:
    rows = session.exec(
        select(Integration.kind, Integration.display_name, Integration.status).where(
            col(Integration.status).in_(STOPPED)
        )
    ).all()
    return [
        " ".join(p for p in (KIND_LABELS.get(kind, kind), name) if p) + f": {status}"
        for kind, name, status in rows
    ]
