"""What the Products page shows and changes: the catalogue with its knowledge, one product's
sections and chunks, the merchant's own usage and FAQ text, deletion."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from recete_app.backend.errors import InvalidInput, NotFound
from recete_app.backend.knowledge.embeddings import Embedder
from recete_app.backend.knowledge.indexing import IndexResult, index_product
from recete_app.backend.knowledge.sections import MERCHANT, put_section
from recete_app.backend.models import KnowledgeChunk, Product, ProductSection

MAX_EDIT_CHARS = 8000


@dataclass(frozen=True)
class ProductSummary:
    id: uuid.UUID
    title: str
    source: str
    url: str | None
    last_scraped_at: datetime | None
    chunk_count: int
    scrape_error: str | None


@dataclass(frozen=True)
class ProductDetail:
    product: Product
    sections: list[ProductSection]
    chunks: list[KnowledgeChunk]


def list_products(session: Session, query: str = "", limit: int = 200) -> list[ProductSummary]:
    """Products with their chunk counts, newest first; `query` matches title or URL."""
    chunks = (
        select(KnowledgeChunk.product_id, func.count().label("n"))
        .group_by(col(KnowledgeChunk.product_id))
        .subquery()
    )
    statement = (
        select(Product, func.coalesce(chunks.c.n, 0))
        .outerjoin(chunks, chunks.c.product_id == Product.id)
        .order_by(col(Product.created_at).desc(), col(Product.title))
        .limit(limit)
    )
    if query.strip():
        pattern = f"%{query.strip()}%"
        statement = statement.where(
            sa.or_(col(Product.title).ilike(pattern), col(Product.url).ilike(pattern))
        )
    return [
        ProductSummary(p.id, p.title, p.source, p.url, p.last_scraped_at, int(n), p.scrape_error)
        for p, n in session.exec(statement).all()
    ]


@dataclass(frozen=True)
class ProductPage:
    products: list[ProductSummary]
    # Where the next page starts (the last product's created_at and id), None at the end.
    after: tuple[datetime, uuid.UUID] | None


def product_page(
    session: Session,
    query: str = "",
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 50,
) -> ProductPage:
    """One page of the catalogue, newest first (ties by id, so every product is on exactly one
    page however many share a created_at); `after` is the previous page's `after`."""
    chunks = (
        select(KnowledgeChunk.product_id, func.count().label("n"))
        .group_by(col(KnowledgeChunk.product_id))
        .subquery()
    )
    statement = (
        select(Product, func.coalesce(chunks.c.n, 0))
        .outerjoin(chunks, chunks.c.product_id == Product.id)
        .order_by(col(Product.created_at).desc(), col(Product.id).desc())
        .limit(limit + 1)
    )
    if query.strip():
        pattern = f"%{query.strip()}%"
        statement = statement.where(
            sa.or_(col(Product.title).ilike(pattern), col(Product.url).ilike(pattern))
        )
    if after is not None:
        statement = statement.where(
            sa.tuple_(col(Product.created_at), col(Product.id)) < sa.tuple_(*after)
        )
    rows = session.exec(statement).all()
    products = [
        ProductSummary(p.id, p.title, p.source, p.url, p.last_scraped_at, int(n), p.scrape_error)
        for p, n in rows[:limit]
    ]
    more = len(rows) > limit
    last = rows[limit - 1][0] if more else None
    return ProductPage(products, (last.created_at, last.id) if last is not None else None)


def _product(session: Session, product_id: uuid.UUID) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("No such product.")
    return product


def product_detail(session: Session, product_id: uuid.UUID) -> ProductDetail:
    product = _product(session, product_id)
    sections = session.exec(
        select(ProductSection)
        .where(ProductSection.product_id == product_id)
        .order_by(col(ProductSection.section), col(ProductSection.language))
    ).all()
    chunks = session.exec(
        select(KnowledgeChunk)
        .where(KnowledgeChunk.product_id == product_id)
        .order_by(col(KnowledgeChunk.section), col(KnowledgeChunk.language))
    ).all()
    return ProductDetail(product, list(sections), list(chunks))


def merchant_text(detail: ProductDetail, section: str, language: str) -> str:
    return next(
        (
            s.body
            for s in detail.sections
            if (s.section, s.language, s.origin) == (section, language, MERCHANT)
        ),
        "",
    )


def save_merchant_answers(
    session: Session,
    product_id: uuid.UUID,
    language: str,
    usage: str,
    faq: str,
    embedder: Embedder,
) -> IndexResult:
    """The merchant's own usage instructions and FAQ for one language; they win over scraped
    and store text, and an empty field gives the section back to them."""
    product = _product(session, product_id)
    for name, text in (("usage", usage), ("FAQ", faq)):
        if len(text) > MAX_EDIT_CHARS:
            raise InvalidInput(f"The {name} text is over {MAX_EDIT_CHARS} characters.")
    put_section(session, product_id, "how_to_use", language, MERCHANT, usage.strip())
    put_section(session, product_id, "faq", language, MERCHANT, faq.strip())
    session.flush()
    return index_product(session, product, embedder)


def delete_product(session: Session, product_id: uuid.UUID) -> str:
    """Delete the product with its sections and chunks; returns its title."""
    product = _product(session, product_id)
    title = product.title
    session.delete(product)
    session.flush()
    return title
