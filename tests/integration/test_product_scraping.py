"""Scraping product pages into knowledge, end to end on real PostgreSQL against a local shop
server: a page, a collection, a sitemap, re-reading, merchant edits, and every kind of bad URL
recorded on its page while the rest of the job goes on (and refused addresses never reached)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import select

from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.db import session_scope
from recete_app.backend.knowledge import product_views, scrape_jobs
from recete_app.backend.knowledge.embeddings import LocalEmbedder
from recete_app.backend.knowledge.search import search
from recete_app.backend.models import Product, ScrapeJob
from recete_app.backend.scraping.fetching import Fetcher
from tests.support import owner_sql

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "shop_pages"
EMBEDDER = LocalEmbedder()
SERUM = "/products/glow-niacinamide-serum"


@dataclass
class Shop:
    """A store on 127.0.0.1 reached as http://shop.test:<port>, plus a trap on 127.0.0.2 that no
    request may ever reach."""

    port: int = 0
    trap_port: int = 0
    pages: dict[str, tuple[int, str, bytes, dict[str, str]]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    trapped: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://shop.test:{self.port}{path}"

    def serve(self, path: str, body: str | bytes, kind: str = "text/html; charset=utf-8") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = (200, kind, data, {})

    def fetcher(self) -> Fetcher:
        hosts = {"shop.test": ["127.0.0.1"], "metadata.test": ["169.254.169.254"]}
        return Fetcher(
            resolver=lambda host, _port: hosts[host],
            allowed_networks=["127.0.0.1/32"],
            politeness_delay=0,
        )


def _server(
    record: list[str],
    pages: dict[str, tuple[int, str, bytes, dict[str, str]]],
    host: str = "127.0.0.1",
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.append(self.path)
            status, kind, body, headers = pages.get(self.path, (404, "text/html", b"nope", {}))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return ThreadingHTTPServer((host, 0), Handler)


@pytest.fixture()
def shop() -> Iterator[Shop]:
    shop = Shop()
    server = _server(shop.seen, shop.pages)
    trap = _server(shop.trapped, {}, host="127.0.0.2")
    shop.port, shop.trap_port = server.server_address[1], trap.server_address[1]
    for srv in (server, trap):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    shop.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    shop.serve(SERUM, (PAGES / "glow-serum.html").read_text())
    shop.serve("/collections/all", (PAGES / "collection.html").read_text())
    shop.serve("/pages/about", (PAGES / "about.html").read_text())
    for name in ("sitemap.xml", "broken-sitemap.xml"):
        text = (PAGES / name).read_text().replace("PORT", str(shop.port))
        shop.serve(f"/{name}", text, "application/xml")
    shop.serve("/private/secret", (PAGES / "glow-serum.html").read_text())
    shop.serve("/catalogue.pdf", b"%PDF-1.7", "application/pdf")
    shop.serve("/huge", "<html><body>" + "x" * (6 * 1024 * 1024) + "</body></html>")
    for path, target in (
        ("/to-loopback", f"http://127.0.0.2:{shop.trap_port}/"),
        ("/to-metadata", "http://metadata.test/latest/meta-data/"),
    ):
        shop.pages[path] = (302, "text/html", b"", {"Location": target})
    yield shop
    for srv in (server, trap):
        srv.shutdown()
        srv.server_close()


@pytest.fixture()
def merchant() -> uuid.UUID:
    return sign_up("Moss & Fern", "owner@mossandfern.com", "correct horse battery").merchant_id


def _scrape(merchant: uuid.UUID, shop: Shop, urls: list[str]) -> ScrapeJob:
    with session_scope(merchant) as session:
        job_id = scrape_jobs.start_scrape(session, urls, "test").id
    status = scrape_jobs.run_scrape(merchant, job_id, fetcher=shop.fetcher(), embedder=EMBEDDER)
    assert status == "done"
    with session_scope(merchant) as session:
        return session.get_one(ScrapeJob, job_id)


def test_a_product_page_becomes_sections_and_searchable_chunks(
    merchant: uuid.UUID, shop: Shop
) -> None:
    job = _scrape(merchant, shop, [shop.url(SERUM)])
    assert (job.pages_found, job.pages_done, job.pages_failed) == (1, 1, 0)
    assert job.results[0]["ok"] and job.results[0]["source"] == "json-ld"
    with session_scope(merchant) as session:
        product = session.exec(select(Product)).one()
        detail = product_views.product_detail(session, product.id)
        hits = search(session, "how many drops of the niacinamide serum", EMBEDDER, k=1)
    assert (product.title, product.source, str(product.price)) == (
        "Glow Niacinamide 10% Serum",
        "scraped",
        "24.90",
    )
    assert product.url == shop.url(SERUM) and product.last_scraped_at is not None
    sections = {s.section for s in detail.sections}
    assert {"description", "how_to_use", "ingredients", "warnings"} <= sections
    assert hits[0].section == "how_to_use" and "2-3 drops" in hits[0].text


def test_reading_a_page_again_embeds_nothing_new_and_a_merchant_edit_wins(
    merchant: uuid.UUID, shop: Shop
) -> None:
    _scrape(merchant, shop, [shop.url(SERUM)])
    again = _scrape(merchant, shop, [shop.url(SERUM)])
    assert again.results[0]["chunks_added"] == 0
    with session_scope(merchant) as session:
        product = session.exec(select(Product)).one()
        product_views.save_merchant_answers(
            session, product.id, "en", "Use 4 drops at night only.", "", EMBEDDER
        )
    _scrape(merchant, shop, [shop.url(SERUM)])
    with session_scope(merchant) as session:
        hits = search(session, "how many drops of the niacinamide serum", EMBEDDER, k=1)
        count = session.exec(select(Product)).all()
    assert "4 drops at night" in hits[0].text and len(count) == 1


def test_a_collection_and_a_sitemap_expand_into_their_product_pages(
    merchant: uuid.UUID, shop: Shop
) -> None:
    job = _scrape(merchant, shop, [shop.url("/collections/all")])
    outcomes = {r["url"]: r for r in job.results}
    assert outcomes[shop.url(SERUM)]["ok"]
    assert outcomes[shop.url("/products/missing-balm")]["code"] == "http_status"
    sitemap = _scrape(merchant, shop, [shop.url("/sitemap.xml")])
    # Only the product-looking entries of a store's sitemap are read.
    assert [r["url"] for r in sitemap.results] == [shop.url(SERUM)]
    with session_scope(merchant) as session:
        assert len(session.exec(select(Product)).all()) == 1


def test_every_bad_url_is_a_readable_failure_and_refused_addresses_are_never_reached(
    merchant: uuid.UUID, shop: Shop
) -> None:
    bad = {
        "http://shop.test:1/products/unreachable": "unreachable",
        shop.url("/products/missing-balm"): "http_status",
        shop.url("/huge"): "too_large",
        shop.url("/catalogue.pdf"): "unsupported_content",
        shop.url("/pages/about"): "no_product_data",
        shop.url("/private/secret"): "robots_disallowed",
        shop.url("/to-loopback"): "refused_address",
        shop.url("/to-metadata"): "refused_address",
        "http://metadata.test/latest/meta-data/": "refused_address",
        "http://[::1]:8000/products/x": "refused_address",
        f"http://127.0.0.2:{shop.trap_port}/products/x": "refused_address",
        shop.url("/broken-sitemap.xml"): "malformed_sitemap",
    }
    job = _scrape(merchant, shop, [*bad, shop.url(SERUM)])
    codes = {r["url"]: r.get("code") for r in job.results}
    assert {url: codes.get(url) for url in bad} == bad
    assert all(r["message"] for r in job.results if not r["ok"])
    assert codes[shop.url(SERUM)] is None and job.pages_done == 1
    assert shop.trapped == []
    assert "/private/secret" not in shop.seen and "/latest/meta-data/" not in shop.seen


def test_a_failed_reread_keeps_the_knowledge_and_shows_the_error(
    merchant: uuid.UUID, shop: Shop
) -> None:
    _scrape(merchant, shop, [shop.url(SERUM)])
    del shop.pages[SERUM]
    job = _scrape(merchant, shop, [shop.url(SERUM)])
    assert job.results[0]["code"] == "http_status"
    with session_scope(merchant) as session:
        [row] = product_views.list_products(session)
    assert row.chunk_count > 3 and "404" in (row.scrape_error or "")


def test_stale_jobs_resume_and_old_pages_are_read_again_on_schedule(
    merchant: uuid.UUID, shop: Shop
) -> None:
    _scrape(merchant, shop, [shop.url(SERUM)])
    with session_scope(merchant) as session:
        assert scrape_jobs.start_rescrape(session) == []  # read just now
    week_ago = datetime.now(UTC) - timedelta(days=8)
    owner_sql("UPDATE products SET last_scraped_at = :t", t=week_ago)
    with session_scope(merchant) as session:
        [job_id] = scrape_jobs.start_rescrape(session)
        assert scrape_jobs.start_rescrape(session) == []  # one at a time
    owner_sql(
        "UPDATE scrape_jobs SET status = 'running', heartbeat_at = :t, created_at = :t "
        "WHERE id = :id",
        t=datetime.now(UTC) - timedelta(minutes=10),
        id=job_id,
    )
    with session_scope(merchant) as session:
        assert scrape_jobs.jobs_to_resume(session) == [job_id]
    status = scrape_jobs.run_scrape(merchant, job_id, fetcher=shop.fetcher(), embedder=EMBEDDER)
    assert status == "done"
    assert scrape_jobs.run_scrape(merchant, job_id, fetcher=shop.fetcher()) is None


def test_urls_are_checked_before_a_job_is_queued(merchant: uuid.UUID) -> None:
    from recete_app.backend.errors import InvalidInput

    with session_scope(merchant) as session:
        with pytest.raises(InvalidInput, match=r"ftp://files\.example"):
            scrape_jobs.start_scrape(session, ["ftp://files.example/x", "https://ok.example/"], "t")
        with pytest.raises(InvalidInput, match="at least one"):
            scrape_jobs.start_scrape(session, ["  "], "t")
    assert owner_sql("SELECT count(*) FROM scrape_jobs") == [(0,)]


def test_the_scrape_command_reads_pages_and_reports_each_one(
    merchant: uuid.UUID,
    shop: Shop,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from recete_app.backend.config import get_settings
    from recete_app.cli import main

    monkeypatch.setenv("RECETE_SCRAPE_ALLOWED_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("RECETE_SCRAPE_POLITENESS_SECONDS", "0")
    get_settings.cache_clear()
    try:
        base = f"http://127.0.0.1:{shop.port}"
        code = main(
            [
                "products",
                "scrape",
                "--merchant",
                "owner@mossandfern.com",
                f"{base}{SERUM}",
                f"{base}/catalogue.pdf",
            ]
        )
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert code == 0
    assert f"ok      {base}{SERUM}  Glow Niacinamide 10% Serum (json-ld)" in out
    assert f"failed  {base}/catalogue.pdf  unsupported_content" in out
    assert "done: 1 read, 1 failed" in out
