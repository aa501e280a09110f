"""Keeping a product's chunks in step with its sections: chunk, hash, embed only what changed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.knowledge.chunking import SECTIONS, Chunk, chunk_section
from recete_app.backend.knowledge.embeddings import Embedder
from recete_app.backend.knowledge.text import detect_language, fold
from recete_app.backend.models import KnowledgeChunk, Product, ProductSection

# Whose text wins when a section exists more than once: the merchant's own edit first.
ORIGIN_RANK = {"merchant": 0, "scraped": 1, "store": 2}
TITLE = "title"  # a translated product name, kept as a section; prefixes that language's chunks
_COLUMNS = {
    "description": "description",
    "how_to_use": "usage",
    "ingredients": "ingredients",
    "warnings": "warnings",
}


@dataclass(frozen=True)
class IndexResult:
    added: int
    kept: int
    removed: int


def product_chunks(session: Session, product: Product) -> list[Chunk]:
    texts = _section_texts(session, product)
    titles = {lang: body for (section, lang), body in texts.items() if section == TITLE}
    chunks: list[Chunk] = []
    for (section, language), body in sorted(texts.items()):
        if section in SECTIONS:
            title = titles.get(language, product.title)
            chunks.extend(chunk_section(title, section, language, body))
    return chunks


def _section_texts(session: Session, product: Product) -> dict[tuple[str, str], str]:
    """The best text per (section, language): sections by origin rank, then the product's own
    columns (store imports) for whatever the sections do not cover."""
    rows = session.exec(select(ProductSection).where(ProductSection.product_id == product.id)).all()
    best: dict[tuple[str, str], ProductSection] = {}
    for row in rows:
        key = (row.section, row.language)
        if row.body.strip() and (
            key not in best or ORIGIN_RANK[row.origin] < ORIGIN_RANK[best[key].origin]
        ):
            best[key] = row
    texts = {key: row.body for key, row in best.items()}
    for section, column in _COLUMNS.items():
        body = getattr(product, column) or ""
        language = detect_language(body)
        if body.strip() and (section, language) not in texts:
            texts[(section, language)] = body
    return texts


def index_product(session: Session, product: Product, embedder: Embedder) -> IndexResult:
    """Replace the product's chunks; unchanged chunks (same text, same model) keep their
    vectors, so re-indexing an unchanged product embeds nothing."""
    wanted = {chunk.content_hash: chunk for chunk in product_chunks(session, product)}
    existing = session.exec(
        select(
            KnowledgeChunk.id, KnowledgeChunk.content_hash, KnowledgeChunk.embedding_model
        ).where(KnowledgeChunk.product_id == product.id)
    ).all()
    keep = {h for _id, h, model in existing if h in wanted and model == embedder.name}
    stale = [chunk_id for chunk_id, h, model in existing if h not in keep]
    if stale:
        session.execute(delete(KnowledgeChunk).where(col(KnowledgeChunk.id).in_(stale)))
    new = [chunk for h, chunk in wanted.items() if h not in keep]
    vectors = embedder.embed([chunk.search_text for chunk in new]) if new else []
    merchant_id = current_merchant_id(session)
    for chunk, vector in zip(new, vectors, strict=True):
        session.add(
            KnowledgeChunk(
                id=uuid.uuid4(),
                merchant_id=merchant_id,
                product_id=product.id,
                section=chunk.section,
                language=chunk.language,
                text=chunk.text,
                search_text=fold(chunk.search_text),
                source=product.url or "",
                content_hash=chunk.content_hash,
                embedding=vector,
                embedding_model=embedder.name,
                embedding_dims=embedder.dimensions,
            )
        )
    session.flush()
    return IndexResult(added=len(new), kept=len(keep), removed=len(stale))
