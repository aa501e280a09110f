"""The agent's figures for a range of the store's days, read directly from its facts (a median
and a 90th percentile do not add up day by day, and these facts are few next to the sends'):
messages answered, drafts a guardrail stopped, escalations by reason, how long the customers
waited for a person (median, 90th percentile), escalations a person did not answer within 24
hours, each adverse reaction and its wait, and the model's cost."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from recete_app.backend.analytics.agent_facts import AGENT_STEP
from recete_app.backend.db import session_scope

ANSWER_WITHIN = timedelta(hours=24)
ADVERSE = "adverse_reaction"

_FIGURES = sa.text(
    """
    SELECT
        count(*) FILTER (WHERE name = 'answered') AS answered,
        count(*) FILTER (WHERE name = 'guardrail_blocked') AS guardrail_blocks,
        count(*) FILTER (WHERE name = 'escalated') AS escalations,
        count(*) FILTER (WHERE name = 'escalated' AND properties->>'urgent' = 'true') AS urgent,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY (properties->>'waited_seconds')::float)
            FILTER (WHERE name = 'person_replied') AS median_wait,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY (properties->>'waited_seconds')::float)
            FILTER (WHERE name = 'person_replied') AS p90_wait
    FROM analytics_events
    WHERE merchant_id = :m AND step = :agent AND subject_at >= :lo AND subject_at < :hi
    """
)
# Each escalation of the range with its first reply, if any.
_ESCALATIONS = sa.text(
    """
    SELECT e.subject_at AS escalated_at, e.properties->>'reason' AS reason,
        (r.properties->>'waited_seconds')::float AS waited
    FROM analytics_events e
    LEFT JOIN analytics_events r ON r.subject_id = e.subject_id AND r.name = 'person_replied'
    WHERE e.merchant_id = :m AND e.step = :agent AND e.name = 'escalated'
        AND e.subject_at >= :lo AND e.subject_at < :hi
    ORDER BY e.subject_at
    """
)
_LLM_COST = sa.text(
    "SELECT coalesce(sum(cost_usd), 0) FROM llm_calls"
    " WHERE merchant_id = :m AND created_at >= :lo AND created_at < :hi"
)


@dataclass
class AgentFigures:
    answered: int = 0
    guardrail_blocks: int = 0
    escalations: int = 0
    urgent: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    median_wait_minutes: float | None = None  # escalation to a person's first reply
    p90_wait_minutes: float | None = None
    unanswered_24h: int = 0  # escalations with no person's reply within 24 hours
    adverse_reactions: list[dict[str, Any]] = field(default_factory=list)  # each, with its wait
    llm_cost_usd: Decimal = Decimal(0)


def agent_figures(
    merchant_id: uuid.UUID, start: Any, end: Any, zone: str, now: datetime | None = None
) -> AgentFigures:
    """The agent's figures for the store's days `start`..`end` (dates, both included)."""
    tz = ZoneInfo(zone)
    lo = datetime.combine(start, time(0), tz)
    hi = datetime.combine(end + timedelta(days=1), time(0), tz)
    params = {"m": merchant_id, "agent": AGENT_STEP, "lo": lo, "hi": hi}
    with session_scope(merchant_id) as session:
        figures = _counts(session, params)
        _escalations(session, params, figures, now or datetime.now(UTC))
        figures.llm_cost_usd = Decimal(session.execute(_LLM_COST, params).scalar_one())
    return figures


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _counts(session: Session, params: dict[str, Any]) -> AgentFigures:
    row = session.execute(_FIGURES, params).one()
    return AgentFigures(
        answered=row.answered,
        guardrail_blocks=row.guardrail_blocks,
        escalations=row.escalations,
        urgent=row.urgent,
        median_wait_minutes=_minutes(row.median_wait),
        p90_wait_minutes=_minutes(row.p90_wait),
    )


def _escalations(
    session: Session, params: dict[str, Any], figures: AgentFigures, now: datetime
) -> None:
    for row in session.execute(_ESCALATIONS, params).all():
        reason = row.reason or "unknown"
        figures.by_reason[reason] = figures.by_reason.get(reason, 0) + 1
        late = row.waited is None or row.waited > ANSWER_WITHIN.total_seconds()
        if late and now - row.escalated_at >= ANSWER_WITHIN:
            figures.unanswered_24h += 1
        if reason == ADVERSE:
            figures.adverse_reactions.append(
                {
                    "escalated_at": row.escalated_at.isoformat(),
                    "waited_minutes": _minutes(row.waited),  # None: still waiting
                }
            )
