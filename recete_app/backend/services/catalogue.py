"""The catalogue and its knowledge, one function per action for the REST API (and any other
front door): a page of products, one product with its sections and chunks, the merchant's own
usage and FAQ text, deletion, reading product pages (new ones, or a product's own page again)
and a scrape job's progress. Each opens its own transaction; a scrape job is queued only after
its commit, so the worker finds it.

A creating call takes an optional idempotency key: the same key again returns the job the first
call made, and queues nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from recete_app.backend import audit, idempotency
from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.db import session_scope
from recete_app.backend.errors import Conflict, InvalidInput, NotFound
from recete_app.backend.knowledge import product_views, scrape_jobs
from recete_app.backend.knowledge.embeddings import configured_embedder
from recete_app.backend.knowledge.product_views import ProductDetail, ProductSummary
from recete_app.backend.models import Product, ScrapeJob
from recete_app.backend.paging import check_limit, decode_cursor, encode_cursor

LANGUAGES = ("en", "tr")
MAX_PAGE = 100
ADD_PRODUCTS = "POST /api/products"
READ_AGAIN = "POST /api/products/{id}/read-again"


@dataclass(frozen=True)
class CataloguePage:
    products: list[ProductSummary]
    next_cursor: str | None  # opaque; None on the last page


@dataclass(frozen=True)
class Answers:
    """The merchant's own text for one language; None leaves that text as it is, "" gives the
    section back to the store's and the scraped text."""

    language: str
    usage: str | None = None
    faq: str | None = None


def list_products(
    merchant_id: uuid.UUID, query: str, cursor: str | None, limit: int
) -> CataloguePage:
    """Products newest first, `limit` (1..100) at a time; `query` matches the title or URL."""
    check_limit(limit, MAX_PAGE)
    after = decode_cursor(cursor)
    with session_scope(merchant_id) as session:
        page = product_views.product_page(session, query, after, limit)
    return CataloguePage(page.products, encode_cursor(page.after))


def read_product(merchant_id: uuid.UUID, product_id: uuid.UUID) -> ProductDetail:
    with session_scope(merchant_id) as session:
        return product_views.product_detail(session, product_id)


def save_answers(person: Principal, product_id: uuid.UUID, answers: list[Answers]) -> ProductDetail:
    """The merchant's usage and FAQ text per language; the product is indexed again."""
    _check_answers(answers)
    embedder = configured_embedder()
    with session_scope(person.merchant_id) as session:
        detail = product_views.product_detail(session, product_id)
        for answer in answers:
            usage = answer.usage
            faq = answer.faq
            if usage is None:
                usage = product_views.merchant_text(detail, "how_to_use", answer.language)
            if faq is None:
                faq = product_views.merchant_text(detail, "faq", answer.language)
            product_views.save_merchant_answers(
                session, product_id, answer.language, usage, faq, embedder
            )
        audit.record(
            session,
            person.actor,
            "product.answers_updated",
            target=str(product_id),
            languages=[a.language for a in answers],
        )
    return read_product(person.merchant_id, product_id)


def _check_answers(answers: list[Answers]) -> None:
    problems: list[dict[str, str]] = []
    if not answers:
        problems.append({"field": "answers", "message": "at least one language"})
    seen: set[str] = set()
    for index, answer in enumerate(answers):
        if answer.language not in LANGUAGES:
            problems.append(
                {"field": f"answers.{index}.language", "message": f"one of {', '.join(LANGUAGES)}"}
            )
        elif answer.language in seen:
            problems.append({"field": f"answers.{index}.language", "message": "given twice"})
        seen.add(answer.language)
        for name, text in (("usage", answer.usage), ("faq", answer.faq)):
            if text is not None and len(text) > product_views.MAX_EDIT_CHARS:
                problems.append(
                    {
                        "field": f"answers.{index}.{name}",
                        "message": f"at most {product_views.MAX_EDIT_CHARS} characters",
                    }
                )
    if problems:
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidInput(message, details=problems)


def delete_product(person: Principal, product_id: uuid.UUID) -> str:
    """The product, its sections and its chunks are gone; returns its title."""
    with session_scope(person.merchant_id) as session:
        title = product_views.delete_product(session, product_id)
        audit.record(session, person.actor, "product.deleted", target=str(product_id))
    return title


def add_products(
    person: Principal, urls: list[str], idempotency_key: str | None = None, *, queue: bool = True
) -> ScrapeJob:
    """A scrape job reading `urls` (product, collection or sitemap pages), queued (unless the
    caller reads the pages itself, as `recete products scrape` does)."""
    try:
        return _scrape(person, ADD_PRODUCTS, {"urls": urls}, urls, idempotency_key, queue)
    except InvalidInput as exc:
        if exc.details is None:  # no URL, or too many: the field is the whole list
            exc.details = [{"field": "urls", "message": exc.message}]
        raise


def read_again(
    person: Principal, product_id: uuid.UUID, idempotency_key: str | None = None
) -> ScrapeJob:
    """A scrape job reading the product's own page again (409 for a product without one)."""
    with session_scope(person.merchant_id) as session:
        product = session.get(Product, product_id)
        if product is None:
            raise NotFound("No such product.")
        url = product.url
    if not url:
        raise Conflict(
            "This product has no page address to read; add it by its URL instead.",
            code="no_page_address",
        )
    return _scrape(
        person, READ_AGAIN, {"product_id": str(product_id)}, [url], idempotency_key, True
    )


def _scrape(
    person: Principal,
    route: str,
    request: dict[str, object],
    urls: list[str],
    idempotency_key: str | None,
    queue: bool,
) -> ScrapeJob:
    with session_scope(person.merchant_id) as session:
        claim = idempotency.claim(session, route, idempotency_key, request)
        if claim.replayed is not None:
            job = session.get(ScrapeJob, claim.replayed)
            if job is None:  # the merchant's own job, so only gone if the merchant is
                raise NotFound("No such scrape job.")
            return job
        job = scrape_jobs.start_scrape(session, urls, person.actor)
        idempotency.settle(session, claim, job.id)
    if queue:
        scrape_jobs.enqueue(job)
    return job


def scrape_job(merchant_id: uuid.UUID, job_id: uuid.UUID) -> ScrapeJob:
    with session_scope(merchant_id) as session:
        job = session.get(ScrapeJob, job_id)
    if job is None:
        raise NotFound("No such scrape job.", code="scrape_job_not_found")
    return job
