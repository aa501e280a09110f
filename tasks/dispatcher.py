"""The dispatcher loop: run by `recete worker` and by the embedded backend, in every process
(claims skip each other's rows). Every second it hands due messages to senders; every few
seconds it takes back expired claims and asks for journeys to be planned."""

from __future__ import annotations

import logging
import threading
import time

from recete_app.backend.db import session_scope
from recete_app.backend.journeys.planner import merchants_with_events
from recete_app.backend.messaging.outbox.dispatch import SendOrder, dispatch_due, release_stale
from tasks.agent import sweep_waiting_messages
from tasks.messaging import plan_journeys, send_scheduled_messages

log = logging.getLogger(__name__)

SWEEP_EVERY = 15.0
PLAN_EVERY = 5.0


def _send(order: SendOrder) -> None:
    rows = [(str(row_id), claim) for row_id, claim in order.rows]
    send_scheduled_messages.send(str(order.merchant_id), rows)


def sweep() -> None:
    released = release_stale()
    if released:
        log.warning("took back expired message claims: %s", released)
    waiting = sweep_waiting_messages()
    if waiting:
        log.warning("handed %d conversation(s) with unanswered messages to the agent", waiting)


def plan() -> None:
    with session_scope(lookups={"dispatcher": "on"}) as session:
        merchants = merchants_with_events(session)
    for merchant_id in merchants:
        plan_journeys.send(str(merchant_id))


def run_dispatch_loop(stop: threading.Event, tick_seconds: float = 1.0) -> None:
    last_sweep = last_plan = 0.0
    while not stop.is_set():
        try:
            now = time.monotonic()
            if now - last_sweep >= SWEEP_EVERY:
                sweep()
                last_sweep = now
            if now - last_plan >= PLAN_EVERY:
                plan()
                last_plan = now
            dispatched = dispatch_due(_send)
            if dispatched:
                log.info("dispatched %d due message(s)", dispatched)
        except Exception:
            log.exception("dispatcher tick failed; retrying")
        stop.wait(tick_seconds)
