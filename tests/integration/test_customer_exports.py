"""A customer with a long history is exported by a worker, not inside the request: the API
answers 202 with the queued export, a worker makes it (stored encrypted), and it can be
downloaded for 7 days. Asking again while it is made returns the same export; erasing the
customer deletes it; another store's export is not found; retention deletes old ones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.models import CustomerExport
from recete_app.backend.services import customer_exports, retention
from recete_app.backend.services.sandbox import write_as_customer
from recete_app.cli import main
from tests.integration.api_helpers import Store, sign_up
from tests.integration.journey_fixtures import deliver
from tests.support import owner_sql

AYSE = "+905321234567"
OWNER = "owner@lalekozmetik.com"


@pytest.fixture(autouse=True)
def small_inline_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ayşe's history (an order, a planned journey, a conversation) counts as large here."""
    monkeypatch.setenv("RECETE_EXPORT_INLINE_MAX_ROWS", "2")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("RECETE_EXPORT_INLINE_MAX_ROWS")
    get_settings.cache_clear()


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def store(client: TestClient) -> Store:
    return sign_up(client, "Lale Kozmetik", OWNER)


@pytest.fixture()
def ayse(store: Store) -> uuid.UUID:
    deliver(
        store.merchant_id,
        datetime.now(UTC) - timedelta(days=1),
        order="1001",
        phone=AYSE,
        customer="c-ayse",
        email="ayse@example.com",
    )
    write_as_customer(store.merchant_id, AYSE, "How do I use the toner?")
    write_as_customer(store.merchant_id, AYSE, "And at night?")
    return uuid.UUID(str(owner_sql("SELECT id FROM customers")[0][0]))


def _queued(client: TestClient, store: Store, customer_id: uuid.UUID) -> dict[str, str]:
    response = client.get(f"/api/customers/{customer_id}/export", headers=store.auth)
    assert response.status_code == 202, response.text
    body: dict[str, str] = response.json()
    assert response.headers["location"] == body["url"] == f"/api/customer-exports/{body['id']}"
    return body


def _made(store: Store, export_id: str) -> None:
    assert customer_exports.make_export(store.merchant_id, uuid.UUID(export_id)) == "done"


