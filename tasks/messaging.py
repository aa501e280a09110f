"""Sending due messages and planning journeys, off the request path."""

from __future__ import annotations

import uuid

import dramatiq

from recete_app.backend.db import session_scope
from recete_app.backend.journeys.delivery import send_batch
from recete_app.backend.journeys.planner import apply_domain_events


@dramatiq.actor(queue_name="messages", max_retries=0)
def send_scheduled_messages(merchant_id: str, rows: list[tuple[str, int]]) -> None:
    """One merchant's claimed rows, (row id, claim) each. Retries live in the schedule
    (backoff on the row), and a lost queue message is taken back by the sweeper: Dramatiq must
    never run a send twice on its own."""
    send_batch(uuid.UUID(merchant_id), [(uuid.UUID(row_id), claim) for row_id, claim in rows])


@dramatiq.actor(queue_name="journeys", max_retries=3, min_backoff=5_000)
def plan_journeys(merchant_id: str) -> None:
    with session_scope(uuid.UUID(merchant_id)) as session:
        apply_domain_events(session)
