"""Product knowledge search at scale, and indexing throughput with the local provider.

    source scripts/env.sh && python -m bench.knowledge_search [--chunks N] [--indexing-only]

Starts an embedded PostgreSQL and times `index_product` over the demo catalogue for a few
fresh merchants (embedding, SQL and the rest apart). Then it loads 100,000 chunks over 100
merchants of 100 to ~3,700 chunks (the demo catalogue under each merchant's brand, in product
variants, with other numbers), embedded by LocalEmbedder, by COPY with the HNSW index rebuilt
afterwards (every chunk flagged `ann_indexed`, as if every merchant were past the exact limit,
so the forced leg walks an index of all 100,000), and asks the 104 eval questions three times
each, spread over every merchant (k = 10): the vector leg as `search` runs it, the same with
the HNSW index forced, exact search (the baseline, and the reference for recall) and the
hybrid `search`. Last, the indexing again,
into the loaded table. Prints a Markdown block for RESULTS.md. About 3-4 minutes on the 2-core
machine (--indexing-only: 30 s); the database (~2 GB) is deleted unless --keep.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.database import fresh_database

ROOT = Path(__file__).resolve().parents[1]
K = 10
MERCHANTS = 100
SMALLEST = 100  # chunks of the smallest merchant; sizes grow geometrically from it
ROUNDS = 3  # each eval question is asked this many times, each time of another merchant
BRANDS = ("Lale", "Defne", "Nova", "Mira", "Zeren", "Aura", "Pera", "Ada", "Luna", "Vera")
KINDS = ("Kozmetik", "Beauty", "Skin Lab", "Botanik", "Derma", "Naturals", "Care")
VARIANTS = ("", "Sensitive", "Plus", "Night", "Daily", "Intense", "Travel", "Pro", "Rich")
EXTRAS = {
    "en": ("Made in {city} by {brand}.", "{brand} ships orders within {n} business days."),
    "tr": ("{city} şehrinde {brand} tarafından üretilir.", "Siparişler {n} iş gününde kargoda."),
}
CITIES = ("Istanbul", "Izmir", "Ankara", "Bursa", "Antalya", "Eskişehir")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--indexing-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database (~2 GB)")
    args = parser.parse_args()
    started = time.perf_counter()
    data, server, url = fresh_database("recete-bench-knowledge-")
    results: dict[str, Any] = {"versions": _owner_sql(
        "SELECT current_setting('server_version'), extversion, "
        "current_setting('shared_buffers') FROM pg_extension WHERE extname = 'vector'"
    )[0]}  # fmt: skip
    results["indexing empty table"] = measure_indexing("empty", 3)
    if not args.indexing_only:
        results["build"], sizes = build_corpus(args.chunks)
        results["search"] = measure_search(sizes)
        results["indexing loaded table"] = measure_indexing("loaded", 3)
    print(report(results))
    print(f"\n(The run took {time.perf_counter() - started:.0f} s.)")
    if not args.keep:
        from recete_app.backend import db

        db.use_database_url(url)  # drops the pooled connections, so the server can stop
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


def _owner_sql(statement: str, **params: Any) -> list[Any]:
    from recete_app.backend.db import get_engine

    with get_engine(owner=True).begin() as conn:
        result = conn.execute(sa.text(statement), params)
        return list(result.all()) if result.returns_rows else []


def _new_merchant(name: str) -> uuid.UUID:
    """A merchant row as the owner writes it (signing up hashes a password: slow, beside the
    point here)."""
    merchant_id = uuid.uuid4()
    _owner_sql(
        "INSERT INTO merchants (id, name, default_language, timezone, settings) "
        "VALUES (:id, :name, 'en', 'UTC', '{}')",
        id=merchant_id,
        name=name,
    )
    return merchant_id


# --- the corpus ---------------------------------------------------------------------------


def merchant_sizes(total: int) -> list[int]:
    """MERCHANTS sizes from SMALLEST upwards, geometrically, summing to `total`: many small
    merchants and a few large ones (the smallest hold 0.1% of the rows)."""
    low, high = 1.0, 2.0
    for _ in range(60):  # bisect the growth ratio
        ratio = (low + high) / 2
        if sum(SMALLEST * ratio**i for i in range(MERCHANTS)) > total:
            high = ratio
        else:
            low = ratio
    sizes = [round(SMALLEST * low**i) for i in range(MERCHANTS)]
    sizes[-1] += total - sum(sizes)
    return sizes


def merchant_chunks(rng: random.Random, size: int) -> Iterator[tuple[str, str, Any]]:
    """(product title, product handle, chunk) until `size` chunks: the catalogue's products
    under the merchant's brand, in variants, with the numbers changed."""
    from recete_app.backend.knowledge.chunking import chunk_section
    from recete_app.backend.knowledge.demo import load_catalogue

    products = list(load_catalogue()["products"])
    rng.shuffle(products)
    brand = f"{rng.choice(BRANDS)} {rng.choice(KINDS)}"
    city, days = rng.choice(CITIES), rng.randint(1, 5)
    extras = {
        lang: [s.format(brand=brand, city=city, n=days) for s in e] for lang, e in EXTRAS.items()
    }
    count = 0
    for n in range(size):
        item, turn = products[n % len(products)], n // len(products)
        suffix = f" {VARIANTS[turn % len(VARIANTS)]} {turn // len(VARIANTS) or ''}".rstrip()
        renumber = _renumberer(rng)
        titles = {lang: renumber(f"{brand} {item[key]}{suffix}".strip()) for lang, key in
                  (("en", "title"), ("tr", "title_tr"))}  # fmt: skip
        sections = {name: dict(texts) for name, texts in item["sections"].items()}
        for lang, sentences in extras.items():
            sections["description"][lang] += " " + " ".join(sentences)
        prices = "; ".join(f"{v['title']}: {v['price']}" for v in item.get("variants", []))
        sections["variants"] = {"en": prices, "tr": prices}
        for name, texts in sections.items():
            for lang, body in texts.items():
                for chunk in chunk_section(titles[lang], name, lang, renumber(body)):
                    yield titles["en"], f"{item['handle']}-{n}", chunk
                    count += 1
                    if count == size:
                        return


