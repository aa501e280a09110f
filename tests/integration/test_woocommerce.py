"""WooCommerce: the webhook receiver (ping, signature, topics) and the REST product import."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from recete_app.backend import integrations
from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.commerce.catalogue import import_catalogue
from recete_app.backend.commerce.woocommerce.client import WooCommerceError
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from tests.integration.commerce_fixtures import process_pending
from tests.support import fixture_bytes, fixture_json, owner_sql

SECRET = "wc-webhook-secret-42"
STORE = "https://shop.example.com"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def store() -> tuple[uuid.UUID, uuid.UUID]:
    merchant = sign_up("Ankara Güzellik", "owner@ankaraguzellik.com", "correct horse battery")
    with session_scope(merchant.merchant_id) as session:
        row = integrations.connect(
            session,
            "test",
            "woocommerce",
            STORE,
            {"webhook_secret": SECRET, "consumer_key": "ck_test", "consumer_secret": "cs_test"},
        )
        return merchant.merchant_id, row.id


def post(
    client: TestClient,
    integration_id: uuid.UUID,
    topic: str,
    body: bytes,
    secret: str = SECRET,
    delivery: str | None = None,
) -> Any:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": STORE + "/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": signature.decode(),
        "X-WC-Webhook-ID": "17",
        "X-WC-Webhook-Delivery-ID": delivery or uuid.uuid4().hex,
    }
    return client.post(
        f"/webhooks/commerce/woocommerce/{integration_id}", content=body, headers=headers
    )


def test_the_creation_ping_is_answered_and_stores_nothing(
    client: TestClient, store: tuple[uuid.UUID, uuid.UUID]
) -> None:
    response = client.post(
        f"/webhooks/commerce/woocommerce/{store[1]}",
        content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert owner_sql("SELECT count(*) FROM external_events") == [(0,)]


def test_orders_flow_from_processing_to_completed(
    client: TestClient, store: tuple[uuid.UUID, uuid.UUID]
) -> None:
    merchant_id, integration_id = store
    order = fixture_json("woocommerce", "order_created.json")
    assert post(client, integration_id, "order.created", json.dumps(order).encode()).json() == {
        "status": "accepted"
    }
    completed = copy.deepcopy(order)
    completed.update(
        status="completed",
        date_modified_gmt="2026-11-03T08:00:00",
        date_completed_gmt="2026-11-03T08:00:00",
    )
    post(client, integration_id, "order.updated", json.dumps(completed).encode())
    assert process_pending(merchant_id) == ["processed", "processed"]
    row = owner_sql(
        "SELECT name, source, fulfilled_at, delivered_at, delivery_estimated FROM orders"
    )
    assert row[0][:2] == ("#7281", "woocommerce")
    assert str(row[0][2]) == "2026-11-03 08:00:00+00:00"
    assert str(row[0][3]) == "2026-11-06 08:00:00+00:00" and row[0][4] is True
    customer = owner_sql("SELECT first_name, consent_state, phone_index IS NOT NULL FROM customers")
    assert customer == [("Zeynep", "opted_in", True)]


def test_bad_signature_is_401_and_unknown_integration_404(
    client: TestClient, store: tuple[uuid.UUID, uuid.UUID]
) -> None:
    body = fixture_bytes("woocommerce", "order_created.json")
    assert post(client, store[1], "order.created", body, secret="wrong").status_code == 401
    assert post(client, uuid.uuid4(), "order.created", body).status_code == 404
    assert client.post("/webhooks/commerce/woocommerce/not-a-uuid", content=body).status_code == 422
    assert owner_sql("SELECT count(*) FROM external_events") == [(0,)]


def test_a_redelivered_delivery_id_is_stored_once(
    client: TestClient, store: tuple[uuid.UUID, uuid.UUID]
) -> None:
    body = fixture_bytes("woocommerce", "order_created.json")
    post(client, store[1], "order.created", body, delivery="d-1")
    assert post(client, store[1], "order.created", body, delivery="d-1").json() == {
        "status": "duplicate"
    }


def test_product_webhooks_keep_the_catalogue(
    client: TestClient, store: tuple[uuid.UUID, uuid.UUID]
) -> None:
    merchant_id, integration_id = store
    post(client, integration_id, "product.updated", fixture_bytes("woocommerce", "product.json"))
    process_pending(merchant_id)
    rows = owner_sql("SELECT title, description, url FROM products")
    assert rows[0][0] == "Hyaluronic Acid Serum"
    assert "Hydrating serum with 2% hyaluronic acid." in str(rows[0][1])
    # The store's "How to use" heading made a section of its own, indexed with the rest.
    assert owner_sql("SELECT section, body FROM product_sections") == [
        ("how_to_use", "Apply 2-3 drops to damp skin, morning and evening.")
    ]
    assert owner_sql("SELECT count(*) FROM knowledge_chunks") == [(2,)]
    post(client, integration_id, "product.deleted", b'{"id": 1203}')
    process_pending(merchant_id)
    assert owner_sql("SELECT count(*) FROM products") == [(0,)]


def _woo_store(pages: list[list[dict[str, Any]]], seen: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(
            200,
            json=pages[page - 1],
            headers={"X-WP-Total": str(sum(map(len, pages))), "X-WP-TotalPages": str(len(pages))},
        )

    return httpx.MockTransport(answer)


def test_catalogue_import_reads_every_page_with_basic_auth(
    store: tuple[uuid.UUID, uuid.UUID],
) -> None:
    product = fixture_json("woocommerce", "product.json")
    pages = [
        [{**product, "id": n, "name": f"Product {n}"} for n in range(1, 101)],
        [{**product, "id": 101, "name": "Product 101"}],
    ]
    seen: list[httpx.Request] = []
    assert import_catalogue(*store, transport=_woo_store(pages, seen)) == 101
    assert [r.url.path for r in seen] == ["/wp-json/wc/v3/products"] * 2
    assert seen[0].url.params["per_page"] == "100"
    assert (
        seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"ck_test:cs_test").decode()
    )
    assert owner_sql("SELECT count(*) FROM products") == [(101,)]
    assert import_catalogue(*store, transport=_woo_store(pages, [])) == 101
    assert owner_sql("SELECT count(*) FROM products") == [(101,)]


def test_catalogue_import_error_is_shown_on_the_integration(
    store: tuple[uuid.UUID, uuid.UUID],
) -> None:
    refused = httpx.MockTransport(
        lambda request: httpx.Response(
            401,
            json={
                "code": "woocommerce_rest_cannot_view",
                "message": "Sorry, you cannot list resources.",
                "data": {"status": 401},
            },
        )
    )
    with pytest.raises(WooCommerceError) as caught:
        import_catalogue(*store, transport=refused)
    assert caught.value.code == "woocommerce_rest_cannot_view"
    assert owner_sql("SELECT last_error FROM integrations") == [
        ("WooCommerce answered 401: Sorry, you cannot list resources.",)
    ]
