"""The analytics queue rolled up into `journey_days`: per merchant, per day (the merchant's
timezone) and per journey step.

A batch claims pending events, the earliest sends first (so that a batch touches a few days, not
a backlog's every day), then rebuilds every day those events count on from *all* that day's
events, not by adding the batch to the old figures. Rolling up again therefore gives the
same numbers, a crash between claim and commit loses nothing (both roll back), and a late event
(a read three days on) rebuilds the day its message was sent, where it counts. One rollup per
merchant runs at a time (an advisory lock), so two workers cannot interleave a day's rebuild.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from recete_app.backend.analytics.agent_facts import AGENT_STEP
from recete_app.backend.analytics.pricing import RateCard, default_card
from recete_app.backend.analytics.reports import store_timezone
from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.tenants import all_merchant_ids

log = logging.getLogger(__name__)
BATCH = 5000

_LOCK_KEY = "hashtextextended('analytics-rollup:' || :m, 0)"
_LOCK = sa.text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
# A rollup already on this store (a slow run overlapping the next minute's) is left to finish.
_TRY_LOCK = sa.text(f"SELECT pg_try_advisory_xact_lock({_LOCK_KEY})")
_CLAIM = sa.text(
    """
    WITH claimed AS (
        UPDATE analytics_events AS e SET rolled_up_at = now()
        FROM (
            SELECT subject_id, name FROM analytics_events
            WHERE merchant_id = :m AND rolled_up_at IS NULL
            ORDER BY subject_at
            LIMIT :limit FOR UPDATE SKIP LOCKED
        ) AS pending
        WHERE e.subject_id = pending.subject_id AND e.name = pending.name
        RETURNING e.subject_at
    )
    SELECT (subject_at AT TIME ZONE :tz)::date AS day, count(*) AS events
    FROM claimed GROUP BY 1
    """
)
_FORGET = sa.text("DELETE FROM journey_days WHERE merchant_id = :m AND day = ANY(:days)")
_REBUILD = sa.text(
    """
    WITH days AS (
        SELECT (subject_at AT TIME ZONE :tz)::date AS day, step, subject_id, name, properties
        FROM analytics_events
        JOIN unnest(CAST(:los AS timestamptz[]), CAST(:his AS timestamptz[])) AS r(lo, hi)
            ON subject_at >= r.lo AND subject_at < r.hi
        WHERE merchant_id = :m
            AND step <> :agent  -- the agent's facts are read directly (agent_report)
    ), chosen AS (
        SELECT * FROM days WHERE day = ANY(:days)
    ), rates AS (
        SELECT * FROM unnest(CAST(:codes AS text[]), CAST(:categories AS text[]),
                             CAST(:prices AS numeric[])) AS r(code, category, price)
    ), sends AS (
        SELECT day, step, subject_id,
            bool_or(name = 'sent') AS sent,
            bool_or(name = 'delivered') AS delivered,
            bool_or(name = 'read') AS read,
            bool_or(name = 'replied') AS replied,
            bool_or(name = 'clicked') AS clicked,
            -- a delivery report outranks an earlier failure report
            bool_or(name = 'failed') AND NOT bool_or(name = 'delivered') AS failed,
            bool_or(name = 'opted_out') AS opted_out
        FROM chosen GROUP BY day, step, subject_id
    ), counts AS (
        SELECT day, step,
            count(*) FILTER (WHERE sent) AS sent,
            count(*) FILTER (WHERE delivered) AS delivered,
            count(*) FILTER (WHERE read) AS read,
            count(*) FILTER (WHERE replied) AS replied,
            count(*) FILTER (WHERE clicked) AS clicked,
            count(*) FILTER (WHERE failed) AS failed,
            count(*) FILTER (WHERE opted_out) AS opted_out
        FROM sends GROUP BY day, step
    ), costs AS (
        SELECT c.day, c.step, count(*) AS billable,
            sum(coalesce(exact.price, other.price, 0)) AS cost
        FROM chosen c
        -- WhatsApp charges a billable message when it is delivered
        JOIN sends s USING (day, step, subject_id)
        LEFT JOIN rates exact ON exact.code = c.properties->>'calling_code'
            AND exact.category = lower(c.properties->>'category')
        LEFT JOIN rates other ON other.code = '*'
            AND other.category = lower(c.properties->>'category')
        WHERE c.name = 'priced' AND c.properties->>'billable' = 'true' AND s.delivered
        GROUP BY c.day, c.step
    ), codes AS (
        SELECT day, step,
            jsonb_object_agg(code, jsonb_build_object('count', n, 'title', title)) AS failures
        FROM (
            SELECT c.day, c.step, coalesce(c.properties->>'code', 'none') AS code,
                count(*) AS n, max(c.properties->>'title') AS title
            FROM chosen c JOIN sends s USING (day, step, subject_id)
            WHERE c.name = 'failed' AND s.failed GROUP BY 1, 2, 3
        ) AS f
        GROUP BY day, step
    ), revenue AS (
        SELECT day, step, sum(n) AS orders, jsonb_object_agg(currency, total::text) AS revenue
        FROM (
            SELECT day, step, coalesce(nullif(properties->>'currency', ''), 'XXX') AS currency,
                count(*) AS n, sum((properties->>'amount')::numeric) AS total
            FROM chosen WHERE name = 'attributed' GROUP BY 1, 2, 3
        ) AS r
        GROUP BY day, step
    )
    INSERT INTO journey_days (merchant_id, day, step, sent, delivered, read, replied, clicked,
        failed, opted_out, billable, cost_estimate, failures, attributed_orders,
        attributed_revenue, rolled_up_at)
    SELECT :m, c.day, c.step, c.sent, c.delivered, c.read, c.replied, c.clicked, c.failed,
        c.opted_out, coalesce(k.billable, 0), coalesce(k.cost, 0),
        coalesce(f.failures, '{}'::jsonb), coalesce(r.orders, 0),
        coalesce(r.revenue, '{}'::jsonb), now()
    FROM counts c
    LEFT JOIN costs k USING (day, step)
    LEFT JOIN codes f USING (day, step)
    LEFT JOIN revenue r USING (day, step)
    """
)


def roll_up_everywhere(card: RateCard | None = None) -> int:
    """Every merchant's pending events; how many were rolled up. A store whose rollup fails
    is logged and retried next time; the stores after it are rolled up all the same."""
    total = 0
    for merchant_id in all_merchant_ids():
        try:
            total += roll_up(merchant_id, card)
        except Exception:
            log.exception("analytics rollup failed for merchant %s", merchant_id)
    return total


def roll_up(merchant_id: uuid.UUID, card: RateCard | None = None, batch: int = BATCH) -> int:
    """This merchant's pending events, a batch per transaction; how many were rolled up."""
    total = 0
    while True:
        with session_scope(merchant_id) as session:
            done = roll_up_batch(session, merchant_id, card or default_card(), batch)
        total += done
        if done < batch:
            return total


