"""Reading product pages off the request path, resuming what a dead worker left, re-reading
pages on a schedule."""

from __future__ import annotations

import uuid

import dramatiq

from recete_app.backend import queueing
from recete_app.backend.knowledge import scrape_jobs
from recete_app.backend.tenants import ids_per_merchant


@dramatiq.actor(queue_name="knowledge", max_retries=0, time_limit=6 * 3600 * 1000)
def scrape_products(merchant_id: str, job_id: str) -> None:
    """A crash mid-job is resumed by `resume_scrape_jobs`, not by Dramatiq's retries."""
    scrape_jobs.run_scrape(uuid.UUID(merchant_id), uuid.UUID(job_id))


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def resume_scrape_jobs() -> None:
    for merchant_id, job_id in ids_per_merchant(scrape_jobs.jobs_to_resume):
        scrape_products.send(str(merchant_id), str(job_id))


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def rescrape_products() -> None:
    for merchant_id, job_id in ids_per_merchant(scrape_jobs.start_rescrape):
        scrape_products.send(str(merchant_id), str(job_id))


queueing.register(
    scrape_jobs.JOB, lambda merchant_id, job_id: scrape_products.send(merchant_id, job_id)
)