def _renumberer(rng: random.Random) -> Callable[[str], str]:
    shift = rng.randint(-3, 6) or 1
    return lambda text: re.sub(r"\d+", lambda m: str(max(1, int(m.group()) + shift)), text)


def build_corpus(total: int) -> tuple[dict[str, float], list[tuple[uuid.UUID, int]]]:
    """Merchants, products and chunks by COPY as the owner, the HNSW index dropped during the
    load and rebuilt after it (as the migration defines it: the model mirrors it)."""
    from recete_app.backend.db import get_engine
    from recete_app.backend.models import KnowledgeChunk

    hnsw = next(i for i in KnowledgeChunk.__table__.indexes if i.name.endswith("_512"))  # type: ignore[attr-defined]
    sizes = [(_new_merchant(f"Bench {n}"), size) for n, size in enumerate(merchant_sizes(total))]
    timings = {"chunks": total, "merchants": len(sizes), "smallest": sizes[0][1], "largest": 0.0}
    timings["largest"] = max(size for _m, size in sizes)
    started = time.perf_counter()
    engine = get_engine(owner=True)
    with engine.begin() as conn:
        hnsw.drop(conn)
        timings["embedding"] = _copy_rows(conn.connection.driver_connection, sizes)
    timings["load"] = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
        conn.execute(sa.text("SET LOCAL max_parallel_maintenance_workers = 1"))
        mark = time.perf_counter()
        hnsw.create(conn)
        timings["hnsw"] = time.perf_counter() - mark
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
    timings["total"] = time.perf_counter() - started
    return timings, sizes


_CHUNK_COLUMNS = (
    "id, merchant_id, product_id, section, language, text, search_text, source, content_hash, "
    "embedding, embedding_model, embedding_dims, ann_indexed"
)


