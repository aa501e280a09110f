"""The demo store: a bilingual skincare/haircare catalogue written for this project, loaded into
a merchant's products and sections and indexed (what `recete demo` and the eval use)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.knowledge.embeddings import Embedder
from recete_app.backend.knowledge.indexing import TITLE, index_product
from recete_app.backend.knowledge.sections import STORE, put_section
from recete_app.backend.models import Product

CATALOGUE = Path(__file__).resolve().parent / "demo" / "catalogue.json"
SOURCE = "demo"


def load_catalogue(path: Path = CATALOGUE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def install_demo_catalogue(session: Session, embedder: Embedder) -> int:
    """Create or refresh the demo products (idempotent); returns how many there are."""
    catalogue = load_catalogue()
    for item in catalogue["products"]:
        product = _upsert_product(session, item, catalogue.get("currency", "TRY"))
        sections = {
            (name, lang): body
            for name, texts in item["sections"].items()
            for lang, body in texts.items()
        }
        sections[(TITLE, "tr")] = item.get("title_tr", "")
        variants = "; ".join(f"{v['title']}: {v['price']}" for v in item.get("variants", []))
        sections[("variants", "en")] = sections[("variants", "tr")] = variants
        for (name, lang), body in sections.items():
            put_section(session, product.id, name, lang, STORE, body)
        session.flush()
        index_product(session, product, embedder)
    return len(catalogue["products"])


def _upsert_product(session: Session, item: dict[str, Any], currency: str) -> Product:
    session.execute(
        insert(Product)
        .values(
            id=uuid.uuid4(),
            merchant_id=current_merchant_id(session),
            source=SOURCE,
            external_id=item["handle"],
            title=item["title"],
            price=Decimal(item["price"]),
            currency=currency,
            faq=[],
        )
        .on_conflict_do_update(
            constraint="uq_products_source_id",
            set_={"title": item["title"], "price": Decimal(item["price"])},
        )
    )
    return session.exec(
        select(Product).where(Product.source == SOURCE, Product.external_id == item["handle"])
    ).one()
