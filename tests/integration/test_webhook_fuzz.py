"""Thousands of random bodies and headers at each receiver: never a 500, and never a stored row
without a valid signature (or API key)."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recete_app.backend.commerce.shopify import normalize
from recete_app.backend.config import Settings
from recete_app.backend.http.app import create_api
from tests.integration.commerce_fixtures import SHOP, SHOP_SECRET, connect_shop
from tests.support import owner_sql, shopify_headers

FUZZ = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=25,
)
shopify_keys = st.sampled_from(
    [
        "id",
        "order_id",
        "name",
        "created_at",
        "updated_at",
        "customer",
        "line_items",
        "fulfillments",
        "phone",
        "total_price",
        "shipment_status",
        "status",
        "happened_at",
        "note_attributes",
        "shipping_address",
        "cancelled_at",
        "refunds",
        "quantity",
    ]
)
shopish_objects = st.dictionaries(shopify_keys | st.text(max_size=10), json_values, max_size=10)
topics = st.sampled_from(
    [
        "orders/create",
        "orders/updated",
        "fulfillments/update",
        "fulfillment_events/create",
        "refunds/create",
        "products/create",
        "customers/redact",
        "shop/redact",
        "carts/update",
        "",
    ]
) | st.text(max_size=20)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    api = create_api(
        Settings(
            rate_limit_ip_per_minute=10**9,
            rate_limit_api_key_per_hour=10**9,
            rate_limit_merchant_per_hour=10**9,
        )
    )
    with TestClient(api, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def shop(client: TestClient) -> None:
    connect_shop()


def stored() -> int:
    return int(str(owner_sql("SELECT count(*) FROM external_events")[0][0]))


@FUZZ
@given(
    body=st.binary(max_size=300) | shopish_objects.map(lambda o: json.dumps(o).encode()),
    topic=topics,
    shop_domain=st.sampled_from([SHOP, "evil.myshopify.com"]) | st.text(max_size=30),
    signature=st.text(max_size=60)
    | st.binary(max_size=32).map(lambda b: base64.b64encode(b).decode()),
    webhook_id=st.text(max_size=40),
)
def test_shopify_receiver_never_500s_or_stores_unsigned_bodies(
    client: TestClient,
    shop: None,
    body: bytes,
    topic: str,
    shop_domain: str,
    signature: str,
    webhook_id: str,
) -> None:
    before = stored()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Webhook-Id": webhook_id,
    }
    safe = {k: v for k, v in headers.items() if v.isascii() and v.isprintable()}
    response = client.post("/webhooks/commerce/shopify", content=body, headers=safe)
    assert response.status_code in (400, 401, 413), response.text
    assert stored() == before


@FUZZ
@given(payload=shopish_objects, topic=topics, webhook_id=st.text(min_size=1, max_size=40))
def test_shopify_receiver_with_valid_signatures_answers_200_or_400(
    client: TestClient, shop: None, payload: dict[str, Any], topic: str, webhook_id: str
) -> None:
    body = json.dumps(payload).encode()
    headers = shopify_headers(body, SHOP_SECRET, topic, webhook_id=webhook_id)
    safe = {k: v for k, v in headers.items() if v.isascii() and v.isprintable()}
    response = client.post("/webhooks/commerce/shopify", content=body, headers=safe)
    assert response.status_code in (200, 400), response.text


@FUZZ
@given(
    body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()),
    key=st.text(max_size=60),
)
def test_api_receiver_never_500s_or_stores_without_a_key(
    client: TestClient, shop: None, body: bytes, key: str
) -> None:
    before = stored()
    headers = {"content-type": "application/json"}
    if key.isascii() and key.isprintable():
        headers["X-Api-Key"] = key
    response = client.post("/webhooks/commerce/api", content=body, headers=headers)
    assert response.status_code in (400, 401, 422), response.text
    assert stored() == before


@settings(max_examples=2000, deadline=None)
@given(payload=shopish_objects)
def test_shopify_normalisers_fail_only_with_value_errors(payload: dict[str, Any]) -> None:
    for normaliser in (
        normalize.order_event,
        normalize.fulfillment_event,
        normalize.fulfillment_tracking_event,
        normalize.refund_event,
    ):
        with contextlib.suppress(ValueError):
            normaliser(payload)


@FUZZ
@given(
    body=st.binary(max_size=300) | shopish_objects.map(lambda o: json.dumps(o).encode()),
    topic=st.sampled_from(["order.created", "order.updated", "product.deleted", ""])
    | st.text(max_size=20),
    signature=st.text(max_size=60),
    delivery=st.text(max_size=40),
)
def test_woocommerce_receiver_never_500s_or_stores_unsigned_bodies(
    client: TestClient,
    woo_integration: str,
    body: bytes,
    topic: str,
    signature: str,
    delivery: str,
) -> None:
    before = stored()
    headers = {
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-Delivery-ID": delivery,
    }
    safe = {k: v for k, v in headers.items() if v.isascii() and v.isprintable()}
    response = client.post(
        f"/webhooks/commerce/woocommerce/{woo_integration}", content=body, headers=safe
    )
    assert response.status_code in (200, 400, 401), response.text
    assert response.status_code != 200 or body.strip().startswith(b"webhook_id=")
    assert stored() == before


@pytest.fixture()
def woo_integration(client: TestClient) -> str:
    from recete_app.backend import integrations
    from recete_app.backend.db import session_scope

    shop = connect_shop()
    with session_scope(shop.merchant_id) as session:
        row = integrations.connect(
            session,
            "test",
            "woocommerce",
            "https://shop.example.com",
            {"webhook_secret": "fuzz-secret"},
        )
        return str(row.id)
