"""Catalogue entries from store sources: the product row, its description split into sections
(the store's own "How to use" / "Ingredients" headings), and its searchable chunks."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from recete_app.backend.db import current_merchant_id
from recete_app.backend.knowledge.embeddings import configured_embedder
from recete_app.backend.knowledge.indexing import index_product
from recete_app.backend.knowledge.sections import STORE, replace_sections
from recete_app.backend.models import Product
from recete_app.backend.scraping.page_sections import read_fragment
from recete_app.backend.text import detect_language

_TAGS = re.compile(r"<[^>]+>")
_BLOCKS = re.compile(r"</?(p|br|li|ul|ol|h[1-6]|div)[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class ProductInfo:
    source: str
    external_id: str
    title: str
    description_html: str = ""  # as the store sends it; headings inside become sections
    url: str | None = None
    price: Decimal | None = None
    currency: str | None = None


def html_to_text(markup: str | None) -> str:
    if not markup:
        return ""
    spaced = _BLOCKS.sub("\n", markup)
    lines = (" ".join(html.unescape(_TAGS.sub(" ", line)).split()) for line in spaced.split("\n"))
    return "\n".join(line for line in lines if line)


def upsert_product(session: Session, info: ProductInfo) -> Product:
    """Create or update the product, its store sections and its chunks (unchanged text is not
    embedded again)."""
    described = read_fragment(info.description_html)
    description = "\n\n".join(
        part for part in (described.other, described.sections.get("description", "")) if part
    )
    values = {
        "title": info.title[:500] or "(untitled)",
        "description": description or html_to_text(info.description_html),
        "url": info.url,
        "price": info.price,
        "currency": info.currency,
        "updated_at": datetime.now(UTC),
    }
    product_id = session.execute(
        insert(Product)
        .values(
            id=uuid.uuid4(),
            merchant_id=current_merchant_id(session),
            source=info.source,
            external_id=info.external_id,
            usage="",
            ingredients="",
            warnings="",
            faq=[],
            created_at=datetime.now(UTC),
            **values,
        )
        .on_conflict_do_update(constraint="uq_products_source_id", set_=values)
        .returning(col(Product.id))
    ).scalar_one()
    product = session.get_one(Product, product_id, populate_existing=True)
    sections = {k: v for k, v in described.sections.items() if k != "description"}
    language = detect_language(f"{product.title}\n{product.description}")
    replace_sections(session, product.id, STORE, language, sections)
    session.flush()
    index_product(session, product, configured_embedder())
    return product


def delete_product(session: Session, source: str, external_id: str) -> int:
    result = session.execute(
        delete(Product).where(Product.source == source, Product.external_id == external_id)  # type: ignore[arg-type]
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
