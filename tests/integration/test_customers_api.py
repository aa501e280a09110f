"""/api/customers: find a customer, read their whole record, export it, erase them, and record
their consent by hand. Erasing one customer touches no other customer's rows; erasing twice
erases once; another store's customer is 404 on every route and nothing of theirs changes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.config import get_settings
from recete_app.backend.http.app import create_api
from recete_app.backend.intake import erasure
from recete_app.backend.intake.events import event_payload_text, store_event
from recete_app.backend.models import ExternalEvent
from recete_app.backend.services import retention
from recete_app.backend.services.sandbox import write_as_customer
from tests.integration.api_helpers import Store, fields_named, key_headers, sign_up
from tests.integration.journey_fixtures import deliver
from tests.support import owner_sql

AYSE = "+905321234567"
MEHMET = "+905339876543"
PER_CUSTOMER = (
    "SELECT (SELECT count(*) FROM conversations WHERE customer_id = :c), "
    "(SELECT count(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id "
    " WHERE v.customer_id = :c), "
    "(SELECT count(*) FROM consent_events WHERE customer_id = :c), "
    "(SELECT count(*) FROM scheduled_messages WHERE customer_id = :c), "
    "(SELECT count(*) FROM orders WHERE customer_id = :c)"
)


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def store(client: TestClient) -> Store:
    return sign_up(client, "Lale Kozmetik", "owner@lalekozmetik.com")


def _customer(
    store: Store, phone: str, order: str, first_name: str, ref: str, email: str | None = None
) -> uuid.UUID:
    """A customer with a delivered order, a planned journey and a conversation."""
    deliver(
        store.merchant_id,
        datetime.now(UTC) - timedelta(days=1),
        order=order,
        phone=phone,
        first_name=first_name,
        customer=ref,
        email=email,
    )
    write_as_customer(store.merchant_id, phone, "How do I use the toner?")
    rows = owner_sql("SELECT id FROM customers WHERE external_id = :r", r=ref)
    return uuid.UUID(str(rows[0][0]))


@pytest.fixture()
def ayse(store: Store) -> uuid.UUID:
    return _customer(store, AYSE, "1001", "Ayşe", "c-ayse", email="Ayse@Example.com")


@pytest.fixture()
def mehmet(store: Store) -> uuid.UUID:
    return _customer(store, MEHMET, "1002", "Mehmet", "c-mehmet")


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["customers"]]


def test_customers_are_found_by_name_or_part_of_a_phone_and_paged(
    client: TestClient, store: Store, ayse: uuid.UUID, mehmet: uuid.UUID
) -> None:
    everyone = client.get("/api/customers", headers=store.auth)
    assert _ids(everyone) == [str(mehmet), str(ayse)]  # newest first
    first = everyone.json()["customers"][1]
    assert (first["name"], first["phone"], first["orders"]) == ("Ayşe", "+90 532 *** 45 67", 1)
    assert _ids(client.get("/api/customers", params={"q": "ayşe"}, headers=store.auth)) == [
        str(ayse)
    ]
    by_part = client.get("/api/customers", params={"q": "987 65"}, headers=store.auth)
    assert _ids(by_part) == [str(mehmet)]

    by_email = client.get("/api/customers", params={"q": " AYSE@example.com "}, headers=store.auth)
    assert _ids(by_email) == [str(ayse)]  # a whole email, any case

    page = client.get("/api/customers", params={"limit": 1}, headers=store.auth).json()
    rest = client.get(
        "/api/customers", params={"limit": 1, "cursor": page["next_cursor"]}, headers=store.auth
    ).json()
    assert [c["id"] for c in page["customers"] + rest["customers"]] == [str(mehmet), str(ayse)]
    assert rest["next_cursor"] is None
    bad = client.get("/api/customers", params={"cursor": "nonsense"}, headers=store.auth)
    assert fields_named(bad) == {"cursor"}


def test_a_customers_record_has_orders_messages_journeys_and_consent(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    conversation = owner_sql("SELECT id FROM conversations WHERE customer_id = :c", c=ayse)[0][0]
    taken = client.post(f"/api/conversations/{conversation}/take-over", headers=store.auth)
    assert taken.status_code == 200, taken.text
    response = client.get(f"/api/customers/{ayse}", headers=store.auth)
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["customer"]["phone"] == AYSE
    assert [o["name"] for o in record["orders"]] == ["#1001"]
    assert record["orders"][0]["items"][0]["title"] == "Gül Suyu Tonik"
    bodies = [m["body"] for c in record["conversations"] for m in c["messages"]]
    assert "How do I use the toner?" in bodies
    assert {s["kind"] for s in record["scheduled_messages"]} == {"journey_step", "text_reply"}
    assert [c["state"] for c in record["consent_log"]] == ["opted_in"]
    # Audit entries about what is theirs, not only about them: here, their conversation.
    assert "conversation.taken_over" in {a["action"] for a in record["audit"]}


def test_an_export_is_a_file_with_everything_and_is_audited_without_its_contents(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    response = client.get(f"/api/customers/{ayse}/export", headers=store.auth)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert document["format"] == "recete.customer_export.v1" and document["exported_at"]
    assert document["customer"]["phone"] == AYSE
    audited = owner_sql(
        "SELECT action, target, details::text FROM audit_log WHERE action = 'customer.exported'"
    )
    assert [(a, t) for a, t, _ in audited] == [("customer.exported", str(ayse))]
    assert AYSE not in str(audited[0][2])


def test_exports_are_rate_limited_per_store(
    store: Store, ayse: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings().model_copy(update={"rate_limit_exports_per_hour": 2})
    with TestClient(create_api(settings), raise_server_exceptions=False) as limited:
        codes = [
            limited.get(f"/api/customers/{ayse}/export", headers=store.auth).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 429]


def test_erasing_a_customer_keeps_their_orders_anonymous_and_touches_no_one_else(
    client: TestClient, store: Store, ayse: uuid.UUID, mehmet: uuid.UUID
) -> None:
    mehmet_before = owner_sql(PER_CUSTOMER, c=mehmet)
    assert all(int(str(n)) > 0 for n in mehmet_before[0])
    consent = {"state": "opted_out", "reason": "Asked by phone"}
    assert client.put(f"/api/customers/{ayse}/consent", json=consent, headers=store.auth).is_success

    response = client.delete(f"/api/customers/{ayse}", headers=store.auth)

    assert response.status_code == 200, response.text
    assert response.json()["erased"] is True
    assert owner_sql("SELECT count(*) FROM customers WHERE id = :c", c=ayse) == [(0,)]
    assert owner_sql(PER_CUSTOMER, c=ayse) == [(0, 0, 0, 0, 0)]
    assert owner_sql("SELECT customer_id FROM orders WHERE name = '#1001'") == [(None,)]
    assert owner_sql(PER_CUSTOMER, c=mehmet) == mehmet_before
    bodies = owner_sql("SELECT count(*) FROM messages WHERE body LIKE '%toner%'")
    assert bodies == [(1,)]  # Mehmet's question only

    audits = "SELECT count(*) FROM audit_log WHERE action = 'customer.erased'"
    reasons = owner_sql("SELECT details::text FROM audit_log WHERE target = :c", c=str(ayse))
    assert "Asked by phone" not in str(reasons)
    assert owner_sql(audits) == [(1,)]
    again = client.delete(f"/api/customers/{ayse}", headers=store.auth)
    assert again.status_code == 404
    assert owner_sql(audits) == [(1,)]


def test_consent_is_recorded_by_hand_with_a_reason_and_who_did_it(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    url = f"/api/customers/{ayse}/consent"
    changed = client.put(
        url, json={"state": "opted_out", "reason": "Asked by phone"}, headers=store.auth
    )
    assert changed.status_code == 200, changed.text
    consent = changed.json()
    assert consent["state"] == "opted_out"
    last = consent["log"][-1]
    assert last["source"].startswith("merchant:account:")
    assert last["details"] == {"reason": "Asked by phone"}
    assert client.get(url, headers=store.auth).json() == consent
    audited = owner_sql(
        "SELECT actor, details->>'reason' FROM audit_log WHERE target = :c", c=str(ayse)
    )
    assert [(str(a).startswith("account:"), r) for a, r in audited] == [(True, "Asked by phone")]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"state": "maybe", "reason": "x"}, {"state"}),
        ({"state": "opted_in", "reason": ""}, {"reason"}),
        ({"state": "opted_in"}, {"reason"}),
        ({"state": "opted_in", "reason": "x", "by": "me"}, {"by"}),
    ],
)
def test_bad_consent_names_the_field_and_changes_nothing(
    client: TestClient, store: Store, ayse: uuid.UUID, body: dict[str, str], fields: set[str]
) -> None:
    before = owner_sql("SELECT consent_state, consent_updated_at FROM customers")
    response = client.put(f"/api/customers/{ayse}/consent", json=body, headers=store.auth)
    assert fields_named(response) == fields
    assert owner_sql("SELECT consent_state, consent_updated_at FROM customers") == before


def test_another_stores_customer_is_not_found_on_every_route(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    other = sign_up(client, "Başka Mağaza", "owner@baskamagaza.com")
    before = owner_sql(PER_CUSTOMER, c=ayse)
    for method, path, body in (
        ("GET", "", None),
        ("GET", "/export", None),
        ("GET", "/consent", None),
        ("PUT", "/consent", {"state": "opted_out", "reason": "no"}),
        ("DELETE", "", None),
    ):
        response = client.request(
            method, f"/api/customers/{ayse}{path}", json=body, headers=other.auth
        )
        assert response.status_code == 404, (method, path, response.text)
        assert AYSE not in response.text
    assert client.get("/api/customers", headers=other.auth).json()["customers"] == []
    assert owner_sql(PER_CUSTOMER, c=ayse) == before
    assert client.get(f"/api/customers/{uuid.uuid4()}", headers=store.auth).status_code == 404


def test_customers_need_an_admin_key_or_a_person(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    assert client.get("/api/customers").status_code == 401
    orders_only = key_headers(client, store, ["orders:write"])
    assert client.get("/api/customers", headers=orders_only).status_code == 403
    assert client.delete(f"/api/customers/{ayse}", headers=orders_only).status_code == 403
    assert owner_sql("SELECT count(*) FROM customers WHERE id = :c", c=ayse) == [(1,)]


def test_a_customer_whose_phone_no_longer_decrypts_is_still_listed_exported_and_erased(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    # Its key was retired: the customer's rights do not depend on it.
    owner_sql(
        "UPDATE customers SET phone_encrypted = 'v1.gonekey.AAAAAAAAAAAAAAAAAAAAAAAAAAAA' "
        "WHERE id = :c",
        c=ayse,
    )
    listed = client.get("/api/customers", headers=store.auth)
    assert listed.json()["customers"][0]["phone"] == ""
    exported = client.get(f"/api/customers/{ayse}/export", headers=store.auth)
    assert exported.status_code == 200 and exported.json()["customer"]["phone"] is None
    erased = client.delete(f"/api/customers/{ayse}", headers=store.auth)
    assert erased.status_code == 200, erased.text
    assert owner_sql("SELECT count(*) FROM customers WHERE id = :c", c=ayse) == [(0,)]


def test_a_webhook_naming_the_customer_still_to_be_processed_cannot_bring_them_back(
    client: TestClient, store: Store, ayse: uuid.UUID
) -> None:
    from recete_app.backend.services.webhook_processing import process_stored_event

    waiting = store_event(
        store.merchant_id,
        provider="whatsapp",
        external_id="wamid.waiting-1",
        topic="messages",
        raw_body='{"from": "905321234567", "text": "hello again"}',
        headers={},
    )
    assert waiting is not None
    assert client.delete(f"/api/customers/{ayse}", headers=store.auth).status_code == 200

    status, error = owner_sql("SELECT status, error FROM external_events WHERE id = :i", i=waiting)[
        0
    ]
    assert status == "ignored" and "privacy" in str(error)
    process_stored_event(store.merchant_id, waiting)
    assert owner_sql("SELECT count(*) FROM customers WHERE first_name = 'Ayşe'") == [(0,)]


def test_an_erasure_reads_only_the_webhook_bodies_not_blanked_already(
    client: TestClient, store: Store, ayse: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each stored body is decrypted to look for the person: the ones retention (or an earlier
    erasure) blanked are skipped, so an erasure reads about a month of webhooks, not all."""
    for n in range(3):
        store_event(
            store.merchant_id,
            provider="api",
            external_id=f"old-{n}",
            topic="order.created",
            raw_body='{"phone": "+905321234567"}',
            headers={},
            status="processed",
        )
    owner_sql("UPDATE external_events SET received_at = now() - interval '40 days'")
    retention.apply_retention(store.merchant_id)
    read: list[uuid.UUID] = []

    def reading(event: ExternalEvent) -> str:
        read.append(event.id)
        return event_payload_text(event)

    monkeypatch.setattr(erasure, "event_payload_text", reading)
    assert client.delete(f"/api/customers/{ayse}", headers=store.auth).status_code == 200
    assert read == []
