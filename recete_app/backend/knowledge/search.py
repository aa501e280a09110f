"""Hybrid retrieval over one merchant's chunks: pgvector (cosine, see vectors.py) and PostgreSQL
full-text, fused by reciprocal rank. Row-level security keeps it to the merchant in scope."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlmodel import Session

from recete_app.backend.db import current_merchant_id
from recete_app.backend.knowledge import vectors
from recete_app.backend.knowledge.chunking import SECTION_CUES
from recete_app.backend.knowledge.embeddings import STOP_WORDS, Embedder
from recete_app.backend.text import detect_language, turkish_stem, words

CANDIDATES = 40  # from each retriever, before fusion
RRF_K = 60  # the usual reciprocal-rank constant: rank 1 -> 1/61
PREFERRED_BONUS = 1 / RRF_K  # a bought product's chunk outranks a similar one it ties with
SECTION_BONUS = 0.05 / RRF_K  # the section the question is most clearly about
_CUE_STEMS = {
    section: {word[:5] for word in cues.split() if word not in STOP_WORDS}
    for section, cues in SECTION_CUES.items()
}


def section_prior(query: str) -> dict[str, float]:
    """How much the question's words point at each section (1.0 for the clearest one)."""
    stems = {w[:5] for w in words(query) if w not in STOP_WORDS}
    counts = {section: len(stems & cue) for section, cue in _CUE_STEMS.items()}
    top = max(counts.values(), default=0)
    return {section: n / top for section, n in counts.items()} if top else {}


@dataclass(frozen=True)
class Hit:
    chunk_id: uuid.UUID
    product_id: uuid.UUID | None
    product: str
    product_external_id: str | None
    section: str
    language: str
    text: str
    score: float


def search(
    session: Session,
    query: str,
    embedder: Embedder,
    k: int = 5,
    prefer_products: Collection[uuid.UUID] = (),
) -> list[Hit]:
    """The k best chunks for `query`; chunks of `prefer_products` (what the customer bought)
    get a bonus worth one first place."""
    scores: dict[uuid.UUID, float] = {}
    for ranked in (_by_vector(session, query, embedder), _by_text(session, query)):
        for rank, chunk_id in enumerate(ranked, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    hits = _load(session, list(scores))
    prior = section_prior(query)
    for hit_id, hit in hits.items():
        scores[hit_id] += SECTION_BONUS * prior.get(hit.section, 0.0)
        if hit.product_id in prefer_products:
            scores[hit_id] += PREFERRED_BONUS
    ranked = sorted(hits, key=lambda chunk_id: scores[chunk_id], reverse=True)
    best = _one_language(ranked, hits)[:k]
    return [replace(hits[chunk_id], score=round(scores[chunk_id], 6)) for chunk_id in best]


def _one_language(ranked: list[uuid.UUID], hits: dict[uuid.UUID, Hit]) -> list[uuid.UUID]:
    """A section's translation says nothing new: keep a product section in the language of its
    best-ranked chunk only (several chunks of it in that language, e.g. FAQ entries, stay)."""
    language_of: dict[tuple[uuid.UUID | None, str], str] = {}
    kept = []
    for chunk_id in ranked:
        hit = hits[chunk_id]
        key = (hit.product_id, hit.section)
        if language_of.setdefault(key, hit.language) == hit.language:
            kept.append(chunk_id)
    return kept


def _by_vector(session: Session, query: str, embedder: Embedder) -> list[uuid.UUID]:
    return vectors.nearest(session, embedder.embed([query])[0], embedder, CANDIDATES)


def _by_text(session: Session, query: str) -> list[uuid.UUID]:
    """Any of the query's words (customers write sentences, not keyword lists), each also as a
    prefix so Turkish suffixes still match, stemmed by both languages' configurations."""
    asked = {w for w in words(query) if w not in STOP_WORDS and len(w) > 1}
    if detect_language(query) == "tr":  # "kisacik" also as "kisa", which the page says
        asked |= {turkish_stem(w) for w in asked}
    terms = sorted(asked)
    if not terms:
        return []
    expression = " | ".join(f"{t}:*" if len(t) >= 4 else t for t in terms)
    rows = session.execute(
        sa.text(
            "SELECT id FROM knowledge_chunks, "
            "(SELECT to_tsquery('english', :q) || to_tsquery('turkish', :q) AS q) AS query "
            "WHERE merchant_id = :merchant AND search_vector @@ query.q "
            "ORDER BY ts_rank_cd(search_vector, query.q) DESC LIMIT :limit"
        ),
        {"q": expression, "merchant": current_merchant_id(session), "limit": CANDIDATES},
    )
    return [row[0] for row in rows]


def _load(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Hit]:
    if not ids:
        return {}
    rows = session.execute(
        sa.text(
            "SELECT c.id, c.product_id, coalesce(p.title, ''), p.external_id, c.section, "
            "c.language, c.text FROM knowledge_chunks c "
            "LEFT JOIN products p ON p.id = c.product_id WHERE c.id = ANY(:ids)"
        ),
        {"ids": ids},
    )
    return {
        chunk_id: Hit(chunk_id, product_id, title, external_id, section, language, text, 0.0)
        for chunk_id, product_id, title, external_id, section, language, text in rows
    }
