"""/api/products/search: what the agent would read for a question, for the merchant's own use
(checking their knowledge) and for integrations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recete_app.backend.db import session_scope
from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.knowledge.embeddings import configured_embedder
from recete_app.backend.knowledge.search import search

router = APIRouter(prefix="/api/products", tags=["products"])
Caller = AdminCaller


class ChunkView(BaseModel):
    chunk_id: uuid.UUID
    product_id: uuid.UUID | None
    product: str
    section: str
    language: str
    text: str
    score: float


class SearchResults(BaseModel):
    query: str
    results: list[ChunkView]


@router.get("/search")
def search_products(
    caller: Caller,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SearchResults:
    """The k chunks of this merchant's product knowledge that best answer `q` (hybrid vector +
    full-text search, fused by reciprocal rank), best first."""
    with session_scope(caller.merchant_id) as session:
        hits = search(session, q, configured_embedder(), k=k)
    return SearchResults(
        query=q,
        results=[
            ChunkView(
                chunk_id=hit.chunk_id,
                product_id=hit.product_id,
                product=hit.product,
                section=hit.section,
                language=hit.language,
                text=hit.text,
                score=round(hit.score, 6),
            )
            for hit in hits
        ],
    )
