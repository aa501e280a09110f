"""A NUL character (U+0000) in any text input is a 422 naming the field, never a 500.

PostgreSQL text cannot hold NUL, so each of these routes used to fail at the insert or the
query, and the error log line carried the statement's parameters (a whole webhook body with
the customer's details). The signed webhook receivers still answer a bad signature with 401.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from recete_app.backend import db
from recete_app.backend.http.app import create_api
from tests.integration.commerce_fixtures import SHOP_SECRET, connect_shop
from tests.support import fixture_json, owner_sql, shopify_headers

OWNER = {"store_name": "Glow", "email": "owner@glowskin.com", "password": "correct horse battery"}
NUL = "\u0000"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def auth(client: TestClient) -> dict[str, str]:
    token = client.post("/api/auth/signup", json=OWNER).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert [d["field"] for d in error["details"]] == [field]
    assert "U+0000" in error["message"] and field in error["message"]


def test_a_nul_in_the_sign_up_store_name_is_refused_and_writes_nothing(client: TestClient) -> None:
    _refused(
        client.post("/api/auth/signup", json={**OWNER, "store_name": f"Glow{NUL}"}), "store_name"
    )
    assert owner_sql("SELECT count(*) FROM merchants") == [(0,)]


def test_a_nul_in_an_api_key_name_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/api/api-keys", json={"name": f"ci{NUL}"}, headers=auth)
    _refused(response, "name")
    assert owner_sql("SELECT count(*) FROM api_keys") == [(0,)]


def test_a_nul_in_sandbox_text_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    body = {"phone": "+905321234567", "text": f"hello{NUL}"}
    _refused(client.post("/api/sandbox/messages", json=body, headers=auth), "text")


def test_a_nul_in_an_inbox_reply_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    written = client.post(
        "/api/sandbox/messages", json={"phone": "+905321234567", "text": "hello"}, headers=auth
    )
    assert written.status_code == 200, written.text
    url = f"/api/conversations/{written.json()['conversation_id']}"
    assert client.post(f"{url}/take-over", headers=auth).status_code == 200
    _refused(client.post(f"{url}/reply", json={"text": f"hi{NUL}"}, headers=auth), "text")
    assert client.post(f"{url}/reply", json={"text": "hi"}, headers=auth).status_code == 200


def test_a_nul_in_the_conversation_search_is_refused(
    client: TestClient, auth: dict[str, str]
) -> None:
    _refused(client.get("/api/conversations", params={"q": f"Ay{NUL}"}, headers=auth), "q")


def test_a_nul_in_a_url_path_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    _refused(client.get(f"/api/conversations/{uuid.uuid4()}%00", headers=auth), "path")


def test_a_nul_in_a_generic_order_event_is_refused_and_stores_nothing(
    client: TestClient, auth: dict[str, str]
) -> None:
    key = client.post("/api/api-keys", json={"name": "shop"}, headers=auth).json()["key"]
    event = fixture_json("api", "order_created.json")
    event["id"] = f"evt{NUL}1"
    response = client.post("/webhooks/commerce/api", json=event, headers={"X-Api-Key": key})
    _refused(response, "id")
    event = fixture_json("api", "order_created.json")
    event["order"]["customer"]["first_name"] = f"Mehmet{NUL}"
    response = client.post("/webhooks/commerce/api", json=event, headers={"X-Api-Key": key})
    _refused(response, "order.customer.first_name")
    assert owner_sql("SELECT count(*) FROM external_events") == [(0,)]


def test_signed_receivers_still_answer_a_bad_signature_with_401(client: TestClient) -> None:
    connect_shop()
    raw = json.dumps({"id": 1, "note": f"x{NUL}"}).encode()
    headers = shopify_headers(raw, SHOP_SECRET + "-wrong", "orders/create")
    assert (
        client.post("/webhooks/commerce/shopify", content=raw, headers=headers).status_code == 401
    )
    whatsapp = client.post(
        "/webhooks/whatsapp",
        content=json.dumps({"entry": [{"id": "1", "text": NUL}]}).encode(),
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=00"},
    )
    assert whatsapp.status_code == 401
    woo = client.post(f"/webhooks/commerce/woocommerce/{uuid.uuid4()}", content=raw)
    assert woo.status_code == 404  # unknown store, as without the NUL
    assert owner_sql("SELECT count(*) FROM external_events") == [(0,)]


def test_a_failed_statement_never_shows_its_parameters(database_url: str) -> None:
    """The incident's shape: a NUL in one value, the whole body with the customer in another."""
    body = '{"customer": {"phone": "+905321234567"}}'
    for engine in (db.get_engine(), db.get_engine(owner=True)):
        with pytest.raises(sa.exc.DBAPIError) as failure, engine.connect() as conn:
            conn.execute(sa.text("SELECT :body, :note"), {"body": body, "note": f"x{NUL}"})
        assert "+905321234567" not in str(failure.value)
        assert "parameters hidden" in str(failure.value)
