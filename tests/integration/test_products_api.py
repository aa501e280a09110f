"""/api/products and /api/scrape-jobs: the catalogue over the REST API. Cursor pages that walk
every product once, one product with its knowledge, the merchant's usage/FAQ per language,
deletion, reading pages as scrape jobs (idempotent with Idempotency-Key), a job's progress;
another store's product or job is 404, and a key needs the admin scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.knowledge.embeddings import LocalEmbedder
from recete_app.backend.knowledge.indexing import index_product
from recete_app.backend.knowledge.sections import STORE, put_section
from recete_app.backend.models import Product, ScrapeJob
from recete_app.backend.services import catalogue
from tests.integration.api_helpers import Store, fields_named, key_headers, sign_up
from tests.support import owner_sql

EMBEDDER = LocalEmbedder()
SERUM_URL = "https://glowskin.example/products/vitamin-c-serum"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def store(client: TestClient) -> Store:
    return sign_up(client, "Glow Skin", "owner@glowskin.com")


@pytest.fixture()
def other(client: TestClient) -> Store:
    return sign_up(client, "Other Shop", "owner@othershop.com")


def add_product(
    merchant_id: uuid.UUID,
    title: str,
    url: str | None = None,
    created_at: datetime | None = None,
) -> uuid.UUID:
    with session_scope(merchant_id) as session:
        product = Product(merchant_id=merchant_id, title=title, url=url, source="manual")
        if created_at is not None:
            product.created_at = created_at
        session.add(product)
        session.flush()
        put_section(session, product.id, "how_to_use", "en", STORE, f"Apply {title} to clean skin.")
        session.flush()
        index_product(session, product, EMBEDDER)
        return product.id


def scrape_jobs_of(merchant_id: uuid.UUID) -> int:
    rows = owner_sql("SELECT count(*) FROM scrape_jobs WHERE merchant_id = :m", m=merchant_id)
    return int(str(rows[0][0]))


# --- the list -------------------------------------------------------------------------------


def test_pages_walk_every_product_once_newest_first(client: TestClient, store: Store) -> None:
    base = datetime(2026, 12, 1, tzinfo=UTC)
    made = [add_product(store.merchant_id, f"Serum {n}", created_at=base) for n in range(4)]
    made += [
        add_product(store.merchant_id, f"Cream {n}", created_at=base + timedelta(hours=n + 1))
        for n in range(3)
    ]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/products", params=params, headers=store.auth)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [p["id"] for p in body["products"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(body["products"]) == 3
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == {str(i) for i in made}
    assert seen[:3] == [str(i) for i in reversed(made[4:])]  # the newest first
    first = client.get("/api/products", params={"limit": 100}, headers=store.auth).json()
    assert first["next_cursor"] is None and len(first["products"]) == 7
    assert first["products"][0]["chunk_count"] >= 1


def test_q_filters_by_title_or_url(client: TestClient, store: Store) -> None:
    add_product(store.merchant_id, "Vitamin C Serum", url=SERUM_URL)
    add_product(store.merchant_id, "Night Cream")
    titles = [
        p["title"]
        for p in client.get("/api/products", params={"q": "vitamin-c"}, headers=store.auth).json()[
            "products"
        ]
    ]
    assert titles == ["Vitamin C Serum"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJ4IiwgInkiXQ"}, "cursor"),  # base64 of ["x", "y"]
    ],
)
def test_a_bad_page_request_names_the_field(
    client: TestClient, store: Store, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/products", params=params, headers=store.auth)
    assert fields_named(response) == {field}


def test_the_list_shows_only_the_stores_own_products(
    client: TestClient, store: Store, other: Store
) -> None:
    add_product(store.merchant_id, "Ours")
    add_product(other.merchant_id, "Theirs")
    body = client.get("/api/products", headers=store.auth).json()
    assert [p["title"] for p in body["products"]] == ["Ours"]


# --- one product ----------------------------------------------------------------------------


def test_a_product_reads_with_its_sections_and_chunks(client: TestClient, store: Store) -> None:
    product_id = add_product(store.merchant_id, "Vitamin C Serum", url=SERUM_URL)
    response = client.get(f"/api/products/{product_id}", headers=store.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["url"]) == ("Vitamin C Serum", SERUM_URL)
    assert [(s["section"], s["language"], s["origin"]) for s in body["sections"]] == [
        ("how_to_use", "en", "store")
    ]
    assert any(c["section"] == "how_to_use" for c in body["chunks"])


def test_the_merchants_usage_and_faq_win_and_are_indexed(client: TestClient, store: Store) -> None:
    product_id = add_product(store.merchant_id, "Vitamin C Serum")
    change = {
        "answers": [
            {"language": "en", "usage": "Two drops, mornings only.", "faq": "Q: Retinol? A: No."},
            {"language": "tr", "usage": "Sabahları iki damla."},
        ]
    }
    response = client.patch(f"/api/products/{product_id}", json=change, headers=store.auth)
    assert response.status_code == 200, response.text
    sections = {
        (s["section"], s["language"], s["origin"]): s["body"] for s in response.json()["sections"]
    }
    assert sections[("how_to_use", "en", "merchant")] == "Two drops, mornings only."
    assert sections[("faq", "en", "merchant")] == "Q: Retinol? A: No."
    assert sections[("how_to_use", "tr", "merchant")] == "Sabahları iki damla."
    assert any("mornings only" in c["text"] for c in response.json()["chunks"])
    # A field left out stays; an empty one gives the section back.
    again = client.patch(
        f"/api/products/{product_id}",
        json={"answers": [{"language": "en", "faq": ""}]},
        headers=store.auth,
    ).json()
    kept = {(s["section"], s["language"], s["origin"]) for s in again["sections"]}
    assert ("how_to_use", "en", "merchant") in kept and ("faq", "en", "merchant") not in kept
    actions = [str(r[0]) for r in owner_sql("SELECT action FROM audit_log")]
    assert actions.count("product.answers_updated") == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "answers"),
        ({"answers": []}, "answers"),
        ({"answers": [{"usage": "x"}]}, "answers.0.language"),
        ({"answers": [{"language": "xx", "usage": "x"}]}, "answers.0.language"),
        (
            {"answers": [{"language": "en", "usage": "a"}, {"language": "en", "faq": "b"}]},
            "answers.1.language",
        ),
        ({"answers": [{"language": "en", "usage": "x" * 8001}]}, "answers.0.usage"),
        ({"answers": [{"language": "en", "faq": 5}]}, "answers.0.faq"),
    ],
)
def test_a_bad_product_change_names_the_field(
    client: TestClient, store: Store, body: dict[str, Any], field: str
) -> None:
    product_id = add_product(store.merchant_id, "Vitamin C Serum")
    response = client.patch(f"/api/products/{product_id}", json=body, headers=store.auth)
    assert fields_named(response) == {field}


def test_deleting_a_product_removes_it_with_its_knowledge(client: TestClient, store: Store) -> None:
    product_id = add_product(store.merchant_id, "Vitamin C Serum")
    response = client.delete(f"/api/products/{product_id}", headers=store.auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": str(product_id), "title": "Vitamin C Serum", "deleted": True}
    assert client.get(f"/api/products/{product_id}", headers=store.auth).status_code == 404
    assert owner_sql("SELECT count(*) FROM knowledge_chunks") == [(0,)]
    assert client.delete(f"/api/products/{product_id}", headers=store.auth).status_code == 404


def test_another_stores_product_is_not_found_and_stays_as_it_was(
    client: TestClient, store: Store, other: Store
) -> None:
    theirs = add_product(other.merchant_id, "Their Serum", url=SERUM_URL)
    path = f"/api/products/{theirs}"
    change = {"answers": [{"language": "en", "usage": "Mine now."}]}
    for response in (
        client.get(path, headers=store.auth),
        client.patch(path, json=change, headers=store.auth),
        client.delete(path, headers=store.auth),
        client.post(f"{path}/read-again", headers=store.auth),
    ):
        assert response.status_code == 404, response.text
        assert "Their Serum" not in response.text
    assert client.get(path, headers=other.auth).json()["title"] == "Their Serum"
    assert scrape_jobs_of(store.merchant_id) == 0
    assert client.get(f"/api/products/{uuid.uuid4()}", headers=store.auth).status_code == 404


# --- reading pages --------------------------------------------------------------------------


def test_posting_urls_queues_a_scrape_job_to_follow(client: TestClient, store: Store) -> None:
    response = client.post("/api/products", json={"urls": [SERUM_URL]}, headers=store.auth)
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["status"], job["urls"], job["results"]) == ("queued", [SERUM_URL], [])
    followed = client.get(f"/api/scrape-jobs/{job['id']}", headers=store.auth)
    assert followed.status_code == 200 and followed.json()["id"] == job["id"]


def test_a_job_shows_its_progress_and_each_pages_result(
    client: TestClient, store: Store, other: Store
) -> None:
    job_id = client.post("/api/products", json={"urls": [SERUM_URL]}, headers=store.auth).json()[
        "id"
    ]
    product_id = add_product(store.merchant_id, "Vitamin C Serum", url=SERUM_URL)
    with session_scope(store.merchant_id) as session:
        job = session.get_one(ScrapeJob, uuid.UUID(job_id))
        job.status, job.pages_found, job.pages_done, job.pages_failed = "done", 2, 1, 1
        job.results = [
            {"url": SERUM_URL, "ok": True, "product_id": str(product_id), "title": "Serum"},
            {"url": SERUM_URL + "-x", "ok": False, "code": "not_found", "message": "404"},
        ]
    body = client.get(f"/api/scrape-jobs/{job_id}", headers=store.auth).json()
    assert (body["status"], body["pages_done"], body["pages_failed"]) == ("done", 1, 1)
    assert [(r["ok"], r["product_id"], r["code"]) for r in body["results"]] == [
        (True, str(product_id), None),
        (False, None, "not_found"),
    ]
    assert client.get(f"/api/scrape-jobs/{job_id}", headers=other.auth).status_code == 404
    assert client.get(f"/api/scrape-jobs/{uuid.uuid4()}", headers=store.auth).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "urls"),
        ({"urls": []}, "urls"),
        ({"urls": "https://glowskin.example"}, "urls"),
        ({"urls": [""]}, "urls.0"),
        ({"urls": ["ftp://glowskin.example/serum"]}, "urls"),
        ({"urls": ["   "]}, "urls"),
        ({"urls": [f"https://glowskin.example/{n}" for n in range(51)]}, "urls"),
    ],
)
def test_bad_urls_name_the_field_and_queue_nothing(
    client: TestClient, store: Store, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/products", json=body, headers=store.auth)
    assert fields_named(response) == {field}
    assert scrape_jobs_of(store.merchant_id) == 0


def test_the_same_idempotency_key_returns_the_same_job_and_makes_one(
    client: TestClient, store: Store, other: Store
) -> None:
    headers = {**store.auth, "Idempotency-Key": "import-2026-12-07"}
    first = client.post("/api/products", json={"urls": [SERUM_URL]}, headers=headers)
    again = client.post("/api/products", json={"urls": [SERUM_URL]}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert scrape_jobs_of(store.merchant_id) == 1
    reused = client.post("/api/products", json={"urls": [SERUM_URL + "-2"]}, headers=headers)
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    # Keys are per store: another store's same key is its own.
    theirs = client.post(
        "/api/products",
        json={"urls": [SERUM_URL]},
        headers={**other.auth, "Idempotency-Key": "import-2026-12-07"},
    )
    assert theirs.status_code == 202 and theirs.json()["id"] != first.json()["id"]
    # Without a key every request is new.
    client.post("/api/products", json={"urls": [SERUM_URL]}, headers=store.auth)
    assert scrape_jobs_of(store.merchant_id) == 2


def test_a_refused_request_does_not_use_up_its_key(client: TestClient, store: Store) -> None:
    headers = {**store.auth, "Idempotency-Key": "k1"}
    bad = client.post("/api/products", json={"urls": ["ftp://x.example"]}, headers=headers)
    assert bad.status_code == 422
    good = client.post("/api/products", json={"urls": [SERUM_URL]}, headers=headers)
    assert good.status_code == 202
    blank = client.post(
        "/api/products", json={"urls": [SERUM_URL]}, headers={**store.auth, "Idempotency-Key": " "}
    )
    assert fields_named(blank) == {"Idempotency-Key"}
    long = client.post(
        "/api/products",
        json={"urls": [SERUM_URL]},
        headers={**store.auth, "Idempotency-Key": "k" * 256},
    )
    assert fields_named(long) == {"Idempotency-Key"}


def test_reading_a_product_page_again(client: TestClient, store: Store) -> None:
    product_id = add_product(store.merchant_id, "Vitamin C Serum", url=SERUM_URL)
    path = f"/api/products/{product_id}/read-again"
    headers = {**store.auth, "Idempotency-Key": "reread-1"}
    first = client.post(path, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["urls"] == [SERUM_URL]
    assert client.post(path, headers=headers).json()["id"] == first.json()["id"]
    assert scrape_jobs_of(store.merchant_id) == 1
    no_page = add_product(store.merchant_id, "Gift Card")
    refused = client.post(f"/api/products/{no_page}/read-again", headers=store.auth)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_page_address"


# --- the rest -------------------------------------------------------------------------------


def test_search_still_answers_beside_the_product_routes(client: TestClient, store: Store) -> None:
    add_product(store.merchant_id, "Vitamin C Serum")
    response = client.get("/api/products/search", params={"q": "serum"}, headers=store.auth)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["product"] == "Vitamin C Serum"


def test_an_orders_only_key_is_refused_everywhere(client: TestClient, store: Store) -> None:
    product_id = add_product(store.merchant_id, "Vitamin C Serum", url=SERUM_URL)
    key = key_headers(client, store, ["orders:write"])
    path = f"/api/products/{product_id}"
    for response in (
        client.get("/api/products", headers=key),
        client.get(path, headers=key),
        client.patch(path, json={"answers": [{"language": "en", "usage": "x"}]}, headers=key),
        client.delete(path, headers=key),
        client.post("/api/products", json={"urls": [SERUM_URL]}, headers=key),
        client.post(f"{path}/read-again", headers=key),
        client.get(f"/api/scrape-jobs/{uuid.uuid4()}", headers=key),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "insufficient_scope"
    admin = key_headers(client, store, ["admin"])
    assert client.get(path, headers=admin).status_code == 200
    assert scrape_jobs_of(store.merchant_id) == 0


def test_the_openapi_document_has_every_route_with_examples(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/products"])
    assert {"get", "patch", "delete"} <= set(paths["/api/products/{product_id}"])
    assert "post" in paths["/api/products/{product_id}/read-again"]
    assert "get" in paths["/api/scrape-jobs/{job_id}"]
    schemas = spec["components"]["schemas"]
    assert schemas["AddProductsBody"]["properties"]["urls"]["examples"]
    assert schemas["AnswersBody"]["properties"]["language"]["examples"] == ["en"]
    headers = [p["name"] for p in paths["/api/products"]["post"]["parameters"]]
    assert "Idempotency-Key" in headers


def test_two_requests_racing_with_one_key_make_one_job(client: TestClient, store: Store) -> None:
    person = Principal(merchant_id=store.merchant_id, actor="test")
    start = Barrier(4)

    def add(_: int) -> uuid.UUID:
        start.wait()
        return catalogue.add_products(person, [SERUM_URL], "race-1").id

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(add, range(4)))
    assert len(ids) == 1
    assert scrape_jobs_of(store.merchant_id) == 1
