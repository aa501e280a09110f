"""Writing a product's sections: one row per (section, language, origin), so a merchant's edit,
a scraped page and the store's import of the same section live side by side and indexing picks
the best (`ORIGIN_RANK`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, delete, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.models import ProductSection

# Where a section's text came from (ProductSection.origin); a scraped product's Product.source
# is SCRAPED too.
STORE, SCRAPED, MERCHANT = "store", "scraped", "merchant"
# Whose text wins when a section exists more than once: the merchant's own edit first.
ORIGIN_RANK = {MERCHANT: 0, SCRAPED: 1, STORE: 2}


def put_section(
    session: Session,
    product_id: uuid.UUID,
    section: str,
    language: str,
    origin: str,
    body: str,
) -> None:
    """Set one section's text; empty text removes it (the next origin's text shows through)."""
    if not body.strip():
        session.execute(
            delete(ProductSection).where(
                col(ProductSection.product_id) == product_id,
                col(ProductSection.section) == section,
                col(ProductSection.language) == language,
                col(ProductSection.origin) == origin,
            )
        )
        return
    session.execute(
        insert(ProductSection)
        .values(
            id=uuid.uuid4(),
            merchant_id=current_merchant_id(session),
            product_id=product_id,
            section=section,
            language=language,
            origin=origin,
            body=body,
        )
        .on_conflict_do_update(constraint="uq_product_sections_key", set_={"body": body})
    )


def replace_sections(
    session: Session, product_id: uuid.UUID, origin: str, language: str, texts: dict[str, str]
) -> None:
    """Make `texts` the whole of `origin`'s sections for the product (a re-scrape that no longer
    finds a section drops it)."""
    session.execute(
        delete(ProductSection).where(
            col(ProductSection.product_id) == product_id,
            col(ProductSection.origin) == origin,
            col(ProductSection.section).not_in(list(texts)),
        )
    )
    for section, body in texts.items():
        put_section(session, product_id, section, language, origin, body)


def best_section_text(session: Session, product_id: uuid.UUID, section: str, language: str) -> str:
    """A section's text as the customer should read it (see best_of_section_rows)."""
    rows = session.exec(
        select(ProductSection.language, ProductSection.origin, ProductSection.body).where(
            col(ProductSection.product_id) == product_id, col(ProductSection.section) == section
        )
    ).all()
    return best_of_section_rows(rows, language)


def best_of_section_rows(rows: Iterable[tuple[str, str, str]], language: str) -> str:
    """Of one section's (language, origin, body) rows: the merchant's edit before a scraped
    page before the store's, in `language` if the product has it there, else in any language."""
    ranked = sorted(
        (row for row in rows if row[2].strip()),
        key=lambda row: (row[0] != language, ORIGIN_RANK.get(row[1], 9)),
    )
    return ranked[0][2] if ranked else ""
