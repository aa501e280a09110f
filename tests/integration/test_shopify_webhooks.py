"""Shopify webhooks end to end: receiver (signature, storage, dedupe) and processing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recete_app.backend import queueing
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.intake.erasure import ERASED_BODY
from recete_app.backend.intake.events import store_event
from recete_app.backend.knowledge.embeddings import LocalEmbedder
from recete_app.backend.knowledge.search import search
from recete_app.backend.security.crypto import decrypt_field
from recete_app.backend.security.fields import WEBHOOK_BODY
from recete_app.backend.services.webhook_processing import process_stored_event
from tests.integration.commerce_fixtures import (
    SHOP,
    SHOP_SECRET,
    Shop,
    connect_shop,
    process_pending,
)
from tests.support import fixture_bytes, fixture_json, owner_sql, shopify_headers


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def shop() -> Shop:
    return connect_shop()


def post(client: TestClient, topic: str, body: bytes, **kwargs: Any) -> Any:
    secret = kwargs.pop("secret", SHOP_SECRET)
    headers = shopify_headers(body, secret, topic, **kwargs)
    return client.post("/webhooks/commerce/shopify", content=body, headers=headers)


def post_fixture(client: TestClient, topic: str, name: str, **kwargs: Any) -> Any:
    return post(client, topic, fixture_bytes("shopify", name), **kwargs)


def events() -> list[tuple[object, ...]]:
    return owner_sql("SELECT topic, status FROM external_events ORDER BY received_at")


def order_row() -> dict[str, Any]:
    rows = owner_sql(
        "SELECT name, financial_status, fulfilled_at, delivered_at, delivery_estimated, "
        "cancelled_at, refunded_at, customer_id, total_price, currency FROM orders"
    )
    assert len(rows) == 1
    keys = (
        "name",
        "financial_status",
        "fulfilled_at",
        "delivered_at",
        "delivery_estimated",
        "cancelled_at",
        "refunded_at",
        "customer_id",
        "total_price",
        "currency",
    )
    return dict(zip(keys, rows[0], strict=True))


def domain_events() -> list[object]:
    return [r[0] for r in owner_sql("SELECT name FROM domain_events ORDER BY created_at")]


def test_order_webhook_is_stored_acknowledged_and_processed(client: TestClient, shop: Shop) -> None:
    response = post_fixture(client, "orders/create", "orders_create.json", webhook_id="wh-1")
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    stored = owner_sql("SELECT provider, external_id, topic, status, raw_body FROM external_events")
    # Webhook ids are per shop; the body is kept as it came, encrypted.
    assert stored[0][:4] == ("shopify", f"{shop.integration_id}:wh-1", "orders/create", "pending")
    body = decrypt_field(str(stored[0][4]), WEBHOOK_BODY)
    assert body == fixture_bytes("shopify", "orders_create.json").decode()

    assert process_pending(shop.merchant_id) == ["processed"]
    order = order_row()
    assert order["name"] == "#1042" and order["financial_status"] == "paid"
    assert str(order["total_price"]) == "1199.80" and order["currency"] == "TRY"
    items = owner_sql("SELECT title, sku, quantity, price FROM order_items ORDER BY sku")
    assert [(i[1], i[2], str(i[3])) for i in items] == [
        ("LK-CER-50", 1, "499.90"),
        ("LK-NIA-30", 1, "649.90"),
    ]
    customer = owner_sql(
        "SELECT first_name, phone_encrypted, phone_index, consent_state, external_id FROM customers"
    )
    assert customer[0][0] == "Ayşe"
    assert "5321112233" not in str(customer[0][1])
    assert customer[0][3] == "opted_in" and customer[0][4] == "7391028475561"
    consent = owner_sql("SELECT channel, state, source FROM consent_events")
    assert consent == [("sms", "opted_in", "shopify:sms_marketing_consent")]


def test_duplicate_webhook_is_stored_once_and_changes_nothing(
    client: TestClient, shop: Shop
) -> None:
    first = post_fixture(client, "orders/create", "orders_create.json", webhook_id="wh-dup")
    second = post_fixture(client, "orders/create", "orders_create.json", webhook_id="wh-dup")
    assert (first.json(), second.json()) == ({"status": "accepted"}, {"status": "duplicate"})
    assert len(events()) == 1
    process_pending(shop.merchant_id)
    assert process_pending(shop.merchant_id) == []
    assert len(owner_sql("SELECT 1 FROM order_items")) == 2


@pytest.mark.parametrize(
    ("secret", "shop_domain", "status", "code"),
    [
        ("wrong-secret", SHOP, 401, "invalid_signature"),
        (SHOP_SECRET, "other-shop.myshopify.com", 401, "unknown_shop"),
        (SHOP_SECRET, "not a domain", 401, "unknown_shop"),
    ],
)
def test_bad_signature_or_unknown_shop_is_401_and_stores_nothing(
    client: TestClient, shop: Shop, secret: str, shop_domain: str, status: int, code: str
) -> None:
    response = post_fixture(
        client, "orders/create", "orders_create.json", secret=secret, shop=shop_domain
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert events() == []


def test_missing_signature_is_401(client: TestClient, shop: Shop) -> None:
    body = fixture_bytes("shopify", "orders_create.json")
    headers = shopify_headers(body, SHOP_SECRET, "orders/create")
    del headers["X-Shopify-Hmac-Sha256"]
    assert (
        client.post("/webhooks/commerce/shopify", content=body, headers=headers).status_code == 401
    )
    assert events() == []


def test_app_secret_also_verifies(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, shop: Shop
) -> None:
    from recete_app.backend.config import get_settings

    monkeypatch.setenv("RECETE_SHOPIFY_API_SECRET", "public-app-client-secret")
    get_settings.cache_clear()
    try:
        response = post_fixture(
            client, "orders/create", "orders_create.json", secret="public-app-client-secret"
        )
    finally:
        monkeypatch.delenv("RECETE_SHOPIFY_API_SECRET")
        get_settings.cache_clear()
    assert response.status_code == 200


def test_malformed_json_with_a_valid_signature_is_400_and_stores_nothing(
    client: TestClient, shop: Shop
) -> None:
    for body in (b'{"id": 1,', b"[1, 2]", b"\xff\xfe"):
        response = post(client, "orders/create", body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "malformed_json"
    assert events() == []


def test_unknown_topic_is_acknowledged_and_stored_as_ignored(
    client: TestClient, shop: Shop
) -> None:
    response = post(client, "carts/update", b'{"id": "abc", "line_items": []}')
    assert response.json() == {"status": "ignored"}
    assert events() == [("carts/update", "ignored")]
    assert process_pending(shop.merchant_id) == []


def test_fulfilment_before_its_order_ends_in_the_right_state(
    client: TestClient, shop: Shop
) -> None:
    post_fixture(client, "fulfillments/create", "fulfillments_create.json")
    process_pending(shop.merchant_id)
    placeholder = order_row()
    assert placeholder["name"] == "" and placeholder["delivery_estimated"] is True

    post_fixture(client, "orders/create", "orders_create.json")
    process_pending(shop.merchant_id)
    order = order_row()
    assert order["name"] == "#1042" and order["customer_id"] is not None
    assert order["fulfilled_at"].isoformat() == "2026-11-03T07:15:00+00:00"
    # Not delivered yet: fulfilled + the merchant's typical transit days (3), marked estimated.
    assert order["delivered_at"].isoformat() == "2026-11-06T07:15:00+00:00"
    assert order["delivery_estimated"] is True

    post_fixture(client, "fulfillments/update", "fulfillments_update_delivered.json")
    process_pending(shop.merchant_id)
    order = order_row()
    assert order["delivered_at"].isoformat() == "2026-11-05T13:42:10+00:00"
    assert order["delivery_estimated"] is False
    assert domain_events() == ["order.delivered", "order.delivered"]

    post_fixture(client, "fulfillment_events/create", "fulfillment_events_create.json")
    process_pending(shop.merchant_id)
    assert order_row()["delivered_at"].isoformat() == "2026-11-05T13:42:10+00:00"
    assert domain_events() == ["order.delivered", "order.delivered"]


def test_tracking_event_alone_marks_delivery(client: TestClient, shop: Shop) -> None:
    post_fixture(client, "orders/create", "orders_create.json")
    post_fixture(client, "fulfillment_events/create", "fulfillment_events_create.json")
    process_pending(shop.merchant_id)
    order = order_row()
    assert order["delivered_at"].isoformat() == "2026-11-05T13:40:00+00:00"
    assert order["delivery_estimated"] is False
    assert domain_events() == ["order.delivered"]


def test_an_older_snapshot_never_overwrites_a_newer_one(client: TestClient, shop: Shop) -> None:
    newer = fixture_json("shopify", "orders_create.json")
    older = {
        **newer,
        "financial_status": "pending",
        "updated_at": "2026-11-02T14:31:08+03:00",
        "name": "#OLD",
    }
    post(client, "orders/updated", json.dumps(newer).encode())
    process_pending(shop.merchant_id)
    post(client, "orders/updated", json.dumps(older).encode())
    process_pending(shop.merchant_id)
    order = order_row()
    assert (order["name"], order["financial_status"]) == ("#1042", "paid")


def test_cancel_and_refund_are_kept_and_announced_once(client: TestClient, shop: Shop) -> None:
    order = fixture_json("shopify", "orders_create.json")
    cancelled = {
        **order,
        "cancelled_at": "2026-11-04T09:00:00+03:00",
        "cancel_reason": "customer",
        "updated_at": "2026-11-04T09:00:01+03:00",
    }
    post(client, "orders/create", json.dumps(order).encode())
    post(client, "orders/cancelled", json.dumps(cancelled).encode())
    post(client, "refunds/create", json.dumps(refund_of(order["total_price"])).encode())
    post(client, "orders/updated", json.dumps(order).encode())  # a late, older snapshot
    process_pending(shop.merchant_id)
    row = order_row()
    assert row["cancelled_at"] is not None and row["refunded_at"] is not None
    assert domain_events() == ["order.cancelled", "order.refunded"]


def refund_of(amount: str) -> dict[str, Any]:
    refund = fixture_json("shopify", "refunds_create.json")
    refund["transactions"][0]["amount"] = amount
    return refund


def test_a_partial_refund_is_not_a_refund_until_the_order_says_refunded(
    client: TestClient, shop: Shop
) -> None:
    order = fixture_json("shopify", "orders_create.json")
    post(client, "orders/create", json.dumps(order).encode())
    post_fixture(client, "refunds/create", "refunds_create.json")  # 499.90 of 1199.80
    partially = {
        **order,
        "financial_status": "partially_refunded",
        "updated_at": "2026-11-09T11:20:01+03:00",
    }
    post(client, "orders/updated", json.dumps(partially).encode())
    process_pending(shop.merchant_id)
    assert order_row()["refunded_at"] is None
    assert order_row()["financial_status"] == "partially_refunded"
    assert "order.refunded" not in domain_events()

    rest = {**refund_of("699.90"), "id": 910283746552, "processed_at": "2026-11-10T10:00:00+03:00"}
    post(client, "refunds/create", json.dumps(rest).encode())  # the rest: still partial alone
    refunded = {
        **order,
        "financial_status": "refunded",
        "updated_at": "2026-11-10T10:00:01+03:00",
        "refunds": [
            {"id": 910283746551, "created_at": "2026-11-09T11:20:00+03:00"},
            {"id": 910283746552, "created_at": "2026-11-10T10:00:00+03:00"},
        ],
    }
    post(client, "orders/updated", json.dumps(refunded).encode())
    process_pending(shop.merchant_id)
    assert order_row()["refunded_at"].isoformat() == "2026-11-10T07:00:00+00:00"
    assert domain_events().count("order.refunded") == 1


def test_order_without_customer_phone_or_shipping_is_handled(
    client: TestClient, shop: Shop
) -> None:
    gift_card = {
        "id": 5829348999001,
        "name": "#1043",
        "created_at": "2026-11-02T15:00:00+03:00",
        "updated_at": "2026-11-02T15:00:00+03:00",
        "currency": "TRY",
        "total_price": "500.00",
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "customer": None,
        "fulfillments": [{"id": 1, "status": "success", "created_at": "2026-11-02T15:00:05+03:00"}],
        "line_items": [
            {
                "id": 1467209999,
                "title": "Gift Card",
                "quantity": 1,
                "price": "500.00",
                "requires_shipping": False,
                "gift_card": True,
                "product_id": None,
            }
        ],
    }
    post(client, "orders/fulfilled", json.dumps(gift_card).encode())
    assert process_pending(shop.merchant_id) == ["processed"]
    row = order_row()
    assert row["customer_id"] is None and row["fulfilled_at"] is not None
    assert row["delivered_at"] is None  # nothing ships, so nothing is delivered
    assert owner_sql("SELECT count(*) FROM customers") == [(0,)]


def test_products_are_created_updated_and_deleted(client: TestClient, shop: Shop) -> None:
    product = fixture_json("shopify", "products_create.json")
    post(client, "products/create", json.dumps(product).encode())
    post(client, "products/update", json.dumps({**product, "title": "Niacinamide Serum"}).encode())
    process_pending(shop.merchant_id)
    rows = owner_sql("SELECT title, description, url, price FROM products")
    assert rows[0][0] == "Niacinamide Serum"
    assert "10% niacinamide" in str(rows[0][1]) and "<" not in str(rows[0][1])
    assert rows[0][2] == f"https://{SHOP}/products/niacinamide-serum"
    # The store's own headings become sections, and the product is searchable at once.
    assert "3 drops" not in str(rows[0][1])
    sections = owner_sql("SELECT section, origin, body FROM product_sections ORDER BY section")
    assert [(name, origin) for name, origin, _ in sections] == [
        ("how_to_use", "store"),
        ("ingredients", "store"),
    ]
    with session_scope(shop.merchant_id) as session:
        hits = search(session, "how many drops every evening", LocalEmbedder(), k=1)
    assert hits[0].section == "how_to_use" and "Niacinamide Serum" in hits[0].text
    post(client, "products/delete", b'{"id": 8012394857291}')
    process_pending(shop.merchant_id)
    assert owner_sql("SELECT count(*) FROM products") == [(0,)]
    assert owner_sql("SELECT count(*) FROM knowledge_chunks") == [(0,)]


def test_customer_redact_erases_the_person_and_keeps_anonymous_orders(
    client: TestClient, shop: Shop
) -> None:
    post_fixture(client, "orders/create", "orders_create.json")
    post_fixture(client, "customers/redact", "customers_redact.json")
    assert process_pending(shop.merchant_id) == ["processed", "processed"]
    assert owner_sql("SELECT count(*) FROM customers") == [(0,)]
    assert owner_sql("SELECT count(*) FROM consent_events") == [(0,)]
    assert order_row()["customer_id"] is None
    assert owner_sql("SELECT action FROM audit_log WHERE action LIKE 'privacy.%'") == [
        ("privacy.customer_redacted",)
    ]


def _event_id(topic: str) -> uuid.UUID:
    return uuid.UUID(
        str(owner_sql("SELECT id FROM external_events WHERE topic = :t", t=topic)[0][0])
    )


def _body_of(topic: str) -> str:
    stored = owner_sql("SELECT raw_body FROM external_events WHERE topic = :t", t=topic)
    return decrypt_field(str(stored[0][0]), WEBHOOK_BODY)


def test_a_redact_processed_before_the_persons_pending_order_still_erases_them(
    client: TestClient, shop: Shop
) -> None:
    """Events are applied in the order they arrived, whichever one's queue message came first:
    the redact's own message, arriving first, used to apply it before the order that names the
    person (no one to erase yet), and the order then created them."""
    post_fixture(client, "orders/create", "orders_create.json")
    post_fixture(client, "customers/redact", "customers_redact.json")
    process_stored_event(shop.merchant_id, _event_id("customers/redact"))
    assert owner_sql("SELECT count(*) FROM customers") == [(0,)]
    assert events() == [("orders/create", "processed"), ("customers/redact", "processed")]
    assert order_row()["customer_id"] is None


def test_a_redact_blanks_its_own_body_and_gives_up_waiting_events_that_name_the_person(
    client: TestClient, shop: Shop
) -> None:
    post_fixture(client, "orders/create", "orders_create.json")
    process_pending(shop.merchant_id)
    post_fixture(client, "customers/redact", "customers_redact.json")
    updated = {**fixture_json("shopify", "orders_create.json"), "note": "gift wrap"}
    post(client, "orders/updated", json.dumps(updated).encode())  # waiting behind the redact
    process_pending(shop.merchant_id)
    assert owner_sql("SELECT count(*) FROM customers") == [(0,)]  # not brought back
    assert events() == [
        ("orders/create", "processed"),
        ("customers/redact", "processed"),
        ("orders/updated", "ignored"),
    ]
    for topic in ("orders/create", "customers/redact", "orders/updated"):
        assert _body_of(topic) == ERASED_BODY, topic


def test_a_redact_that_matches_no_one_is_refused_and_still_blanks_its_body(
    client: TestClient, shop: Shop
) -> None:
    post_fixture(client, "customers/redact", "customers_redact.json")
    assert process_pending(shop.merchant_id) == ["refused"]
    assert _body_of("customers/redact") == ERASED_BODY


def test_customer_data_request_exports_what_we_hold(client: TestClient, shop: Shop) -> None:
    post_fixture(client, "orders/create", "orders_create.json")
    post_fixture(client, "customers/data_request", "customers_data_request.json")
    process_pending(shop.merchant_id)
    details = owner_sql("SELECT details FROM audit_log WHERE action = 'privacy.data_request'")
    export = details[0][0]["export"]  # type: ignore[index]
    # The same document as a merchant's own export (GET /api/customers/{id}/export).
    assert export[0]["format"] == "recete.customer_export.v1"
    assert export[0]["customer"]["phone"] == "+905321112233"
    assert export[0]["orders"][0]["name"] == "#1042"


def test_shop_redact_erases_the_shops_data(client: TestClient, shop: Shop) -> None:
    post_fixture(client, "orders/create", "orders_create.json")
    post_fixture(client, "products/create", "products_create.json")
    post_fixture(client, "app/uninstalled", "app_uninstalled.json")
    post_fixture(client, "shop/redact", "shop_redact.json")
    process_pending(shop.merchant_id)
    for table in ("orders", "order_items", "customers", "products"):
        assert owner_sql(f"SELECT count(*) FROM {table}") == [(0,)], table
    assert owner_sql("SELECT status, secrets FROM integrations") == [("redacted", None)]


def test_uninstall_marks_the_integration(client: TestClient, shop: Shop) -> None:
    post_fixture(client, "app/uninstalled", "app_uninstalled.json")
    process_pending(shop.merchant_id)
    assert owner_sql("SELECT status FROM integrations") == [("uninstalled",)]


def test_an_event_accepted_while_the_queue_is_down_is_swept_up_later(
    client: TestClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from recete_app.backend.services import webhook_processing as processing

    def dead_redis(**_: str) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setitem(queueing._senders, "process_external_event", dead_redis)
    response = post_fixture(client, "orders/create", "orders_create.json")
    assert response.status_code == 200
    assert events() == [("orders/create", "pending")]
    assert processing.events_to_retry() == []  # too fresh: its own worker may still come
    owner_sql(
        "UPDATE external_events SET received_at = :t", t=datetime.now(UTC) - timedelta(minutes=5)
    )
    due = processing.events_to_retry()
    assert len(due) == 1
    assert processing.process_stored_event(*due[0]) == "processed"
    assert processing.process_stored_event(*due[0]) == "skipped"
    assert len(owner_sql("SELECT 1 FROM orders")) == 1


def test_a_failing_event_is_recorded_and_retried_with_backoff(
    client: TestClient, shop: Shop
) -> None:
    from datetime import UTC, datetime, timedelta

    from recete_app.backend.services import webhook_processing as processing

    post(client, "refunds/create", b'{"id": 1, "order_id": null}')
    assert process_pending(shop.merchant_id) == ["failed"]
    assert owner_sql("SELECT status, attempts, error FROM external_events")[0][:2] == ("failed", 1)
    assert "order_id" in str(owner_sql("SELECT error FROM external_events")[0][0])
    owner_sql(
        "UPDATE external_events SET processed_at = :t", t=datetime.now(UTC) - timedelta(minutes=2)
    )
    assert len(processing.events_to_retry()) == 1
    owner_sql("UPDATE external_events SET attempts = 5")
    assert processing.events_to_retry() == []


def test_overload_gets_a_fast_503_and_stores_nothing(shop: Shop) -> None:
    from recete_app.backend.config import Settings

    with TestClient(create_api(Settings(webhook_max_inflight=0))) as busy:
        response = post_fixture(busy, "orders/create", "orders_create.json")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "overloaded"
    assert events() == []


def test_a_disconnected_shop_signed_with_the_app_secret_sends_no_more_orders(
    client: TestClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Disconnecting erases the shop's own secret, but an app installed through OAuth signs
    # with the installation's app secret, which stays: the shop's status must refuse it.
    from recete_app.backend.config import get_settings
    from recete_app.backend.services import connections

    monkeypatch.setenv("RECETE_SHOPIFY_API_SECRET", "app-wide-secret")
    get_settings.cache_clear()
    connections.disconnect(shop.merchant_id, "test", shop.integration_id)

    refused = post_fixture(client, "orders/create", "orders_create.json", secret="app-wide-secret")
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "shop_disconnected"
    assert events() == []

    # Shopify's privacy webhooks still reach us: the customer's erasure must still happen.
    redact = fixture_bytes("shopify", "customers_redact.json")
    kept = post(client, "customers/redact", redact, secret="app-wide-secret")
    assert kept.status_code == 200, kept.text
    get_settings.cache_clear()


def test_a_redact_that_matches_no_one_leaves_another_channels_events_alone(
    client: TestClient, shop: Shop
) -> None:
    """The person the request names is, here, only a customer of the merchant's own API
    channel: their waiting event is theirs to process, not the shop's to give up."""
    waiting = store_event(
        shop.merchant_id,
        provider="api",
        external_id="evt-other-channel",
        topic="order.created",
        raw_body='{"customer": {"phone": "+905321112233"}}',
        headers={},
    )
    post_fixture(client, "customers/redact", "customers_redact.json")
    redact = _event_id("customers/redact")
    assert process_stored_event(shop.merchant_id, redact) in ("refused", "processed")
    stored = owner_sql("SELECT status, raw_body FROM external_events WHERE id = :i", i=waiting)
    assert stored[0][0] in ("pending", "processed", "failed")  # not given up
    assert decrypt_field(str(stored[0][1]), WEBHOOK_BODY) != ERASED_BODY
