"""Vector search plans on real PostgreSQL + pgvector: merchants up to the exact limit are
compared exactly and stay out of the HNSW index; bigger ones are moved into it and searched
through it, k rows always, chunks not yet moved still found."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import select

from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.db import session_scope
from recete_app.backend.knowledge import vectors
from recete_app.backend.knowledge.demo import install_demo_catalogue
from recete_app.backend.knowledge.embeddings import LocalEmbedder
from recete_app.backend.knowledge.indexing import index_product
from recete_app.backend.knowledge.search import search
from recete_app.backend.models import Product
from tests.support import owner_sql

EMBEDDER = LocalEmbedder()


@pytest.fixture(autouse=True)
def fresh_plan_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Chunk counts and moved merchants are remembered per process: start each test blank."""
    monkeypatch.setattr(vectors, "_sizes", {})
    monkeypatch.setattr(vectors, "_flagged", set())
    yield


@pytest.fixture()
def demo_merchant() -> uuid.UUID:
    merchant = sign_up("Lale Kozmetik", "demo@lalekozmetik.com", "correct horse battery")
    with session_scope(merchant.merchant_id) as session:
        install_demo_catalogue(session, EMBEDDER)
    return merchant.merchant_id


def _flags(merchant_id: uuid.UUID) -> dict[bool, int]:
    rows = owner_sql(
        "SELECT ann_indexed, count(*) FROM knowledge_chunks WHERE merchant_id = :m "
        "GROUP BY ann_indexed",
        m=merchant_id,
    )
    return {bool(flag): int(str(count)) for flag, count in rows}


def test_a_small_merchants_chunks_stay_out_of_the_hnsw_index(demo_merchant: uuid.UUID) -> None:
    flags = _flags(demo_merchant)
    assert set(flags) == {False} and flags[False] > 300


def test_a_merchant_past_the_limit_is_moved_into_the_index_and_searched_through_it(
    demo_merchant: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors, "EXACT_UP_TO", 100)
    monkeypatch.setattr(vectors, "_sizes", {})  # the demo install counted while it was small
    statements: list[str] = []
    owner_sql(
        "DELETE FROM knowledge_chunks WHERE product_id = "
        "(SELECT id FROM products WHERE external_id = 'vitamin-c-15-serum')"
    )
    with session_scope(demo_merchant) as session:
        product = session.exec(
            select(Product).where(Product.external_id == "vitamin-c-15-serum")
        ).one()
        assert index_product(session, product, EMBEDDER).added > 5
    assert set(_flags(demo_merchant)) == {True}  # older chunks moved in with the new one

    with session_scope(demo_merchant) as session:
        sa.event.listen(
            session.connection(), "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        hits = search(session, "how many drops of the vitamin c serum", EMBEDDER, k=5)
    vector_leg = next(s for s in statements if "vector(512)" in s and "ORDER BY" in s)
    assert "AND ann_indexed ORDER BY" in vector_leg and "iterative_scan" in " ".join(statements)
    assert len(hits) == 5 and hits[0].product_external_id == "vitamin-c-15-serum"


def test_a_big_merchants_chunk_not_yet_in_the_index_is_still_found(
    demo_merchant: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process may insert a chunk unflagged just as the merchant crosses the limit."""
    monkeypatch.setattr(vectors, "EXACT_UP_TO", 100)
    owner_sql(
        "UPDATE knowledge_chunks SET ann_indexed = true WHERE merchant_id = :m", m=demo_merchant
    )
    owner_sql(
        "UPDATE knowledge_chunks SET ann_indexed = false WHERE merchant_id = :m "
        "AND text ILIKE '%patch test%'",
        m=demo_merchant,
    )
    straggler = owner_sql(
        "SELECT id, search_text FROM knowledge_chunks WHERE merchant_id = :m AND NOT ann_indexed "
        "LIMIT 1",
        m=demo_merchant,
    )
    assert straggler, "the demo catalogue has a patch-test warning"
    chunk_id, text = straggler[0]
    with session_scope(demo_merchant) as session:
        found = vectors.nearest(session, EMBEDDER.embed([str(text)])[0], EMBEDDER, 10)
    assert found[0] == chunk_id


def test_a_small_merchant_always_gets_k_chunks_from_a_filtered_hnsw_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the index forced and a merchant holding 0.5% of the vectors, an HNSW scan that
    stopped at ef_search rows would return few or none of theirs."""
    monkeypatch.setattr(vectors, "EXACT_UP_TO", 0)  # HNSW for every merchant
    rng = random.Random(7)
    merchants = [
        sign_up(f"Store {n}", f"owner{n}@store{n}.com", "correct horse battery") for n in range(4)
    ]
    small = merchants[0].merchant_id
    rows = []
    for index, merchant in enumerate(merchants):
        for n in range(12 if index == 0 else 800):
            vector = [rng.gauss(0, 1) for _ in range(EMBEDDER.dimensions)]
            rows.append({"id": uuid.uuid4(), "m": merchant.merchant_id, "n": n, "v": str(vector)})
    owner_sql(
        "INSERT INTO knowledge_chunks (id, merchant_id, section, language, text, search_text, "
        "source, content_hash, embedding, embedding_model, embedding_dims, ann_indexed) VALUES "
        + ",".join(
            f"(:id{i}, :m{i}, 'description', 'en', 'chunk ' || :n{i}, '', '', :n{i}, "
            f"CAST(:v{i} AS vector), 'local-hash-v1', 512, true)"
            for i in range(len(rows))
        ),
        **{f"{key}{i}": value for i, row in enumerate(rows) for key, value in row.items()},
    )
    owner_sql("ANALYZE knowledge_chunks")
    with session_scope(small) as session:
        # Make the planner walk the HNSW index (not the merchant btree plus a sort, which is
        # exact and what it would rightly pick for so few rows).
        session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        session.execute(sa.text("SET LOCAL enable_sort = off"))
        query = str(EMBEDDER.embed(["anything at all"])[0])
        plan = session.execute(
            sa.text(
                "EXPLAIN SELECT id FROM knowledge_chunks WHERE embedding_dims = 512 "
                "AND ann_indexed ORDER BY embedding::vector(512) <=> CAST(:q AS vector(512)) "
                "LIMIT 10"
            ),
            {"q": query},
        ).all()
        hits = search(session, "anything at all", EMBEDDER, k=10)
    assert "ix_knowledge_chunks_embedding_512" in str(plan)
    assert len(hits) == 10


def test_merchants_up_to_the_exact_limit_are_searched_exactly_and_bigger_ones_by_hnsw(
    demo_merchant: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    owner_sql(
        "UPDATE knowledge_chunks SET ann_indexed = true WHERE merchant_id = :m", m=demo_merchant
    )
    with session_scope(demo_merchant) as session:
        sa.event.listen(
            session.connection(), "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        exact = search(session, "how many drops of the vitamin c", EMBEDDER, k=5)
        monkeypatch.setattr(vectors, "EXACT_UP_TO", 0)
        monkeypatch.setattr(vectors, "_sizes", {})
        by_index = search(session, "how many drops of the vitamin c", EMBEDDER, k=5)
    vector_legs = [s for s in statements if "ORDER BY" in s and "vector(512)" in s]
    assert "ann_indexed" not in vector_legs[0] and "AND ann_indexed ORDER BY" in vector_legs[1]
    assert [h.chunk_id for h in exact][:3] == [h.chunk_id for h in by_index][:3]
