"""/api/integrations: the merchant's stores and numbers over the REST API, through the same
actions as the dashboard and the CLI. Connecting (idempotent with Idempotency-Key), listing
without a secret, disconnecting (secrets erased, webhooks refused, a number's sends paused until
it is connected again), and testing a connection against fakes speaking the providers' wire
format; another store's integration is 404 and stays as it was."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from recete_app.backend import queueing
from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.http.app import create_api
from recete_app.cli import main
from recete_app.state import integrations as integrations_page
from recete_app.state.integrations import IntegrationsState
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.shopify import FakeShopify
from tests.fakes.woocommerce import FakeWooCommerce
from tests.integration.api_helpers import Store, fields_named, key_headers, sign_up
from tests.integration.dashboard_fixtures import run_handler, signed_in_page
from tests.integration.journey_fixtures import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    deliver,
    send_around_the_clock,
)
from tests.support import fixture_bytes, owner_sql

STORE_URL = "https://shop.example.com"
WOO = {"url": STORE_URL, "webhook_secret": "wc-webhook-secret-42"}
REST_KEYS = {"consumer_key": "ck_test", "consumer_secret": "cs_test"}
SHOPIFY = {"shop": "glow-skin.myshopify.com", "access_token": "shpat_oauth_token"}
OWNER = "owner@glowskin.com"


def whatsapp(token: str = "EAAG-test-token") -> dict[str, str]:
    return {
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token": token,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
    }


def api_client(transport: httpx.BaseTransport | None = None) -> TestClient:
    return TestClient(create_api(outbound_transport=transport), raise_server_exceptions=False)


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with api_client() as test_client:
        yield test_client


@pytest.fixture()
def store(client: TestClient) -> Store:
    return sign_up(client, "Glow Skin", OWNER)


@pytest.fixture()
def other(client: TestClient) -> Store:
    return sign_up(client, "Other Shop", "owner@othershop.com")


@pytest.fixture()
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    jobs: list[dict[str, str]] = []
    monkeypatch.setitem(queueing._senders, "import_catalogue", lambda **job: jobs.append(job))
    return jobs


def connect(client: TestClient, store: Store, kind: str, body: dict[str, str]) -> dict[str, Any]:
    response = client.post(f"/api/integrations/{kind}", json=body, headers=store.auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def integrations_of(merchant_id: uuid.UUID) -> list[tuple[object, ...]]:
    return owner_sql(
        "SELECT id, status, secrets IS NOT NULL FROM integrations WHERE merchant_id = :m",
        m=merchant_id,
    )


def audit_actions(merchant_id: uuid.UUID, action: str) -> int:
    rows = owner_sql(
        "SELECT count(*) FROM audit_log WHERE merchant_id = :m AND action = :a",
        m=merchant_id,
        a=action,
    )
    return int(str(rows[0][0]))


def woo_webhook(
    client: TestClient, integration_id: str, secret: str = WOO["webhook_secret"]
) -> Any:
    body = fixture_bytes("woocommerce", "order_created.json")
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Signature": signature.decode(),
        "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
    }
    path = f"/webhooks/commerce/woocommerce/{integration_id}"
    return client.post(path, content=body, headers=headers)


# --- connecting and listing -----------------------------------------------------------------


def test_connecting_woocommerce_with_rest_keys_answers_201_and_queues_its_catalogue(
    client: TestClient, store: Store, queued: list[dict[str, str]]
) -> None:
    created = connect(client, store, "woocommerce", {**WOO, **REST_KEYS})
    assert (created["kind"], created["name"], created["status"]) == (
        "woocommerce",
        STORE_URL,
        "active",
    )
    assert created["catalogue_queued"] is True
    assert created["webhook_url"].endswith(f"/webhooks/commerce/woocommerce/{created['id']}")
    assert queued == [{"merchant_id": str(store.merchant_id), "integration_id": created["id"]}]


@pytest.mark.parametrize(
    ("kind", "body", "name"),
    [
        ("shopify", SHOPIFY, "glow-skin.myshopify.com"),
        ("woocommerce", WOO, STORE_URL),
        ("whatsapp", whatsapp(), PHONE_NUMBER_ID),
    ],
)
def test_each_kind_connects_without_a_catalogue_import_unless_it_has_rest_keys(
    client: TestClient,
    store: Store,
    queued: list[dict[str, str]],
    kind: str,
    body: dict[str, str],
    name: str,
) -> None:
    created = connect(client, store, kind, body)
    assert (created["kind"], created["name"], created["status"]) == (kind, name, "active")
    assert created["catalogue_queued"] is False and created["events"] == []
    assert queued == []
    assert integrations_of(store.merchant_id) == [(uuid.UUID(created["id"]), "active", True)]


def test_the_list_shows_each_integration_with_its_events_and_never_a_secret(
    client: TestClient, store: Store, other: Store
) -> None:
    woo = connect(client, store, "woocommerce", {**WOO, **REST_KEYS})
    connect(client, store, "whatsapp", whatsapp())
    connect(client, other, "shopify", SHOPIFY)
    assert woo_webhook(client, woo["id"]).status_code == 200
    response = client.get("/api/integrations", headers=store.auth)
    assert response.status_code == 200, response.text
    listed = response.json()["integrations"]
    assert [(i["kind"], i["status"]) for i in listed] == [
        ("woocommerce", "active"),
        ("whatsapp", "active"),
    ]
    assert set(listed[0]) == {
        "id",
        "kind",
        "name",
        "status",
        "webhook_url",
        "last_error",
        "created_at",
        "events",
    }
    [event] = listed[0]["events"]
    assert (event["topic"], event["status"], event["error"]) == ("order.created", "pending", None)
    assert listed[1]["events"] == []
    secrets = [*WOO.values(), *REST_KEYS.values(), *whatsapp().values()]
    hidden = [s for s in secrets if s not in (STORE_URL, PHONE_NUMBER_ID)]
    assert not [s for s in hidden if s in response.text]


BAD_BODIES = [
    ("shopify", {**SHOPIFY, "shop": "glow-skin.example.com"}, "shop"),
    ("shopify", {"access_token": "shpat_1"}, "shop"),
    ("shopify", {**SHOPIFY, "access_token": "   "}, "access_token"),
    ("shopify", {**SHOPIFY, "api_secret": ""}, "api_secret"),
    ("woocommerce", {**WOO, "url": "ftp://shop.example.com"}, "url"),
    ("woocommerce", {"url": STORE_URL}, "webhook_secret"),
    ("woocommerce", {**WOO, "consumer_key": "ck_test"}, "consumer_secret"),
    ("woocommerce", {**WOO, "consumer_secret": "cs_test"}, "consumer_key"),
    ("whatsapp", {**whatsapp(), "phone_number_id": "+90 532"}, "phone_number_id"),
    ("whatsapp", {**whatsapp(), "access_token": ""}, "access_token"),
    ("whatsapp", {k: v for k, v in whatsapp().items() if k != "app_secret"}, "app_secret"),
    ("whatsapp", {k: v for k, v in whatsapp().items() if k != "verify_token"}, "verify_token"),
]


@pytest.mark.parametrize(("kind", "body", "field"), BAD_BODIES)
def test_bad_connection_bodies_name_the_field_and_store_nothing(
    client: TestClient,
    store: Store,
    queued: list[dict[str, str]],
    kind: str,
    body: dict[str, str],
    field: str,
) -> None:
    headers = {**store.auth, "Idempotency-Key": "first-try"}
    response = client.post(f"/api/integrations/{kind}", json=body, headers=headers)
    assert fields_named(response) == {field}
    assert integrations_of(store.merchant_id) == [] and queued == []
    # A refused request does not use up its key.
    assert owner_sql("SELECT count(*) FROM idempotency_keys") == [(0,)]


def test_the_same_idempotency_key_connects_once_and_queues_once(
    client: TestClient, store: Store, other: Store, queued: list[dict[str, str]]
) -> None:
    headers = {**store.auth, "Idempotency-Key": "connect-woo-1"}
    body = {**WOO, **REST_KEYS}
    first = client.post("/api/integrations/woocommerce", json=body, headers=headers)
    again = client.post("/api/integrations/woocommerce", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["catalogue_queued"] is False  # the replay queues nothing
    assert len(integrations_of(store.merchant_id)) == 1 and len(queued) == 1
    assert audit_actions(store.merchant_id, "integration.connected") == 1
    changed = {**body, "consumer_secret": "cs_other"}
    reused = client.post("/api/integrations/woocommerce", json=changed, headers=headers)
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    theirs = client.post(
        "/api/integrations/woocommerce",
        json={**WOO, "url": "https://other.example.com"},
        headers={**other.auth, "Idempotency-Key": "connect-woo-1"},
    )
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]


# --- disconnecting --------------------------------------------------------------------------


def test_disconnecting_erases_the_secrets_and_twice_changes_nothing(
    client: TestClient, store: Store
) -> None:
    created = connect(client, store, "woocommerce", {**WOO, **REST_KEYS})
    first = client.delete(f"/api/integrations/{created['id']}", headers=store.auth)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "disconnected"
    assert integrations_of(store.merchant_id) == [(uuid.UUID(created["id"]), "disconnected", False)]
    again = client.delete(f"/api/integrations/{created['id']}", headers=store.auth)
    assert again.status_code == 200 and again.json() == first.json()
    assert audit_actions(store.merchant_id, "integration.disconnected") == 1


def test_connecting_a_disconnected_store_again_makes_it_active(
    client: TestClient, store: Store
) -> None:
    created = connect(client, store, "woocommerce", WOO)
    client.delete(f"/api/integrations/{created['id']}", headers=store.auth)
    again = connect(client, store, "woocommerce", WOO)
    assert (again["id"], again["status"]) == (created["id"], "active")
    assert woo_webhook(client, created["id"]).status_code == 200


def test_a_webhook_to_a_disconnected_store_is_refused_and_stores_nothing(
    client: TestClient, store: Store
) -> None:
    created = connect(client, store, "woocommerce", WOO)
    assert woo_webhook(client, created["id"]).status_code == 200  # its route is cached now
    client.delete(f"/api/integrations/{created['id']}", headers=store.auth)
    refused = woo_webhook(client, created["id"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_signature"
    assert owner_sql("SELECT count(*) FROM external_events") == [(1,)]  # only the first


def test_disconnecting_the_number_pauses_its_sends_and_connecting_it_resumes_them(
    client: TestClient, store: Store
) -> None:
    send_around_the_clock(store.merchant_id)
    number = connect(client, store, "whatsapp", whatsapp())
    deliver(store.merchant_id, datetime.now(UTC) - timedelta(days=3))
    statuses = "SELECT status FROM scheduled_messages ORDER BY due_at"
    assert owner_sql(statuses) == [("scheduled",), ("scheduled",)]
    client.delete(f"/api/integrations/{number['id']}", headers=store.auth)
    assert owner_sql(statuses) == [("paused",), ("paused",)]
    connect(client, store, "whatsapp", whatsapp())
    assert owner_sql(statuses) == [("scheduled",), ("scheduled",)]


def test_disconnecting_a_store_leaves_the_numbers_sends_alone(
    client: TestClient, store: Store
) -> None:
    send_around_the_clock(store.merchant_id)
    connect(client, store, "whatsapp", whatsapp())
    woo = connect(client, store, "woocommerce", WOO)
    deliver(store.merchant_id, datetime.now(UTC) - timedelta(days=3))
    client.delete(f"/api/integrations/{woo['id']}", headers=store.auth)
    assert owner_sql("SELECT DISTINCT status FROM scheduled_messages") == [("scheduled",)]


# --- testing a connection -------------------------------------------------------------------


def test_a_whatsapp_number_is_tested_by_reading_its_phone_number_node(
    client: TestClient, store: Store, graph: FakeGraphApi
) -> None:
    number = connect(client, store, "whatsapp", whatsapp(graph.token))
    response = client.post(f"/api/integrations/{number['id']}/test", headers=store.auth)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ok": True,
        "message": f"WhatsApp accepted the access token for number {PHONE_NUMBER_ID} "
        "(+90 532 123 45 67, Lale Kozmetik).",
    }
    assert graph.reads == [
        f"/{graph.version}/{PHONE_NUMBER_ID}?fields=display_phone_number%2Cverified_name"
    ]
    assert graph.requests == []  # nothing was sent


def test_a_refused_whatsapp_token_is_a_failed_test_not_an_error(
    client: TestClient, store: Store, graph: FakeGraphApi
) -> None:
    number = connect(client, store, "whatsapp", whatsapp("EAAG-revoked"))
    response = client.post(f"/api/integrations/{number['id']}/test", headers=store.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    assert body["message"].startswith("WhatsApp refused the access token (WhatsApp error 190")
    assert "EAAG-revoked" not in body["message"]
    [(_id, status, _)] = integrations_of(store.merchant_id)
    assert status == "active"  # a test changes nothing


@pytest.mark.parametrize(("token", "ok"), [("shpat_oauth_token", True), ("shpat_revoked", False)])
def test_a_shopify_token_is_tested_with_shop_json(
    store: Store, client: TestClient, token: str, ok: bool
) -> None:
    shopify = FakeShopify()
    connect(client, store, "shopify", {**SHOPIFY, "access_token": token})
    [(integration_id, _, _)] = integrations_of(store.merchant_id)
    with api_client(shopify.transport) as with_shopify:
        response = with_shopify.post(f"/api/integrations/{integration_id}/test", headers=store.auth)
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is ok
    expected = (
        "Shopify accepted the access token for Glow Skin (glow-skin.myshopify.com)."
        if ok
        else "Shopify refused the access token (Shopify answered 401)"
    )
    assert response.json()["message"].startswith(expected)
    [request] = shopify.requests
    assert (request.method, request.url.path) == ("GET", "/admin/api/2026-10/shop.json")


@pytest.mark.parametrize(
    ("secret", "ok", "message"),
    [
        ("cs_test", True, f"WooCommerce accepted the REST API keys of {STORE_URL}: the store has"),
        ("cs_wrong", False, "WooCommerce refused the REST API keys (WooCommerce answered 401: "),
    ],
)
def test_woocommerce_rest_keys_are_tested_by_reading_one_product(
    store: Store, client: TestClient, secret: str, ok: bool, message: str
) -> None:
    woo = FakeWooCommerce(products=12)
    created = connect(client, store, "woocommerce", {**WOO, **REST_KEYS, "consumer_secret": secret})
    with api_client(woo.transport) as with_store:
        response = with_store.post(f"/api/integrations/{created['id']}/test", headers=store.auth)
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is ok and response.json()["message"].startswith(message)
    [request] = woo.requests
    assert (request.url.path, dict(request.url.params)) == (
        "/wp-json/wc/v3/products",
        {"per_page": "1"},
    )


def test_a_disconnected_or_keyless_integration_has_nothing_to_test(
    client: TestClient, store: Store
) -> None:
    keyless = connect(client, store, "woocommerce", WOO)
    response = client.post(f"/api/integrations/{keyless['id']}/test", headers=store.auth)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "missing_credentials"
    client.delete(f"/api/integrations/{keyless['id']}", headers=store.auth)
    response = client.post(f"/api/integrations/{keyless['id']}/test", headers=store.auth)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "integration_disconnected"


# --- whose, and who may ---------------------------------------------------------------------


def test_another_stores_integration_is_not_found_nor_taken_and_stays_as_it_was(
    client: TestClient, store: Store, other: Store
) -> None:
    theirs = connect(client, other, "woocommerce", {**WOO, **REST_KEYS})
    path = f"/api/integrations/{theirs['id']}"
    for response in (
        client.delete(path, headers=store.auth),
        client.post(f"{path}/test", headers=store.auth),
        client.delete(f"/api/integrations/{uuid.uuid4()}", headers=store.auth),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "integration_not_found"
    taken = client.post("/api/integrations/woocommerce", json=WOO, headers=store.auth)
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "connected_elsewhere"
    assert client.get("/api/integrations", headers=store.auth).json() == {"integrations": []}
    assert integrations_of(other.merchant_id) == [(uuid.UUID(theirs["id"]), "active", True)]
    assert woo_webhook(client, theirs["id"]).status_code == 200


def test_an_orders_only_key_is_refused_everywhere(client: TestClient, store: Store) -> None:
    created = connect(client, store, "woocommerce", WOO)
    key = key_headers(client, store, ["orders:write"])
    path = f"/api/integrations/{created['id']}"
    for response in (
        client.get("/api/integrations", headers=key),
        client.post("/api/integrations/woocommerce", json=WOO, headers=key),
        client.post("/api/integrations/shopify", json=SHOPIFY, headers=key),
        client.post("/api/integrations/whatsapp", json=whatsapp(), headers=key),
        client.delete(path, headers=key),
        client.post(f"{path}/test", headers=key),
    ):
        assert response.status_code == 403, response.text
    admin = key_headers(client, store, ["admin"])
    assert client.get("/api/integrations", headers=admin).status_code == 200
    assert integrations_of(store.merchant_id)[0][1] == "active"


def test_the_openapi_document_has_every_route_with_examples(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert "get" in paths["/api/integrations"]
    for kind in ("shopify", "woocommerce", "whatsapp"):
        post = paths[f"/api/integrations/{kind}"]["post"]
        assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
    assert "delete" in paths["/api/integrations/{integration_id}"]
    assert "post" in paths["/api/integrations/{integration_id}/test"]
    schemas = spec["components"]["schemas"]
    assert schemas["WhatsAppBody"]["properties"]["phone_number_id"]["examples"]
    assert schemas["ShopifyBody"]["properties"]["shop"]["examples"]


# --- the other front doors ------------------------------------------------------------------


def test_the_cli_tests_and_removes_an_integration_through_the_same_actions(
    client: TestClient, store: Store, graph: FakeGraphApi, capsys: pytest.CaptureFixture[str]
) -> None:
    number = connect(client, store, "whatsapp", whatsapp(graph.token))
    capsys.readouterr()
    assert main(["integration", "test", number["id"], "--merchant", OWNER]) == 0
    assert capsys.readouterr().out.startswith("WhatsApp accepted the access token")
    assert main(["integration", "remove", number["id"], "--merchant", OWNER]) == 0
    assert capsys.readouterr().out.strip() == f"{number['id']} disconnected"
    assert main(["integration", "test", number["id"], "--merchant", OWNER]) == 1
    assert "disconnected" in capsys.readouterr().err
    assert main(["integration", "remove", "not-an-id", "--merchant", OWNER]) == 1
    assert capsys.readouterr().err.strip() == "error: No such integration."


def test_the_dashboards_disconnect_goes_through_the_same_action(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = connect(client, store, "woocommerce", WOO)
    person = Principal(merchant_id=store.merchant_id, actor="account:test")
    page = signed_in_page(monkeypatch, integrations_page, IntegrationsState, person)
    run_handler(IntegrationsState.disconnect, page, created["id"])
    assert (page.error, page.notice) == (
        "",
        f"Disconnected {STORE_URL}: connect it again to use it.",
    )
    [card] = page.cards
    assert card.status == "disconnected"
    assert audit_actions(store.merchant_id, "integration.disconnected") == 1
