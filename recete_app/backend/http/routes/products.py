"""/api/products: the catalogue and its knowledge. A page of products, one product with its
sections and chunks, the merchant's own usage and FAQ text per language, deletion, reading
product pages (POST /api/products with URLs, or a product's own page again) as scrape jobs, and
/api/products/search: what the agent would read for a question. Another merchant's product is
simply not found."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from recete_app.backend.db import session_scope
from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.http.openapi import IdempotencyHeader
from recete_app.backend.knowledge.embeddings import configured_embedder
from recete_app.backend.knowledge.product_views import ProductDetail, ProductSummary
from recete_app.backend.knowledge.search import search
from recete_app.backend.models import ScrapeJob
from recete_app.backend.services import catalogue

router = APIRouter(prefix="/api/products", tags=["products"])
jobs_router = APIRouter(prefix="/api/scrape-jobs", tags=["products"])
Caller = AdminCaller


class ChunkView(BaseModel):
    chunk_id: uuid.UUID
    product_id: uuid.UUID | None
    product: str
    section: str
    language: str
    text: str
    score: float


class SearchResults(BaseModel):
    query: str
    results: list[ChunkView]


class ProductSummaryView(BaseModel):
    id: uuid.UUID
    title: str
    source: str  # shopify, woocommerce, scrape, manual, ...
    url: str | None
    last_scraped_at: datetime | None
    chunk_count: int
    scrape_error: str | None


class ProductPageView(BaseModel):
    products: list[ProductSummaryView]
    next_cursor: str | None  # pass as `cursor` for the next page; null on the last page


class SectionView(BaseModel):
    section: str  # title, description, how_to_use, ingredients, warnings, faq, ...
    language: str
    origin: str  # store, scrape or merchant (the merchant's text wins)
    body: str
    updated_at: datetime


class KnowledgeChunkView(BaseModel):
    id: uuid.UUID
    section: str
    language: str
    text: str


class ProductView(BaseModel):
    id: uuid.UUID
    title: str
    source: str
    external_id: str | None
    url: str | None
    price: str | None
    currency: str | None
    created_at: datetime
    updated_at: datetime | None
    last_scraped_at: datetime | None
    scrape_error: str | None
    sections: list[SectionView]
    chunks: list[KnowledgeChunkView]


class AnswersBody(BaseModel):
    language: str = Field(max_length=8, examples=["en"])
    usage: str | None = Field(
        default=None, examples=["Apply two drops to clean skin, morning and evening."]
    )
    faq: str | None = Field(
        default=None, examples=["Q: Can I use it with retinol? A: Yes, on alternate nights."]
    )


class ProductPatch(BaseModel):
    """The merchant's own usage and FAQ text, per language. A field left out stays as it is;
    an empty string gives the section back to the store's and the scraped text."""

    answers: list[AnswersBody] = Field(
        min_length=1,
        max_length=len(catalogue.LANGUAGES),
        examples=[[{"language": "en", "usage": "Two drops, mornings only.", "faq": ""}]],
    )


class AddProductsBody(BaseModel):
    urls: list[Annotated[str, Field(min_length=1, max_length=2048)]] = Field(
        min_length=1,
        max_length=50,
        examples=[["https://glowskin.com/products/vitamin-c-serum"]],
    )


class PageResultView(BaseModel):
    url: str
    ok: bool
    product_id: uuid.UUID | None = None
    title: str | None = None
    chunks_added: int | None = None
    source: str | None = None
    code: str | None = None  # why the page could not be read
    message: str | None = None


class ScrapeJobView(BaseModel):
    id: uuid.UUID
    status: str  # queued, running, done, failed
    urls: list[str]
    pages_found: int
    pages_done: int
    pages_failed: int
    results: list[PageResultView]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class DeletedView(BaseModel):
    id: uuid.UUID
    title: str
    deleted: bool


def _summary(p: ProductSummary) -> ProductSummaryView:
    return ProductSummaryView(**vars(p))