def test_a_large_export_is_queued_made_by_a_worker_and_downloaded(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    queued = _queued(client, store, ayse)
    assert queued["status"] == "queued" and queued["download_url"] is None
    assert owner_sql("SELECT count(*) FROM audit_log WHERE action = 'customer.exported'") == [(0,)]

    _made(store, queued["id"])
    status = client.get(queued["url"], headers=store.auth).json()
    assert status["status"] == "done" and status["size_bytes"] > 0
    assert status["expires_at"] is not None
    downloaded = client.get(status["download_url"], headers=store.auth)
    assert downloaded.status_code == 200
    assert (
        downloaded.headers["content-disposition"] == f'attachment; filename="customer-{ayse}.json"'
    )
    document = downloaded.json()
    assert document["format"] == "recete.customer_export.v1"
    assert document["customer"]["phone"] == AYSE
    assert len(document["conversations"][0]["messages"]) >= 2
    audited = owner_sql("SELECT action, actor, target FROM audit_log ORDER BY created_at")
    exported = [row for row in audited if row[0].startswith("customer.export")]
    assert [(a, t) for a, _actor, t in exported] == [
        ("customer.exported", str(ayse)),
        ("customer.export_downloaded", str(ayse)),
    ]
    assert all(actor.startswith("account:") for _a, actor, _t in exported)


def test_the_document_is_stored_encrypted(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    queued = _queued(client, store, ayse)
    _made(store, queued["id"])
    [(document,)] = owner_sql("SELECT document FROM customer_exports")
    stored = str(document)
    assert (
        stored.startswith("v1.")
        and AYSE not in stored
        and "ayse@example.com" not in stored
        and "toner" not in stored
    )


def test_asking_again_while_it_is_made_returns_it_and_spends_no_budget(
    store: Store, ayse: uuid.UUID
) -> None:
    settings = get_settings().model_copy(update={"rate_limit_exports_per_hour": 1})
    with TestClient(create_api(settings), raise_server_exceptions=False) as limited:
        first = _queued(limited, store, ayse)
        again = _queued(limited, store, ayse)
        assert again["id"] == first["id"]
        _made(store, first["id"])
        after = limited.get(f"/api/customers/{ayse}/export", headers=store.auth)
    assert after.status_code == 429  # a new export once the first is made spends the budget
    assert owner_sql("SELECT count(*) FROM customer_exports") == [(1,)]


def test_a_request_racing_another_gets_the_export_already_queued(
    store: Store, ayse: uuid.UUID
) -> None:
    person = Principal(store.merchant_id, "account:racer")
    first = customer_exports.request_export(person, ayse).queued
    assert first is not None
    with session_scope(store.merchant_id) as session:
        queued, created = customer_exports._queue(session, person, ayse)  # the index refuses
        assert (queued.id, created) == (first.id, False)


def test_a_download_before_it_is_made_is_a_conflict(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    queued = _queued(client, store, ayse)
    early = client.get(f"{queued['url']}/download", headers=store.auth)
    assert early.status_code == 409 and early.json()["error"]["code"] == "export_not_ready"
    assert owner_sql(
        "SELECT count(*) FROM audit_log WHERE action = 'customer.export_downloaded'"
    ) == [(0,)]


def test_a_worker_that_died_mid_export_is_resumed_and_made_once(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    queued = _queued(client, store, ayse)
    export_id = uuid.UUID(queued["id"])
    stale = datetime.now(UTC) - timedelta(minutes=10)
    owner_sql(
        "UPDATE customer_exports SET status = 'running', started_at = :t, heartbeat_at = :t",
        t=stale,
    )
    with session_scope(store.merchant_id) as session:
        assert customer_exports.exports_to_resume(session) == [export_id]
    _made(store, queued["id"])
    assert customer_exports.make_export(store.merchant_id, export_id) is None  # done already
    assert owner_sql("SELECT count(*) FROM audit_log WHERE action = 'customer.exported'") == [(1,)]


def test_erasing_the_customer_deletes_their_exports(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    queued = _queued(client, store, ayse)
    _made(store, queued["id"])
    assert client.delete(f"/api/customers/{ayse}", headers=store.auth).status_code == 200
    assert owner_sql("SELECT count(*) FROM customer_exports") == [(0,)]
    assert client.get(queued["url"], headers=store.auth).status_code == 404
    assert client.get(f"{queued['url']}/download", headers=store.auth).status_code == 404


def test_an_export_queued_for_a_customer_erased_before_it_is_made_makes_nothing(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    queued = _queued(client, store, ayse)
    assert client.delete(f"/api/customers/{ayse}", headers=store.auth).status_code == 200
    assert customer_exports.make_export(store.merchant_id, uuid.UUID(queued["id"])) is None


def test_another_stores_export_is_not_found(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    queued = _queued(client, store, ayse)
    _made(store, queued["id"])
    other = sign_up(client, "Başka Mağaza", "owner@baska.com")
    for path in (
        queued["url"],
        f"{queued['url']}/download",
        f"/api/customer-exports?customer_id={ayse}",
    ):
        assert client.get(path, headers=other.auth).status_code == 404, path
    assert client.get("/api/customer-exports/not-an-id", headers=store.auth).status_code == 422
    assert owner_sql(
        "SELECT count(*) FROM audit_log WHERE action = 'customer.export_downloaded'"
    ) == [(0,)]


def test_the_customers_exports_are_listed_newest_first(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    first = _queued(client, store, ayse)
    _made(store, first["id"])
    second = _queued(client, store, ayse)
    listed = client.get(f"/api/customer-exports?customer_id={ayse}", headers=store.auth)
    assert [e["id"] for e in listed.json()["exports"]] == [second["id"], first["id"]]
    assert [e["status"] for e in listed.json()["exports"]] == ["queued", "done"]


def test_retention_deletes_exports_after_seven_days(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    old, recent = _queued(client, store, ayse), None
    _made(store, old["id"])
    owner_sql(
        "UPDATE customer_exports SET created_at = :t",
        t=datetime.now(UTC) - timedelta(days=7, minutes=1),
    )
    assert client.get(old["url"], headers=store.auth).status_code == 404  # expired already
    recent = _queued(client, store, ayse)
    swept = retention.apply_retention(store.merchant_id)
    assert swept.customer_exports == 1
    with session_scope(store.merchant_id) as session:
        kept = session.exec(select(CustomerExport.id)).all()
    assert [str(export_id) for export_id in kept] == [recent["id"]]


def test_the_cli_makes_a_large_export_itself(
    store: Store, ayse: uuid.UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["customer", "export", "--merchant", OWNER, "--phone", AYSE]) == 0
    assert '"recete.customer_export.v1"' in capsys.readouterr().out
    assert owner_sql("SELECT count(*) FROM customer_exports") == [(0,)]


def test_an_export_that_cannot_be_made_is_marked_failed_not_retried_forever(
    client: TestClient, store: Store, ayse: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = _queued(client, store, ayse)

    def broken(*_args: object) -> dict[str, object]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(customer_exports, "customer_record", broken)
    with pytest.raises(RuntimeError):
        customer_exports.make_export(store.merchant_id, uuid.UUID(queued["id"]))
    status = client.get(queued["url"], headers=store.auth).json()
    assert status["status"] == "failed" and "the database went away" in status["error"]
    with session_scope(store.merchant_id) as session:
        assert customer_exports.exports_to_resume(session) == []
    assert _queued(client, store, ayse)["id"] != queued["id"]  # a new one may be asked for


def test_the_cli_makes_its_own_export_while_another_is_queued(
    client: TestClient, store: Store, ayse: uuid.UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    _queued(client, store, ayse)
    assert main(["customer", "export", "--merchant", OWNER, "--phone", AYSE]) == 0
    assert '"recete.customer_export.v1"' in capsys.readouterr().out  # not "null"


class TimeLimit(BaseException):
    """As Dramatiq's time limit is raised: not an Exception."""


def test_an_export_stopped_by_the_queues_time_limit_is_marked_failed(
    client: TestClient, store: Store, ayse: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = _queued(client, store, ayse)

    def too_long(*_args: object) -> dict[str, object]:
        raise TimeLimit()

    monkeypatch.setattr(customer_exports, "customer_record", too_long)
    with pytest.raises(TimeLimit):
        customer_exports.make_export(store.merchant_id, uuid.UUID(queued["id"]))
    assert client.get(queued["url"], headers=store.auth).json()["status"] == "failed"
