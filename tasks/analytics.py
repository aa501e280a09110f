"""The analytics queue's worker: journey facts rolled up into daily figures."""

from __future__ import annotations

import logging

import dramatiq

from recete_app.backend.analytics import rollup

log = logging.getLogger(__name__)


@dramatiq.actor(queue_name="analytics", max_retries=3, time_limit=3600 * 1000)
def roll_up_analytics() -> None:
    """Every merchant's pending analytics events, rolled up into `journey_days`."""
    rolled = rollup.roll_up_everywhere()
    log.info("rolled up %d analytics event(s)", rolled)
