"""A merchant's nearest chunks by vector, and which chunks the HNSW index holds.

Exact search over one merchant's vectors is both faster and exact up to a few tens of thousands
of chunks (bench/knowledge_search.py: an HNSW walk through 100,000 vectors found 0.6 of a
3,700-chunk merchant's true top 10, crowded out by other merchants' near-duplicates, and took
longer than comparing all 3,700). So the HNSW index only holds the chunks of merchants past
EXACT_UP_TO (`ann_indexed`): the others' chunks cost it nothing to insert (maintaining the index
was ~80% of indexing's SQL time in a table of 100,000 chunks). Correctness never depends on the
flag: a big merchant's chunks not yet flagged are still compared exactly.
"""

from __future__ import annotations

import time
import uuid

import sqlalchemy as sa
from sqlmodel import Session

from recete_app.backend.db import after_commit, current_merchant_id
from recete_app.backend.knowledge.embeddings import Embedder

EXACT_UP_TO = 20_000
_SIZE_TTL = 600.0  # seconds a merchant's chunk count is trusted for choosing the plan
_sizes: dict[tuple[uuid.UUID, str], tuple[int, float]] = {}
_flagged: set[uuid.UUID] = set()  # merchants whose older chunks this process moved to the index


def in_index(session: Session, embedder: Embedder) -> bool:
    """Whether new chunks of the merchant in scope go into the HNSW index. The first time a
    process sees a merchant past the limit it moves the merchant's older chunks in too."""
    merchant_id = current_merchant_id(session)
    if merchant_size(session, merchant_id, embedder) <= EXACT_UP_TO:
        return False
    if merchant_id not in _flagged:
        session.execute(
            sa.text(
                "UPDATE knowledge_chunks SET ann_indexed = true "
                "WHERE merchant_id = :merchant AND NOT ann_indexed"
            ),
            {"merchant": merchant_id},
        )
        # Remembered once committed: a rolled-back move is tried again.
        after_commit(session, lambda: _flagged.add(merchant_id))
    return True


def nearest(
    session: Session, query_vector: list[float], embedder: Embedder, limit: int
) -> list[uuid.UUID]:
    """The ids of the merchant's `limit` chunks nearest to `query_vector` (cosine)."""
    merchant_id = current_merchant_id(session)
    dims = int(embedder.dimensions)
    distance = f"embedding::vector({dims}) <=> CAST(:vector AS vector({dims}))"
    # `dims` is an int from the embedder (pgvector needs it literal in the cast and to match
    # the partial index); everything else is bound.
    where = f"embedding_dims = {dims} AND merchant_id = :merchant AND embedding_model = :model"
    if merchant_size(session, merchant_id, embedder) <= EXACT_UP_TO:
        # `+ 0`: an expression the HNSW index cannot serve, so every vector is compared.
        statement = (
            f"SELECT id FROM knowledge_chunks WHERE {where} ORDER BY ({distance}) + 0 LIMIT :limit"  # noqa: S608
        )
    else:
        # Filtered HNSW: without iterative scans a merchant with a small share of the rows can
        # get fewer than k of their own chunks back (the index hands over ef_search rows, then
        # the tenant filter drops most). relaxed_order keeps scanning until enough rows pass.
        session.execute(sa.text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
        session.execute(sa.text("SET LOCAL hnsw.ef_search = 100"))
        statement = (
            f"SELECT id FROM ((SELECT id, {distance} AS d FROM knowledge_chunks "  # noqa: S608
            f"WHERE {where} AND ann_indexed ORDER BY {distance} LIMIT :limit) "
            f"UNION ALL (SELECT id, ({distance}) + 0 AS d FROM knowledge_chunks "
            f"WHERE {where} AND NOT ann_indexed ORDER BY 2 LIMIT :limit)) AS nearest "
            "ORDER BY d LIMIT :limit"
        )
    rows = session.execute(
        sa.text(statement),
        {
            "merchant": merchant_id,
            "model": embedder.name,
            "vector": "[" + ",".join(f"{v:.6f}" for v in query_vector) + "]",
            "limit": limit,
        },
    )
    return [row[0] for row in rows]


def merchant_size(session: Session, merchant_id: uuid.UUID, embedder: Embedder) -> int:
    key = (merchant_id, embedder.name)
    known = _sizes.get(key)
    if known is not None and known[1] > time.monotonic():
        return known[0]
    count = session.execute(
        sa.text(
            "SELECT count(*) FROM knowledge_chunks "
            "WHERE merchant_id = :merchant AND embedding_model = :model"
        ),
        {"merchant": merchant_id, "model": embedder.name},
    ).scalar_one()
    _sizes[key] = (int(count), time.monotonic() + _SIZE_TTL)
    return int(count)