def _copy_rows(raw: Any, sizes: list[tuple[uuid.UUID, int]]) -> float:
    """COPY every merchant's products and chunks; returns the seconds spent embedding."""
    from recete_app.backend.knowledge.embeddings import LocalEmbedder
    from recete_app.backend.text import fold

    embedder, embedding = LocalEmbedder(), 0.0
    with raw.cursor() as cur:
        for number, (merchant_id, size) in enumerate(sizes):
            rows = list(merchant_chunks(random.Random(number), size))
            products = {handle: (uuid.uuid4(), title) for title, handle, _chunk in rows}
            mark = time.perf_counter()
            vectors = embedder.embed([chunk.search_text for _t, _h, chunk in rows])
            embedding += time.perf_counter() - mark
            with cur.copy(
                "COPY products (id, merchant_id, source, external_id, title, description, "
                "usage, ingredients, warnings, faq) FROM STDIN"
            ) as copy:
                for handle, (product_id, title) in products.items():
                    copy.write_row(
                        (product_id, merchant_id, "bench", handle, title) + ("",) * 4 + ("[]",)
                    )
            with cur.copy(f"COPY knowledge_chunks ({_CHUNK_COLUMNS}) FROM STDIN") as copy:
                for (_title, handle, chunk), vector in zip(rows, vectors, strict=True):
                    copy.write_row(
                        (uuid.uuid4(), merchant_id, products[handle][0], chunk.section,
                         chunk.language, chunk.text, fold(chunk.search_text), "",
                         chunk.content_hash, "[" + ",".join(map(repr, vector)) + "]",
                         embedder.name, embedder.dimensions, True)
                    )  # fmt: skip
    return embedding


# --- search --------------------------------------------------------------------------------

HNSW = ("hnsw.iterative_scan = relaxed_order", "hnsw.ef_search = 100")  # what vectors.nearest sets
# The planner's alternative to the HNSW scan is the merchant index and an exact sort (which it
# rightly picks for small merchants); turned off, every query walks the index. Forced legs use
# their own statement text: psycopg prepares a statement after 5 runs on a connection and
# PostgreSQL may then cache a generic plan, which must not be one made under these settings.
FORCE = ("enable_seqscan = off", "enable_sort = off")
_DISTANCE = "embedding::vector(512) <=> CAST(:vector AS vector(512))"


def _nearest(
    session: Any, vector: str, limit: int, *, exact: bool = False, explain: bool = False
) -> list[Any]:
    """`vectors.nearest`'s statement for a big merchant; `exact` orders by an expression the
    index cannot serve, so every chunk of the merchant is compared (found through the merchant
    index); `explain` answers [whether the planner walks the HNSW index] instead."""
    from recete_app.backend.db import current_merchant_id

    # constants only; `ann_indexed` is the HNSW index's predicate
    order = f"({_DISTANCE}) + 0" if exact else f"{_DISTANCE}"
    statement = (
        "SELECT id FROM knowledge_chunks WHERE embedding_dims = 512 "  # noqa: S608
        "AND merchant_id = :merchant AND embedding_model = 'local-hash-v1' "
        f"{'' if exact else 'AND ann_indexed '}ORDER BY {order} LIMIT :limit"
    )
    params = {"merchant": current_merchant_id(session), "vector": vector, "limit": limit}
    if explain:
        plan = str(session.execute(sa.text("EXPLAIN " + statement), params).all())
        return ["ix_knowledge_chunks_embedding_512" in plan]
    return [row[0] for row in session.execute(sa.text(statement), params)]


def _timed(merchant_id: uuid.UUID, settings: Sequence[str], run: Callable[[Any], Any]) -> Any:
    """(milliseconds, result) of `run(session)` in a tenant transaction; BEGIN, the tenant's
    set_config, the settings and COMMIT (the same for every leg) are outside the time."""
    from recete_app.backend.db import session_scope

    with session_scope(merchant_id) as session:
        for setting in settings:
            session.execute(sa.text(f"SET LOCAL {setting}"))
        session.execute(sa.text("SELECT 1"))
        started = time.perf_counter()
        result = run(session)
        return (time.perf_counter() - started) * 1000, result


