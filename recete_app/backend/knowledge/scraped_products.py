"""A scraped page becomes product knowledge: the product found (by URL) or created, its scraped
sections replaced, its chunks re-indexed. A failed read is recorded on the product it concerns
and leaves its earlier knowledge in place."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.knowledge.embeddings import Embedder
from recete_app.backend.knowledge.indexing import IndexResult, index_product
from recete_app.backend.knowledge.sections import SCRAPED, replace_sections
from recete_app.backend.models import Product
from recete_app.backend.scraping.extraction import ScrapedProduct


def product_by_url(session: Session, urls: Collection[str]) -> Product | None:
    """The merchant's product at any of these addresses (a store import counts: scraping its
    page enriches it rather than duplicating it)."""
    wanted = [url for url in urls if url]
    if not wanted:
        return None
    return session.exec(
        select(Product)
        .where(col(Product.url).in_(wanted))
        .order_by(col(Product.source) == SCRAPED)  # a store's own product first
        .limit(1)
    ).first()


def save_scraped_product(
    session: Session, scraped: ScrapedProduct, embedder: Embedder, requested_url: str
) -> tuple[Product, IndexResult]:
    product = product_by_url(session, {requested_url, scraped.url}) or _create(session, scraped)
    if product.source == SCRAPED:
        product.title = scraped.title[:500] or product.title
        product.price = scraped.price if scraped.price is not None else product.price
        product.currency = scraped.currency or product.currency
    elif product.price is None:
        product.price, product.currency = scraped.price, scraped.currency
    product.url = product.url or scraped.url
    product.last_scraped_at = datetime.now(UTC)
    product.scrape_error = None
    session.add(product)
    replace_sections(session, product.id, SCRAPED, scraped.language, scraped.sections)
    session.flush()
    return product, index_product(session, product, embedder)


def _create(session: Session, scraped: ScrapedProduct) -> Product:
    # Keyed by URL under the unique (merchant, source, external_id): two jobs reading the same
    # page at once make one product.
    session.execute(
        insert(Product)
        .values(
            id=uuid.uuid4(),
            merchant_id=current_merchant_id(session),
            source=SCRAPED,
            external_id=scraped.url[:255],
            title=scraped.title[:500],
            url=scraped.url,
            price=scraped.price,
            currency=scraped.currency,
            faq=[],
        )
        .on_conflict_do_nothing(constraint="uq_products_source_id")
    )
    return session.exec(
        select(Product).where(Product.source == SCRAPED, Product.external_id == scraped.url[:255])
    ).one()


def record_scrape_failure(session: Session, url: str, message: str) -> uuid.UUID | None:
    """Note the failure on the product at `url`, if there is one; its knowledge stays."""
    product = product_by_url(session, {url})
    if product is None:
        return None
    product.scrape_error = message[:1000]
    session.add(product)
    return product.id