def roll_up_batch(session: Session, merchant_id: uuid.UUID, card: RateCard, limit: int) -> int:
    if not session.execute(_TRY_LOCK, {"m": str(merchant_id)}).scalar_one():
        return 0
    zone = store_timezone(session)
    claimed = session.execute(_CLAIM, {"m": merchant_id, "limit": limit, "tz": zone}).all()
    if claimed:
        rebuild_days(session, merchant_id, [row.day for row in claimed], zone, card)
    return sum(row.events for row in claimed)


def rebuild_days(
    session: Session, merchant_id: uuid.UUID, days: Sequence[date], zone: str, card: RateCard
) -> None:
    """Recount these days from all their events (the caller holds the merchant's lock)."""
    rates = card.rows()
    spans = utc_spans(days)
    session.execute(_FORGET, {"m": merchant_id, "days": list(days)})
    session.execute(
        _REBUILD,
        {
            "m": merchant_id,
            "tz": zone,
            "agent": AGENT_STEP,
            "days": list(days),
            "los": [lo for lo, _hi in spans],
            "his": [hi for _lo, hi in spans],
            "codes": [code for code, _category, _price in rates],
            "categories": [category for _code, category, _price in rates],
            "prices": [price for _code, _category, price in rates],
        },
    )


def start_over(session: Session) -> None:
    """Forget the store's daily figures and queue all its facts again (its timezone changed,
    so its days did): the next rollup counts every day afresh."""
    merchant_id = current_merchant_id(session)
    # After any rollup in progress: its uncommitted days would survive the delete.
    session.execute(_LOCK, {"m": str(merchant_id)})
    session.execute(sa.text("DELETE FROM journey_days WHERE merchant_id = :m"), {"m": merchant_id})
    session.execute(
        sa.text("UPDATE analytics_events SET rolled_up_at = NULL WHERE merchant_id = :m"),
        {"m": merchant_id},
    )


def utc_spans(days: Sequence[date]) -> list[tuple[datetime, datetime]]:
    """Where these days' facts can lie, as disjoint UTC ranges: a day in any timezone lies within
    a day either side of the same UTC date. Disjoint, so that joining them reads a fact once;
    one range per run of days, so that a late fact about a send weeks ago does not make the
    rebuild read all the weeks between."""
    spans: list[tuple[datetime, datetime]] = []
    for day in sorted(set(days)):
        lo = datetime.combine(day - timedelta(days=1), time(0), UTC)
        hi = datetime.combine(day + timedelta(days=2), time(0), UTC)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return spans
