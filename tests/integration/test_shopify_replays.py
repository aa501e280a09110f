"""A signed Shopify body is taken only for the topic and shop it was made for; erasures act only
when they make sense; what an erasure removes leaves no plain-text trace behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.commerce.customers import upsert_customer
from recete_app.backend.commerce.events import CustomerInfo
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.security.crypto import decrypt_field
from recete_app.backend.security.fields import WEBHOOK_BODY
from tests.integration.commerce_fixtures import SHOP, SHOP_SECRET, Shop, connect_shop
from tests.integration.commerce_fixtures import process_pending as processed
from tests.support import fixture_bytes, fixture_json, owner_sql, shopify_headers

PHONE_DIGITS = "5321112233"  # the order fixture's customer: +90 532 111 22 33
EMAIL = "ayse.yilmaz@example.com"
SECOND_SHOP = "ikinci-magaza.myshopify.com"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def shop() -> Shop:
    return connect_shop()


def post(client: TestClient, topic: str, body: bytes, **kwargs: Any) -> Any:
    headers = shopify_headers(body, kwargs.pop("secret", SHOP_SECRET), topic, **kwargs)
    return client.post("/webhooks/commerce/shopify", content=body, headers=headers)


def counts() -> dict[str, object]:
    tables = ("orders", "order_items", "customers", "products", "consent_events")
    return {t: owner_sql(f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def with_order_and_product(client: TestClient, shop: Shop) -> dict[str, object]:
    post(client, "orders/create", fixture_bytes("shopify", "orders_create.json"))
    post(client, "products/create", fixture_bytes("shopify", "products_create.json"))
    assert processed(shop.merchant_id) == ["processed", "processed"]
    before = counts()
    assert before["orders"] == 1 and before["customers"] == 1 and before["products"] == 1
    return before


@pytest.mark.parametrize(
    "topic",
    ["shop/redact", "customers/redact", "app/uninstalled", "customers/data_request"],
)
def test_a_signed_order_body_replayed_under_a_privacy_topic_is_refused_and_changes_nothing(
    client: TestClient, shop: Shop, topic: str
) -> None:
    before = with_order_and_product(client, shop)
    replay = post(client, topic, fixture_bytes("shopify", "orders_create.json"))
    assert replay.status_code == 200
    assert replay.json() == {"status": "refused"}
    status, error = owner_sql(
        "SELECT status, error FROM external_events WHERE topic = :t", t=topic
    )[0]
    assert status == "refused" and "this one does not" in str(error)
    assert processed(shop.merchant_id) == []
    assert counts() == before
    assert owner_sql("SELECT status, secrets IS NOT NULL FROM integrations") == [("active", True)]


@pytest.mark.parametrize(
    ("topic", "fixture"),
    [
        ("shop/redact", "customers_redact.json"),  # a customer's erasure is not the shop's
        ("customers/redact", "customers_data_request.json"),
        ("orders/create", "fulfillments_create.json"),
        ("products/delete", "orders_create.json"),
        ("refunds/create", "orders_create.json"),
    ],
)
def test_a_signed_body_of_one_topic_is_refused_under_another(
    client: TestClient, shop: Shop, topic: str, fixture: str
) -> None:
    before = with_order_and_product(client, shop)
    assert post(client, topic, fixture_bytes("shopify", fixture)).json() == {"status": "refused"}
    assert processed(shop.merchant_id) == []
    assert counts() == before


@pytest.mark.parametrize(
    ("topic", "fixture", "field"),
    [
        ("shop/redact", "shop_redact.json", "shop_domain"),
        ("customers/redact", "customers_redact.json", "shop_domain"),
        ("app/uninstalled", "app_uninstalled.json", "myshopify_domain"),
    ],
)
def test_a_privacy_body_naming_another_shop_is_refused(
    client: TestClient, shop: Shop, topic: str, fixture: str, field: str
) -> None:
    before = with_order_and_product(client, shop)
    body = {**fixture_json("shopify", fixture), field: "someone-else.myshopify.com"}
    assert post(client, topic, json.dumps(body).encode()).json() == {"status": "refused"}
    error = owner_sql("SELECT error FROM external_events WHERE topic = :t", t=topic)[0][0]
    assert "someone-else.myshopify.com" in str(error) and SHOP in str(error)
    assert processed(shop.merchant_id) == []
    assert counts() == before


def test_shop_redact_for_a_shop_that_still_has_the_app_is_refused(
    client: TestClient, shop: Shop
) -> None:
    before = with_order_and_product(client, shop)
    response = post(client, "shop/redact", fixture_bytes("shopify", "shop_redact.json"))
    assert response.json() == {"status": "accepted"}
    assert processed(shop.merchant_id) == ["refused"]
    error = owner_sql("SELECT error FROM external_events WHERE topic = 'shop/redact'")[0][0]
    assert "uninstalled" in str(error) and "active" in str(error)
    assert counts() == before
    assert owner_sql("SELECT status FROM integrations") == [("active",)]


def test_customers_redact_erases_no_one_who_is_not_the_shops_customer(
    client: TestClient, shop: Shop
) -> None:
    with session_scope(shop.merchant_id) as session:  # same phone, met on another channel
        upsert_customer(session, CustomerInfo(phone="+905321112233", first_name="Ayşe"), "csv")
    post(client, "customers/redact", fixture_bytes("shopify", "customers_redact.json"))
    assert processed(shop.merchant_id) == ["refused"]
    assert owner_sql("SELECT first_name, source FROM customers") == [("Ayşe", "csv")]


def test_the_same_webhook_id_from_two_shops_is_two_webhooks(client: TestClient) -> None:
    first = connect_shop()
    second = connect_shop("owner@ikinci.com", SECOND_SHOP)
    body = fixture_bytes("shopify", "orders_create.json")
    one = post(client, "orders/create", body, webhook_id="shared-id")
    two = post(client, "orders/create", body, webhook_id="shared-id", shop=SECOND_SHOP)
    assert (one.json(), two.json()) == ({"status": "accepted"}, {"status": "accepted"})
    assert processed(first.merchant_id) == ["processed"]
    assert processed(second.merchant_id) == ["processed"]
    again = post(client, "orders/create", body, webhook_id="shared-id", shop=SECOND_SHOP)
    assert again.json() == {"status": "duplicate"}


def test_webhook_bodies_are_stored_encrypted(client: TestClient, shop: Shop) -> None:
    post(client, "orders/create", fixture_bytes("shopify", "orders_create.json"))
    (body,) = owner_sql("SELECT raw_body FROM external_events")[0]
    assert str(body).startswith("v1.") and PHONE_DIGITS not in str(body)
    assert processed(shop.merchant_id) == ["processed"]  # and still processed as before


def plain_text_hits(*needles: str) -> list[str]:
    """Every row of every table, as text, and every stored webhook body, decrypted, searched
    for the needles."""
    tables = owner_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'alembic_version'"
    )
    hits = []
    for (table,) in tables:
        for (row,) in owner_sql(f"SELECT t::text FROM {table} t"):
            hits += [f"{table}: {n}" for n in needles if n.lower() in str(row).lower()]
    for (sealed,) in owner_sql("SELECT raw_body FROM external_events"):
        body = decrypt_field(str(sealed), WEBHOOK_BODY).lower()
        hits += [f"webhook body: {n}" for n in needles if n.lower() in body]
    return hits


def test_a_customer_redaction_leaves_their_phone_and_email_in_no_table(
    client: TestClient, shop: Shop
) -> None:
    with_order_and_product(client, shop)
    post(client, "customers/data_request", fixture_bytes("shopify", "customers_data_request.json"))
    assert processed(shop.merchant_id) == ["processed"]
    post(client, "customers/redact", fixture_bytes("shopify", "customers_redact.json"))
    assert processed(shop.merchant_id) == ["processed"]
    assert plain_text_hits(PHONE_DIGITS, "532 111", EMAIL) == []
    assert counts()["customers"] == 0 and counts()["orders"] == 1


def test_a_shop_redaction_erases_every_body_the_shop_sent(client: TestClient, shop: Shop) -> None:
    with_order_and_product(client, shop)
    post(client, "app/uninstalled", fixture_bytes("shopify", "app_uninstalled.json"))
    post(client, "shop/redact", fixture_bytes("shopify", "shop_redact.json"))
    assert processed(shop.merchant_id) == ["processed", "processed"]
    assert plain_text_hits(PHONE_DIGITS, EMAIL, "Niacinamide") == []
    assert owner_sql("SELECT status FROM integrations") == [("redacted",)]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"id": ' + b"9" * 5_000 + b', "line_items": []}',
    ],
    ids=["deep nesting", "a 5,000-digit number"],
)
def test_a_hostile_signed_body_is_a_400_and_stores_nothing(
    client: TestClient, shop: Shop, raw: bytes
) -> None:
    response = post(client, "orders/create", raw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert owner_sql("SELECT count(*) FROM external_events") == [(0,)]
