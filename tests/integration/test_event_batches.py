"""Stored events are processed in batches per merchant: a burst costs one transaction, each
event's own queue message still hears what happened to it, and one bad event fails alone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event
from sqlmodel import col, select

from recete_app.backend.db import get_engine, session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.models import ExternalEvent
from recete_app.backend.services.webhook_processing import process_stored_event
from tests.integration.commerce_fixtures import SHOP_SECRET, Shop, connect_shop
from tests.support import fixture_json, owner_sql, shopify_headers


@pytest.fixture()
def shop() -> Shop:
    return connect_shop()


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def post_order(client: TestClient, order_id: int) -> None:
    payload = fixture_json("shopify", "orders_create.json")
    payload.update(id=order_id, name=f"#{order_id}")
    post(client, "orders/create", json.dumps(payload).encode())


def post(client: TestClient, topic: str, body: bytes) -> None:
    headers = shopify_headers(body, SHOP_SECRET, topic)
    response = client.post("/webhooks/commerce/shopify", content=body, headers=headers)
    assert response.status_code == 200


def stored_ids(merchant_id: uuid.UUID) -> list[uuid.UUID]:
    with session_scope(merchant_id) as session:
        return list(
            session.exec(select(ExternalEvent.id).order_by(col(ExternalEvent.received_at))).all()
        )


def order_names() -> list[str]:
    return sorted(str(row[0]) for row in owner_sql("SELECT name FROM orders"))


@pytest.fixture()
def commits() -> Iterator[list[int]]:
    """How many transactions the application engine commits from now on."""
    counted = [0]

    def count(_conn: object) -> None:
        counted[0] += 1

    sa_event.listen(get_engine(), "commit", count)
    yield counted
    sa_event.remove(get_engine(), "commit", count)


def test_a_burst_is_processed_in_one_transaction_and_each_message_hears_its_outcome(
    client: TestClient, shop: Shop, commits: list[int]
) -> None:
    for order_id in (101, 102, 103):
        post_order(client, order_id)
    first, second, third = stored_ids(shop.merchant_id)
    commits[0] = 0

    assert process_stored_event(shop.merchant_id, first) == "processed"

    assert commits[0] == 1
    assert order_names() == ["#101", "#102", "#103"]
    assert {r[0] for r in owner_sql("SELECT status FROM external_events")} == {"processed"}
    # The later messages cost no transaction: the batch told them; asking twice finds it done.
    assert process_stored_event(shop.merchant_id, second) == "processed"
    assert process_stored_event(shop.merchant_id, third) == "processed"
    assert commits[0] == 1
    assert process_stored_event(shop.merchant_id, third) == "skipped"


def test_one_bad_event_in_a_batch_fails_alone_and_the_rest_are_processed(
    client: TestClient, shop: Shop
) -> None:
    post_order(client, 201)
    post(client, "refunds/create", b'{"id": 1, "order_id": null}')
    post_order(client, 202)
    good, bad, other = stored_ids(shop.merchant_id)

    assert process_stored_event(shop.merchant_id, good) == "processed"

    assert order_names() == ["#201", "#202"]
    statuses = {row[0]: row[1] for row in owner_sql("SELECT id, status FROM external_events")}
    assert statuses == {good: "processed", bad: "failed", other: "processed"}
    # The failure is not remembered as done: its own message tries it again (and fails again).
    assert process_stored_event(shop.merchant_id, bad) == "failed"
    assert owner_sql("SELECT attempts FROM external_events WHERE id = :id", id=bad) == [(2,)]


def test_a_failed_event_waits_for_its_retry_and_is_not_swept_into_other_batches(
    client: TestClient, shop: Shop
) -> None:
    post(client, "refunds/create", b'{"id": 1, "order_id": null}')
    (bad,) = stored_ids(shop.merchant_id)
    assert process_stored_event(shop.merchant_id, bad) == "failed"
    post_order(client, 301)
    newer = stored_ids(shop.merchant_id)[-1]

    assert process_stored_event(shop.merchant_id, newer) == "processed"

    assert owner_sql("SELECT attempts FROM external_events WHERE id = :id", id=bad) == [(1,)]