def measure_search(sizes: list[tuple[uuid.UUID, int]]) -> dict[str, Any]:
    """Each eval question ROUNDS times, each time of the next merchant (all sizes), through
    every leg."""
    from recete_app.backend.knowledge.embeddings import LocalEmbedder
    from recete_app.backend.knowledge.evaluation import read_cases
    from recete_app.backend.knowledge.search import _by_vector, search

    lines = (ROOT / "evals" / "retrieval.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [case.question for case in read_cases(lines)] * ROUNDS
    queries = [(*sizes[n % len(sizes)], q) for n, q in enumerate(questions)]
    embedder = LocalEmbedder()
    legs: dict[str, Callable[[uuid.UUID, str, str], Any]] = {
        "vector": lambda m, q, v: _timed(m, (), lambda s: _by_vector(s, q, embedder)),
        "forced": lambda m, q, v: _timed(m, HNSW + FORCE, lambda s: _nearest(s, v, 40)),
        "forced10": lambda m, q, v: _timed(m, HNSW + FORCE, lambda s: _nearest(s, v, K)),
        "exact": lambda m, q, v: _timed(m, (), lambda s: _nearest(s, v, 40, exact=True)),
        "hybrid": lambda m, q, v: _timed(m, (), lambda s: search(s, q, embedder, k=K)),
        "plan": lambda m, q, v: _timed(m, HNSW, lambda s: _nearest(s, v, 40, explain=True)),
    }
    vectors = ["[" + ",".join(f"{v:.6f}" for v in embedder.embed([q])[0]) + "]" for q in questions]
    out: dict[str, Any] = {"sizes": [size for _m, size, _q in queries]}
    # One leg at a time, twice (the first pass warms up): the table and its indexes outgrow
    # shared_buffers, so interleaved legs would run on pages the previous leg brought in.
    for leg, run in legs.items():
        for _pass in ("warm-up", "measured"):
            timed = [run(m, q, v) for (m, _size, q), v in zip(queries, vectors, strict=True)]
        out[leg], out[f"{leg} ids"] = [ms for ms, _ids in timed], [ids for _ms, ids in timed]
    return out


# --- indexing ------------------------------------------------------------------------------


class _Clock:
    """Seconds spent in an embedder (as a wrapper) or in SQL statements (as event hooks)."""

    def __init__(self, inner: Any = None) -> None:
        self.inner, self.seconds, self._started = inner, 0.0, 0.0
        self.name, self.dimensions = getattr(inner, "name", ""), getattr(inner, "dimensions", 0)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.before()
        try:
            return list(self.inner.embed(texts))
        finally:
            self.after()

    def before(self, *_args: Any) -> None:
        self._started = time.perf_counter()

    def after(self, *_args: Any) -> None:
        self.seconds += time.perf_counter() - self._started


def measure_indexing(label: str, merchants: int) -> dict[str, float]:
    """The demo catalogue installed for fresh merchants (sections written and indexed: what
    `recete demo` does), then their chunks deleted and `index_product` timed alone."""
    from sqlmodel import select

    from recete_app.backend.db import get_engine, session_scope
    from recete_app.backend.knowledge.demo import install_demo_catalogue
    from recete_app.backend.knowledge.embeddings import LocalEmbedder
    from recete_app.backend.knowledge.indexing import index_product
    from recete_app.backend.models import Product

    embedder, sql, engine = _Clock(LocalEmbedder()), _Clock(), get_engine()
    totals = dict.fromkeys(("products", "chunks", "seconds", "install"), 0.0)
    for n in range(merchants):
        merchant_id, started = _new_merchant(f"Indexing {label} {n}"), time.perf_counter()
        with session_scope(merchant_id) as session:
            totals["products"] += install_demo_catalogue(session, embedder.inner)
        totals["install"] += time.perf_counter() - started
        _owner_sql("DELETE FROM knowledge_chunks WHERE merchant_id = :m", m=merchant_id)
        sa.event.listen(engine, "before_cursor_execute", sql.before)
        sa.event.listen(engine, "after_cursor_execute", sql.after)
        with session_scope(merchant_id) as session:
            products = session.exec(select(Product)).all()
            started = time.perf_counter()
            totals["chunks"] += sum(index_product(session, p, embedder).added for p in products)
            sql.before()
            session.commit()
            sql.after()
            totals["seconds"] += time.perf_counter() - started
        sa.event.remove(engine, "before_cursor_execute", sql.before)
        sa.event.remove(engine, "after_cursor_execute", sql.after)
    return {**totals, "embedding": embedder.seconds, "sql": sql.seconds}


# --- report --------------------------------------------------------------------------------


def _recall(found: list[list[Any]], exact: list[list[Any]], k: int) -> float:
    """Mean share of the exact k nearest that were found among the first k."""
    shares = [len(set(f[:k]) & set(e[:k])) / len(e[:k]) for f, e in zip(found, exact, strict=True)]
    return sum(shares) / len(shares)


def _search_rows(r: dict[str, Any], picked: list[int]) -> list[str]:
    def cell(leg: str, k: int) -> str:
        exact = [r["exact ids"][n] for n in picked]
        return f"{_recall([r[leg + ' ids'][n] for n in picked], exact, k):.3f}"

    rows = []
    for leg, label in (
        ("vector", "vector leg as `search` runs it (planner's choice, 40 rows)"),
        ("forced", "the same, HNSW forced (planner's exact plan off)"),
        ("forced10", f"HNSW forced, LIMIT {K}"),
        ("exact", "exact, every chunk of the merchant (baseline), 40 rows"),
        ("hybrid", f"hybrid `search()`, k = {K}"),
    ):
        ms = sorted(r[leg][n] for n in picked)
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        recall = "–" if leg == "hybrid" else cell(leg, K)
        recall40 = cell(leg, 40) if leg in ("vector", "forced") else "–"
        rows.append(
            f"| {label} | {statistics.median(ms):.1f} | {cuts[94]:.1f} | {cuts[98]:.1f} | "
            f"{recall} | {recall40} | {min(len(r[leg + ' ids'][n]) for n in picked)} |"
        )
    return rows


def _search_lines(r: dict[str, Any]) -> list[str]:
    everyone = list(range(len(r["sizes"])))
    groups = {
        "all queries": everyone,
        "merchants under 300 chunks": [n for n in everyone if r["sizes"][n] < 300],
        "queries the planner sends through HNSW": [n for n in everyone if r["plan ids"][n][0]],
    }
    lines = []
    for title, picked in groups.items():
        if picked:
            lines += ["", f"| {title} ({len(picked)}) | p50 ms | p95 ms | p99 ms | recall@10 | "
                      "recall@40 | fewest rows |", "|---|---|---|---|---|---|---|",
                      *_search_rows(r, picked)]  # fmt: skip
    return lines[1:]


def _indexing_line(label: str, r: dict[str, float]) -> str:
    per = 1000 / r["products"]
    other = r["seconds"] - r["embedding"] - r["sql"]
    return (
        f"| {label} | {r['products']:.0f} | {r['chunks']:.0f} | "
        f"**{r['products'] / r['seconds']:.0f}** | {r['chunks'] / r['seconds']:.0f} | "
        f"{r['embedding'] * per:.1f} | {r['sql'] * per:.1f} | {other * per:.1f} | "
        f"{r['products'] / r['install']:.0f} |"
    )


def report(results: dict[str, Any]) -> str:
    server, pgvector, shared_buffers = results["versions"]
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, PostgreSQL {server}, pgvector {pgvector}, "
        f"shared_buffers {shared_buffers}",
        "",
    ]
    if "build" in results:
        b = results["build"]
        lines += [
            f"{b['chunks']:,.0f} chunks over {b['merchants']:.0f} merchants "
            f"({b['smallest']:.0f} to {b['largest']:,.0f} chunks each): load (generate, embed, "
            f"COPY) {b['load']:.0f} s, of which embedding {b['embedding']:.0f} s; HNSW build "
            f"{b['hnsw']:.0f} s; {b['total']:.0f} s in all with VACUUM ANALYZE.",
            "",
            *_search_lines(results["search"]),
            "",
        ]
    lines += [
        "| `index_product`, demo catalogue | products | chunks | products/s | chunks/s | "
        "embedding ms/product | SQL ms/product | other ms/product | demo install products/s |",
        "|---|---|---|---|---|---|---|---|---|",
        *(
            _indexing_line(label, results[label])
            for label in ("indexing empty table", "indexing loaded table")
            if label in results
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
