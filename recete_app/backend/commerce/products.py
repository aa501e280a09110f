"""Catalogue entries from store sources (the knowledge issue adds scraping and chunks)."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import Product

_TAGS = re.compile(r"<[^>]+>")
_BLOCKS = re.compile(r"</?(p|br|li|ul|ol|h[1-6]|div)[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class ProductInfo:
    source: str
    external_id: str
    title: str
    description: str = ""
    url: str | None = None
    price: Decimal | None = None
    currency: str | None = None


def html_to_text(markup: str | None) -> str:
    if not markup:
        return ""
    spaced = _BLOCKS.sub("\n", markup)
    lines = (" ".join(html.unescape(_TAGS.sub(" ", line)).split()) for line in spaced.split("\n"))
    return "\n".join(line for line in lines if line)


def upsert_product(session: Session, info: ProductInfo) -> None:
    values = {
        "title": info.title[:500] or "(untitled)",
        "description": info.description,
        "url": info.url,
        "price": info.price,
        "currency": info.currency,
        "updated_at": datetime.now(UTC),
    }
    session.execute(
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
    )


def delete_product(session: Session, source: str, external_id: str) -> int:
    result = session.execute(
        delete(Product).where(Product.source == source, Product.external_id == external_id)  # type: ignore[arg-type]
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
