"""/api/order-imports: an order file sent as multipart becomes the same background import as
the dashboard's upload; its progress and row report are read back by id. A file that can never
be imported is a 422 naming `file` and stores nothing; the same Idempotency-Key and file again
stores nothing; another store's import is 404; a key needs the admin scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.commerce import order_imports
from recete_app.backend.http.app import create_api
from tests.integration.api_helpers import Store, fields_named, key_headers, sign_up
from tests.support import FIXTURES, owner_sql

SHOPIFY_EXPORT = (FIXTURES / "csv" / "shopify_orders_export.csv").read_bytes()


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def store(client: TestClient) -> Store:
    return sign_up(client, "Lale Kozmetik", "owner@lalekozmetik.com")


def upload(
    client: TestClient,
    headers: dict[str, str],
    data: bytes = SHOPIFY_EXPORT,
    name: str = "orders_export.csv",
    key: str | None = None,
) -> Any:
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(
        "/api/order-imports", files={"file": (name, data, "text/csv")}, headers=headers
    )


def stored_imports() -> tuple[object, object]:
    jobs = owner_sql("SELECT count(*) FROM order_imports")[0][0]
    chunks = owner_sql("SELECT count(*) FROM order_import_chunks")[0][0]
    return jobs, chunks


def test_an_uploaded_file_is_queued_then_its_row_report_is_read_back(
    client: TestClient, store: Store
) -> None:
    queued = upload(client, store.auth)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert (job["status"], job["format"], job["filename"]) == (
        "queued",
        "shopify_export",
        "orders_export.csv",
    )
    assert job["size_bytes"] == len(SHOPIFY_EXPORT) and job["problems"] == []

    # What a worker does with the queued job.
    assert order_imports.run_import(store.merchant_id, uuid.UUID(job["id"])) == "done"

    done = client.get(f"/api/order-imports/{job['id']}", headers=store.auth)
    assert done.status_code == 200, done.text
    report = done.json()
    assert report["status"] == "done" and report["finished_at"] is not None
    assert (report["rows_read"], report["orders_imported"], report["orders_skipped"]) == (8, 3, 2)
    assert {(p["row"], p["order"], p["field"]) for p in report["problems"]} == {
        (5, "#1003", "created at"),
        (6, "#1004", "billing phone"),
        (7, "#1004", "lineitem quantity"),
        (9, "", "name"),
    }


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"colour,size\nred,M\n", "unknown_csv_format"),
        ("Name,Email\n#1,ayşe@example.com\n".encode("utf-16"), "not_utf8"),
    ],
)
def test_a_file_that_can_never_be_imported_is_a_422_naming_the_file_and_stores_nothing(
    client: TestClient, store: Store, data: bytes, code: str
) -> None:
    response = upload(client, store.auth, data)
    assert fields_named(response) == {"file"}
    assert response.json()["error"]["code"] == code
    assert stored_imports() == (0, 0)


def test_a_request_without_a_file_is_a_422_naming_it(client: TestClient, store: Store) -> None:
    response = client.post("/api/order-imports", data={"other": "x"}, headers=store.auth)
    assert "file" in {name.split(".")[-1] for name in fields_named(response)}
    assert stored_imports() == (0, 0)


def test_the_same_idempotency_key_and_file_return_the_first_import_and_store_nothing(
    client: TestClient, store: Store
) -> None:
    first = upload(client, store.auth, key="import-2026-12-07")
    again = upload(client, store.auth, key="import-2026-12-07")
    assert again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert stored_imports()[0] == 1

    other_file = upload(client, store.auth, SHOPIFY_EXPORT + b"\n", key="import-2026-12-07")
    assert other_file.status_code == 409
    assert other_file.json()["error"]["code"] == "idempotency_key_reused"
    assert stored_imports()[0] == 1


def test_another_stores_import_is_not_found(client: TestClient, store: Store) -> None:
    other = sign_up(client, "Başka Mağaza", "owner@baskamagaza.com")
    theirs = upload(client, other.auth).json()
    response = client.get(f"/api/order-imports/{theirs['id']}", headers=store.auth)
    assert response.status_code == 404
    assert theirs["filename"] not in response.text
    missing = client.get(f"/api/order-imports/{uuid.uuid4()}", headers=store.auth)
    assert missing.status_code == 404


def test_order_imports_need_a_signed_in_person_or_an_admin_key(
    client: TestClient, store: Store
) -> None:
    assert upload(client, {}).status_code == 401
    orders_key = key_headers(client, store, ["orders:write"])
    assert upload(client, orders_key).status_code == 403
    admin_key = key_headers(client, store, ["admin"])
    assert upload(client, admin_key).status_code == 202
    assert stored_imports()[0] == 1
