"""Periodic jobs: each is enqueued once per interval, whichever process gets there first.

The claim is a conditional UPSERT on `job_schedules`, so any number of workers (and the embedded
backend) can run this loop without enqueuing a job twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import dramatiq

from recete_app.backend.jobs import claim_due_job
from tasks import analytics, commerce, knowledge, maintenance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_seconds: int
    actor: dramatiq.Actor  # type: ignore[type-arg]


JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("expire_api_keys", 24 * 3600, maintenance.expire_api_keys),
    PeriodicJob("forget_idempotency_keys", 24 * 3600, maintenance.forget_idempotency_keys),
    PeriodicJob("apply_retention", 24 * 3600, maintenance.apply_retention),
    PeriodicJob("sweep_external_events", 60, commerce.sweep_external_events),
    PeriodicJob("reconcile_shops", 3600, commerce.reconcile_shops),
    PeriodicJob("resume_order_imports", 60, commerce.resume_order_imports),
    PeriodicJob("resume_scrape_jobs", 60, knowledge.resume_scrape_jobs),
    PeriodicJob("resume_customer_exports", 60, commerce.resume_customer_exports),
    PeriodicJob("rescrape_products", 6 * 3600, knowledge.rescrape_products),
    PeriodicJob("roll_up_analytics", 60, analytics.roll_up_analytics),
)


def enqueue_due_jobs(jobs: tuple[PeriodicJob, ...] = JOBS) -> list[str]:
    enqueued = []
    for job in jobs:
        if claim_due_job(job.name, job.interval_seconds):
            job.actor.send()
            enqueued.append(job.name)
    return enqueued


def run_periodic_loop(stop: threading.Event, tick_seconds: float = 30.0) -> None:
    while not stop.is_set():
        try:
            for name in enqueue_due_jobs():
                log.info("enqueued periodic job %s", name)
        except Exception:
            log.exception("periodic job loop failed; retrying next tick")
        stop.wait(tick_seconds)