def _product(detail: ProductDetail) -> ProductView:
    p = detail.product
    return ProductView(
        id=p.id,
        title=p.title,
        source=p.source,
        external_id=p.external_id,
        url=p.url,
        price=str(p.price) if p.price is not None else None,
        currency=p.currency,
        created_at=p.created_at,
        updated_at=p.updated_at,
        last_scraped_at=p.last_scraped_at,
        scrape_error=p.scrape_error,
        sections=[
            SectionView(
                section=s.section,
                language=s.language,
                origin=s.origin,
                body=s.body,
                updated_at=s.updated_at,
            )
            for s in detail.sections
        ],
        chunks=[
            KnowledgeChunkView(id=c.id, section=c.section, language=c.language, text=c.text)
            for c in detail.chunks
        ],
    )


def _result(result: dict[str, Any]) -> PageResultView:
    known = PageResultView.model_fields
    return PageResultView(**{k: v for k, v in result.items() if k in known})


def job_view(job: ScrapeJob) -> ScrapeJobView:
    return ScrapeJobView(
        id=job.id,
        status=job.status,
        urls=job.urls,
        pages_found=job.pages_found,
        pages_done=job.pages_done,
        pages_failed=job.pages_failed,
        results=[_result(r) for r in job.results],
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


# Before /{product_id}: "search" is not a product id.
@router.get("/search")
def search_products(
    caller: Caller,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SearchResults:
    """The k chunks of this merchant's product knowledge that best answer `q` (hybrid vector +
    full-text search, fused by reciprocal rank), best first."""
    with session_scope(caller.merchant_id) as session:
        hits = search(session, q, configured_embedder(), k=k)
    return SearchResults(
        query=q,
        results=[
            ChunkView(
                chunk_id=hit.chunk_id,
                product_id=hit.product_id,
                product=hit.product,
                section=hit.section,
                language=hit.language,
                text=hit.text,
                score=round(hit.score, 6),
            )
            for hit in hits
        ],
    )


@router.get("")
def list_products(
    caller: Caller,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=catalogue.MAX_PAGE)] = 50,
) -> ProductPageView:
    """Products newest first with their chunk counts; `q` matches the title or URL. Follow
    `next_cursor` until it is null to walk the whole catalogue."""
    page = catalogue.list_products(caller.merchant_id, q, cursor, limit)
    return ProductPageView(
        products=[_summary(p) for p in page.products], next_cursor=page.next_cursor
    )


@router.post("", status_code=202)
def add_products(
    caller: Caller, body: AddProductsBody, idempotency_key: IdempotencyHeader = None
) -> ScrapeJobView:
    """Read product, collection or sitemap pages into the catalogue: a scrape job is queued;
    follow it at GET /api/scrape-jobs/{id}."""
    return job_view(catalogue.add_products(caller, body.urls, idempotency_key))


@router.get("/{product_id}")
def read_product(caller: Caller, product_id: uuid.UUID) -> ProductView:
    """The product with its knowledge sections (by language and origin) and searchable chunks."""
    return _product(catalogue.read_product(caller.merchant_id, product_id))


@router.patch("/{product_id}")
def update_product(caller: Caller, product_id: uuid.UUID, body: ProductPatch) -> ProductView:
    """The merchant's own usage and FAQ text per language; the agent answers from it at once."""
    answers = [catalogue.Answers(**a.model_dump()) for a in body.answers]
    return _product(catalogue.save_answers(caller, product_id, answers))


@router.delete("/{product_id}")
def delete_product(caller: Caller, product_id: uuid.UUID) -> DeletedView:
    """The product with its sections and chunks."""
    title = catalogue.delete_product(caller, product_id)
    return DeletedView(id=product_id, title=title, deleted=True)


@router.post("/{product_id}/read-again", status_code=202)
def read_again(
    caller: Caller, product_id: uuid.UUID, idempotency_key: IdempotencyHeader = None
) -> ScrapeJobView:
    """Read the product's own page again (409 `no_page_address` if it has none)."""
    return job_view(catalogue.read_again(caller, product_id, idempotency_key))


@jobs_router.get("/{job_id}")
def read_scrape_job(caller: Caller, job_id: uuid.UUID) -> ScrapeJobView:
    """A scrape job's progress and each page's result."""
    return job_view(catalogue.scrape_job(caller.merchant_id, job_id))
