"""Keeping a product's chunks in step with its sections: chunk, hash, embed only what changed."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from recete_app.backend.db import current_merchant_id
from recete_app.backend.knowledge import vectors
from recete_app.backend.knowledge.chunking import Chunk, chunk_section
from recete_app.backend.knowledge.embeddings import Embedder
from recete_app.backend.knowledge.sections import ORIGIN_RANK
from recete_app.backend.models import KnowledgeChunk, Product, ProductSection
from recete_app.backend.models.knowledge import SECTIONS
from recete_app.backend.text import detect_language, fold

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
    rows = session.exec(
        select(
            ProductSection.section,
            ProductSection.language,
            ProductSection.origin,
            ProductSection.body,
        ).where(ProductSection.product_id == product.id)
    ).all()
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for section, language, origin, body in rows:
        key, rank = (section, language), ORIGIN_RANK[origin]
        if body.strip() and (key not in best or rank < best[key][0]):
            best[key] = (rank, body)
    texts = {key: body for key, (_rank, body) in best.items()}
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
    if new:
        _insert_chunks(session, product, new, embedder)
    return IndexResult(added=len(new), kept=len(keep), removed=len(stale))


# All of a product's new chunks in one statement (column arrays, one row per element): one
# round trip and no ORM object per chunk (with the sections read as columns, ~2.5 ms of Python
# a product less). `id` and `created_at` come from PostgreSQL, which also generates the tsvector.
_INSERT_CHUNKS = sa.text(
    "INSERT INTO knowledge_chunks (id, merchant_id, product_id, section, language, text, "
    "search_text, source, content_hash, embedding, embedding_model, embedding_dims, "
    "ann_indexed) SELECT gen_random_uuid(), :merchant, :product, c.section, c.language, "
    "c.text, c.search_text, :source, c.content_hash, CAST(c.embedding AS vector), :model, "
    ":dims, :ann "
    "FROM unnest(CAST(:sections AS text[]), CAST(:languages AS text[]), "
    "CAST(:texts AS text[]), CAST(:search_texts AS text[]), CAST(:hashes AS text[]), "
    "CAST(:embeddings AS text[])) "
    "AS c(section, language, text, search_text, content_hash, embedding)"
)


def _insert_chunks(
    session: Session, product: Product, chunks: list[Chunk], embedder: Embedder
) -> None:
    embeddings = embedder.embed([chunk.search_text for chunk in chunks])
    if len(embeddings) != len(chunks):
        raise ValueError(f"{embedder.name} returned {len(embeddings)} vectors for {len(chunks)}")
    session.execute(
        _INSERT_CHUNKS,
        {
            "merchant": current_merchant_id(session),
            "product": product.id,
            "source": product.url or "",
            "model": embedder.name,
            "dims": embedder.dimensions,
            "ann": vectors.in_index(session, embedder),
            "sections": [chunk.section for chunk in chunks],
            "languages": [chunk.language for chunk in chunks],
            "texts": [chunk.text for chunk in chunks],
            "search_texts": [fold(chunk.search_text) for chunk in chunks],
            "hashes": [chunk.content_hash for chunk in chunks],
            "embeddings": [_vector_literal(vector) for vector in embeddings],
        },
    )


def _vector_literal(vector: list[float]) -> str:
    """pgvector's text form, the same digits its SQLAlchemy type writes (so PostgreSQL parses
    them to the same float4 values)."""
    return "[" + ",".join(map(repr, map(float, vector))) + "]"
