"""The generic order API: API-key auth, schema validation listing every bad field, idempotency."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.accounts.api_keys import create_key
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from tests.integration.commerce_fixtures import Shop, connect_shop, process_pending
from tests.support import fixture_json, owner_sql

URL = "/webhooks/commerce/api"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def merchant() -> tuple[Shop, dict[str, str]]:
    shop = connect_shop()
    with session_scope(shop.merchant_id) as session:
        key = create_key(session, "test", "orders").key
    return shop, {"X-Api-Key": key}


def event(**order_changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(fixture_json("api", "order_created.json"))
    body["order"].update(order_changes)
    return body


def test_order_events_build_the_order_and_its_delivery(
    client: TestClient, merchant: tuple[Shop, dict[str, str]]
) -> None:
    shop, auth = merchant
    created = client.post(URL, json=event(), headers=auth)
    assert created.status_code == 202 and created.json() == {"status": "accepted"}
    delivered = {
        "id": "evt_2",
        "type": "order.delivered",
        "occurred_at": "2026-11-05T12:00:00+03:00",
        "order": {"id": "SO-77812"},
    }
    assert client.post(URL, json=delivered, headers=auth).status_code == 202
    assert process_pending(shop.merchant_id) == ["processed", "processed"]
    order = owner_sql("SELECT name, source, delivered_at, delivery_estimated FROM orders")
    assert order[0][:2] == ("#77812", "api")
    delivered_at = order[0][2]
    assert isinstance(delivered_at, datetime)
    assert delivered_at.isoformat() == "2026-11-05T09:00:00+00:00"
    assert order[0][3] is False
    assert owner_sql("SELECT consent_state FROM customers") == [("opted_in",)]
    assert owner_sql("SELECT source FROM consent_events") == [("api",)]
    assert owner_sql("SELECT name FROM domain_events") == [("order.delivered",)]


def test_the_same_event_id_is_stored_once(
    client: TestClient, merchant: tuple[Shop, dict[str, str]]
) -> None:
    _shop, auth = merchant
    assert client.post(URL, json=event(), headers=auth).json() == {"status": "accepted"}
    assert client.post(URL, json=event(), headers=auth).json() == {"status": "duplicate"}
    assert owner_sql("SELECT count(*) FROM external_events") == [(1,)]


def test_every_bad_field_is_listed(
    client: TestClient, merchant: tuple[Shop, dict[str, str]]
) -> None:
    _, auth = merchant
    body = event(currency="LIRA", total_price="-5")
    body["type"] = "order.teleported"
    body["order"]["line_items"][0]["quantity"] = "many"
    del body["occurred_at"]
    response = client.post(URL, json=body, headers=auth)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {
        "type",
        "occurred_at",
        "order.currency",
        "order.total_price",
        "order.line_items.0.quantity",
    }
    assert owner_sql("SELECT count(*) FROM external_events") == [(0,)]


def test_without_a_valid_api_key_nothing_is_stored(client: TestClient) -> None:
    connect_shop()
    for headers in ({}, {"X-Api-Key": "gg_live_" + "x" * 43}):
        response = client.post(URL, json=event(), headers=headers)
        assert response.status_code == 401
    assert owner_sql("SELECT count(*) FROM external_events") == [(0,)]


def test_malformed_json_is_400(client: TestClient, merchant: tuple[Shop, dict[str, str]]) -> None:
    _, auth = merchant
    response = client.post(
        URL, content=b'{"id": ', headers={**auth, "content-type": "application/json"}
    )
    assert response.status_code == 400
