"""Dashboard order uploads: checked and stored whole (or not at all), imported in the
background from database chunks, progress recorded, a dead worker's import resumed."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.commerce import order_imports
from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.tenants import ids_per_merchant
from tests.support import FIXTURES, owner_sql

SHOPIFY_EXPORT = (FIXTURES / "csv" / "shopify_orders_export.csv").read_bytes()
MAX_BYTES = 10 * 1024 * 1024


@pytest.fixture()
def merchant_id() -> uuid.UUID:
    return sign_up("Lale Kozmetik", "upload@lalekozmetik.com", "correct horse battery").merchant_id


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small enough that chunk borders cut rows, quoted fields and two-byte letters (İ, ş).
    monkeypatch.setattr(order_imports, "CHUNK_BYTES", 97)


def start(merchant_id: uuid.UUID, data: bytes, max_bytes: int = MAX_BYTES) -> uuid.UUID:
    return order_imports.start_import(
        merchant_id, "owner@lalekozmetik.com", "orders.csv", io.BytesIO(data), max_bytes
    )


def job_row(import_id: uuid.UUID) -> tuple[object, ...]:
    return owner_sql(
        "SELECT status, format, rows_read, orders_imported, orders_skipped, problem_count, "
        "error FROM order_imports WHERE id = :id",
        id=import_id,
    )[0]


def chunk_count() -> object:
    return owner_sql("SELECT count(*) FROM order_import_chunks")[0][0]


def test_an_upload_is_stored_in_chunks_and_imported_by_a_worker(merchant_id: uuid.UUID) -> None:
    import_id = start(merchant_id, SHOPIFY_EXPORT)
    assert job_row(import_id)[:2] == ("queued", "shopify_export")
    assert chunk_count() == -(-len(SHOPIFY_EXPORT) // 97)
    assert owner_sql("SELECT count(*) FROM orders") == [(0,)]

    assert order_imports.run_import(merchant_id, import_id) == "done"

    assert job_row(import_id) == ("done", "shopify_export", 8, 3, 2, 4, None)
    names = owner_sql("SELECT name FROM orders ORDER BY name")
    assert names == [("#1001",), ("#1002",), ("#1005",)]
    problems = owner_sql("SELECT problems FROM order_imports")[0][0]
    assert {"row": 5, "field": "created at"}.items() <= problems[0].items()  # type: ignore[index]
    assert chunk_count() == 0  # the file is dropped once imported
    assert order_imports.run_import(merchant_id, import_id) is None  # done stays done


def test_the_same_file_uploaded_twice_changes_nothing_the_second_time(
    merchant_id: uuid.UUID,
) -> None:
    order_imports.run_import(merchant_id, start(merchant_id, SHOPIFY_EXPORT))
    before = owner_sql("SELECT id, updated_at FROM orders ORDER BY id")
    second = start(merchant_id, SHOPIFY_EXPORT)
    assert order_imports.run_import(merchant_id, second) == "done"
    assert owner_sql("SELECT id, updated_at FROM orders ORDER BY id") == before


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"colour,size\nred,M\n", "unknown_csv_format"),
        (SHOPIFY_EXPORT + b"\n#1009,\xff\xfe broken bytes\n", "not_utf8"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_and_nothing_is_stored(
    merchant_id: uuid.UUID, data: bytes, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        start(merchant_id, data)
    assert refused.value.code == code
    assert owner_sql("SELECT count(*) FROM order_imports") == [(0,)]
    assert chunk_count() == 0


def test_a_file_over_the_size_cap_is_refused_whole(merchant_id: uuid.UUID) -> None:
    with pytest.raises(InvalidInput) as refused:
        start(merchant_id, SHOPIFY_EXPORT, max_bytes=500)
    assert refused.value.code == "too_large"
    assert owner_sql("SELECT count(*) FROM order_imports") == [(0,)] and chunk_count() == 0


def test_progress_is_recorded_while_the_import_runs(
    merchant_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recete_app.backend.commerce import csv_import

    monkeypatch.setattr(csv_import, "BATCH_ORDERS", 1)
    seen: list[tuple[object, ...]] = []
    record = order_imports._progress

    def watching(import_id: uuid.UUID):  # type: ignore[no-untyped-def]
        inner = record(import_id)

        def progress(merchant: uuid.UUID, report: csv_import.ImportReport) -> None:
            inner(merchant, report)
            seen.append(job_row(import_id)[:4])

        return progress

    monkeypatch.setattr(order_imports, "_progress", watching)
    import_id = start(merchant_id, SHOPIFY_EXPORT)
    order_imports.run_import(merchant_id, import_id)
    assert seen[0][0] == "running"
    imported = [int(str(row[3])) for row in seen]
    assert imported == sorted(imported)  # only grows
    assert len(seen) >= 3


def test_an_import_whose_worker_died_is_resumed_and_finishes(merchant_id: uuid.UUID) -> None:
    import_id = start(merchant_id, SHOPIFY_EXPORT)
    owner_sql(
        "UPDATE order_imports SET status = 'running', heartbeat_at = :t",
        t=datetime.now(UTC) - timedelta(seconds=30),
    )
    assert order_imports.run_import(merchant_id, import_id) is None  # still alive: leave it
    assert ids_per_merchant(order_imports.imports_to_resume) == []

    owner_sql(
        "UPDATE order_imports SET heartbeat_at = :t", t=datetime.now(UTC) - timedelta(minutes=10)
    )
    assert ids_per_merchant(order_imports.imports_to_resume) == [(merchant_id, import_id)]
    assert order_imports.run_import(merchant_id, import_id) == "done"
    assert job_row(import_id)[3] == 3


def test_a_merchant_sees_only_their_own_imports(merchant_id: uuid.UUID) -> None:
    start(merchant_id, SHOPIFY_EXPORT)
    other = sign_up("Başka Mağaza", "owner@baskamagaza.com", "correct horse battery")
    with session_scope(other.merchant_id) as session:
        assert order_imports.recent_imports(session) == []
    with session_scope(merchant_id) as session:
        assert [job.filename for job in order_imports.recent_imports(session)] == ["orders.csv"]
