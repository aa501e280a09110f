"""Scrape jobs: the URLs a merchant pasted (or the re-scrape schedule picked) read off the request
path, one product page per transaction, with progress and a result per page on the job row.
Reading a page again changes nothing that did not change, so a job whose worker died is simply
run again (`background_jobs`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from recete_app.backend import background_jobs, queueing
from recete_app.backend.background_jobs import ACTIVE, DONE, FAILED
from recete_app.backend.config import get_settings
from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.knowledge.embeddings import Embedder, configured_embedder
from recete_app.backend.knowledge.scraped_products import (
    record_scrape_failure,
    save_scraped_product,
)
from recete_app.backend.models import Product, ScrapeJob
from recete_app.backend.scraping.fetching import Fetcher
from recete_app.backend.scraping.reading import PageOutcome, read_products

log = logging.getLogger(__name__)
MAX_URLS = 50  # per request; a sitemap covers a whole store in one URL
JOB = "scrape_products"


def start_scrape(session: Session, urls: list[str], actor: str) -> ScrapeJob:
    """Queue a job for `urls` (the caller commits, then `enqueue`s it). Every bad URL is listed."""
    wanted = list(dict.fromkeys(url.strip() for url in urls if url.strip()))
    if not wanted:
        raise InvalidInput("Paste at least one product, collection or sitemap URL.")
    if len(wanted) > MAX_URLS:
        raise InvalidInput(f"At most {MAX_URLS} URLs at once; a sitemap URL covers a whole store.")
    bad = [url for url in wanted if not _is_web_url(url)]
    if bad:
        raise InvalidInput(
            "Not an http(s) address: " + ", ".join(bad[:5]),
            details=[{"field": "urls", "message": f"not an http(s) address: {url}"} for url in bad],
        )
    job = ScrapeJob(merchant_id=current_merchant_id(session), actor=actor[:255], urls=wanted)
    session.add(job)
    session.flush()
    return job


def enqueue(job: ScrapeJob) -> None:
    queueing.enqueue(JOB, merchant_id=str(job.merchant_id), job_id=str(job.id))


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def run_scrape(
    merchant_id: uuid.UUID,
    job_id: uuid.UUID,
    *,
    fetcher: Fetcher | None = None,
    embedder: Embedder | None = None,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> str | None:
    """Read the job's URLs (the worker's side). Returns the final status, or None when the job
    is finished already or another worker is on it."""
    with session_scope(merchant_id) as session:
        job = background_jobs.claim(session, ScrapeJob, job_id)
        if job is None:
            return None
        urls = list(job.urls)
        job.pages_found = job.pages_done = job.pages_failed = 0
        job.results = []
    own_fetcher = fetcher is None
    fetcher = fetcher or default_fetcher()
    embedder = embedder or configured_embedder()
    try:
        for url in urls:
            for outcome in read_products(fetcher, url):
                _record(merchant_id, job_id, outcome, embedder)
                if on_page is not None:
                    on_page(outcome)
    except Exception as exc:
        log.exception("scrape job %s failed", job_id)
        _finish(merchant_id, job_id, FAILED, f"The job stopped: {type(exc).__name__}.")
        return FAILED
    finally:
        if own_fetcher:
            fetcher.close()  # its connection pool; a caller's fetcher is the caller's to close
    _finish(merchant_id, job_id, DONE)
    return DONE


def default_fetcher() -> Fetcher:
    settings = get_settings()
    networks = [n.strip() for n in settings.scrape_allowed_networks.split(",") if n.strip()]
    return Fetcher(politeness_delay=settings.scrape_politeness_seconds, allowed_networks=networks)


def _record(
    merchant_id: uuid.UUID, job_id: uuid.UUID, outcome: PageOutcome, embedder: Embedder
) -> None:
    """One page in one transaction: the product (or its failure) and the job's progress."""
    with session_scope(merchant_id) as session:
        result: dict[str, object] = {"url": outcome.url, "ok": outcome.product is not None}
        if outcome.product is not None:
            product, indexed = save_scraped_product(session, outcome.product, embedder, outcome.url)
            result |= {"product_id": str(product.id), "title": product.title}
            result |= {"chunks_added": indexed.added, "source": outcome.product.source}
        elif outcome.error is not None:
            product_id = record_scrape_failure(session, outcome.url, outcome.error.message)
            result |= {"code": outcome.error.code, "message": outcome.error.message}
            result |= {"product_id": str(product_id) if product_id else None}
        job = session.get_one(ScrapeJob, job_id, with_for_update=True)
        job.pages_found += 1
        job.pages_done += 1 if result["ok"] else 0
        job.pages_failed += 0 if result["ok"] else 1
        job.results = [*job.results, result]
        job.heartbeat_at = datetime.now(UTC)


def _finish(
    merchant_id: uuid.UUID, job_id: uuid.UUID, status: str, error: str | None = None
) -> None:
    with session_scope(merchant_id) as session:
        job = session.get_one(ScrapeJob, job_id, with_for_update=True)
        job.status, job.error = status, error
        job.finished_at = datetime.now(UTC)


def jobs_to_resume(session: Session) -> list[uuid.UUID]:
    return background_jobs.jobs_to_resume(session, ScrapeJob)


def recent_jobs(session: Session, limit: int = 5) -> list[ScrapeJob]:
    return list(
        session.exec(select(ScrapeJob).order_by(col(ScrapeJob.created_at).desc()).limit(limit))
    )


def start_rescrape(session: Session) -> list[uuid.UUID]:
    """A job (its id, or none) re-reading this merchant's products last read from their pages
    too long ago; none while another scrape job of theirs is queued or running."""
    if session.exec(select(ScrapeJob.id).where(col(ScrapeJob.status).in_(ACTIVE))).first():
        return []
    due = datetime.now(UTC) - timedelta(days=get_settings().rescrape_after_days)
    urls = session.exec(
        select(Product.url)
        .where(
            col(Product.url).is_not(None),
            col(Product.last_scraped_at) < due,
        )
        .order_by(col(Product.last_scraped_at))
        .limit(MAX_URLS)
    ).all()
    wanted = [url for url in urls if url]
    return [start_scrape(session, wanted, "schedule").id] if wanted else []
