"""Shopify OAuth install, webhook registration, catalogue import and order reconciliation,
against a fake Shopify that answers in Shopify's shapes."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.commerce.catalogue import import_catalogue
from recete_app.backend.commerce.shopify import reconcile
from recete_app.backend.commerce.shopify.client import ShopifyError
from recete_app.backend.config import get_settings
from recete_app.backend.http.app import create_api
from recete_app.backend.integrations import find_integration, read_secrets
from tests.fakes.shopify import FakeShopify, graphql_order
from tests.integration.commerce_fixtures import connect_shop
from tests.support import owner_sql

APP_SECRET = "shopify-app-client-secret"
SHOP = "lale-kozmetik.myshopify.com"
# The public URL is https, so the browser-binding cookie is Secure: it comes back over https.
PUBLIC = "https://recete.example.com"


@pytest.fixture()
def shopify_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RECETE_SHOPIFY_API_KEY", "app-client-id")
    monkeypatch.setenv("RECETE_SHOPIFY_API_SECRET", APP_SECRET)
    monkeypatch.setenv("RECETE_PUBLIC_URL", "https://recete.example.com")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def signed_callback(query: dict[str, str]) -> str:
    message = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    digest = hmac.new(APP_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode({**query, "hmac": digest})


def start(client: TestClient) -> tuple[str, str]:
    token = client.post(
        "/api/auth/login",
        json={"email": "oauth@lalekozmetik.com", "password": "correct horse battery"},
    ).json()
    started = client.post(
        "/api/integrations/shopify/oauth/start",
        json={"shop": SHOP},
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    assert started.status_code == 200, started.text
    cookie = started.headers["set-cookie"].lower()
    assert {"httponly", "secure", "samesite=lax"} <= {part.strip() for part in cookie.split(";")}
    url = urlparse(started.json()["authorize_url"])
    assert url.netloc == SHOP and url.path == "/admin/oauth/authorize"
    query = parse_qs(url.query)
    assert query["redirect_uri"] == [
        "https://recete.example.com/api/integrations/shopify/oauth/callback"
    ]
    return query["state"][0], started.cookies["recete_shopify_oauth"]


def test_oauth_install_stores_the_token_subscribes_webhooks_and_redirects(
    shopify_app: None,
) -> None:
    merchant = sign_up("Lale Kozmetik", "oauth@lalekozmetik.com", "correct horse battery")
    fake = FakeShopify()
    with TestClient(create_api(outbound_transport=fake.transport), base_url=PUBLIC) as client:
        state, _cookie = start(client)
        query = signed_callback(
            {
                "code": "valid-code",
                "host": "YWRtaW4uc2hvcGlmeS5jb20",
                "shop": SHOP,
                "state": state,
                "timestamp": "1795000000",
            }
        )
        response = client.get(
            f"/api/integrations/shopify/oauth/callback?{query}", follow_redirects=False
        )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == (
        "https://recete.example.com/integrations?connected=shopify"
    )
    row = find_integration("shopify", SHOP)
    assert row is not None and row.merchant_id == merchant.merchant_id
    assert read_secrets(row) == {"access_token": "shpat_oauth_token"}
    assert "shpat_oauth_token" not in (row.secrets or "")
    topics = [w["topic"] for w in fake.webhooks]
    assert "ORDERS_CREATE" in topics and "FULFILLMENT_EVENTS_CREATE" in topics
    assert {w["webhookSubscription"]["uri"] for w in fake.webhooks} == {
        "https://recete.example.com/webhooks/commerce/shopify"
    }
    assert row.last_error is None


@pytest.mark.parametrize("problem", ["bad_hmac", "other_browser", "bad_code"])
def test_a_forged_or_replayed_callback_connects_nothing(shopify_app: None, problem: str) -> None:
    sign_up("Lale Kozmetik", "oauth@lalekozmetik.com", "correct horse battery")
    fake = FakeShopify()
    with TestClient(create_api(outbound_transport=fake.transport), base_url=PUBLIC) as client:
        state, _cookie = start(client)
        code = "used-code" if problem == "bad_code" else "valid-code"
        query = signed_callback(
            {"code": code, "shop": SHOP, "state": state, "timestamp": "1795000000"}
        )
        if problem == "bad_hmac":
            query = query.replace("timestamp=1795000000", "timestamp=1795000001")
        if problem == "other_browser":
            client.cookies.clear()
        response = client.get(
            f"/api/integrations/shopify/oauth/callback?{query}", follow_redirects=False
        )
    expected = {"bad_hmac": 401, "other_browser": 401, "bad_code": 502}[problem]
    assert response.status_code == expected, response.text
    assert find_integration("shopify", SHOP) is None


def test_oauth_without_app_credentials_explains_what_to_set() -> None:
    sign_up("Lale Kozmetik", "oauth@lalekozmetik.com", "correct horse battery")
    with TestClient(create_api()) as client:
        token = client.post(
            "/api/auth/login",
            json={"email": "oauth@lalekozmetik.com", "password": "correct horse battery"},
        ).json()
        response = client.post(
            "/api/integrations/shopify/oauth/start",
            json={"shop": SHOP},
            headers={"Authorization": f"Bearer {token['token']}"},
        )
    assert response.status_code == 503
    assert "RECETE_SHOPIFY_API_KEY" in response.json()["error"]["message"]


def test_catalogue_import_pages_through_shopify_products() -> None:
    shop = connect_shop()
    node = {
        "legacyResourceId": "8012394857291",
        "title": "Niacinamide 10% Serum",
        "handle": "niacinamide-serum",
        "onlineStoreUrl": None,
        "descriptionHtml": "<p>Apply <b>2-3 drops</b> every evening.</p>",
        "variants": {"nodes": [{"price": "649.90", "sku": "LK-NIA-30"}]},
    }
    pages = [
        [{**node, "legacyResourceId": str(n)} for n in range(100)],
        [{**node, "legacyResourceId": "999"}],
    ]
    fake = FakeShopify(token="shpat_test", products=pages)
    assert import_catalogue(shop.merchant_id, shop.integration_id, fake.transport) == 101
    rows = owner_sql("SELECT title, description, url, price FROM products WHERE external_id='999'")
    assert rows[0][1] == "Apply 2-3 drops every evening."
    assert rows[0][2] == f"https://{SHOP}/products/niacinamide-serum"


def test_reconciliation_recovers_a_lost_webhook_without_duplicates() -> None:
    shop = connect_shop()
    fake = FakeShopify(token="shpat_test", orders=[[graphql_order()]])
    now = datetime(2026, 11, 6, tzinfo=UTC)
    assert (
        reconcile.reconcile_orders(shop.merchant_id, shop.integration_id, fake.transport, now) == 1
    )
    order = owner_sql("SELECT name, delivered_at, delivery_estimated, financial_status FROM orders")
    assert order[0][0] == "#1042" and str(order[0][1]) == "2026-11-05 13:40:00+00:00"
    assert order[0][2] is False and order[0][3] == "paid"
    items = owner_sql("SELECT external_id FROM order_items ORDER BY external_id")
    assert items == [("14672094823611",), ("14672094856379",)]
    assert owner_sql("SELECT consent_state FROM customers") == [("opted_in",)]
    # The same order again (next run) changes nothing.
    reconcile.reconcile_orders(shop.merchant_id, shop.integration_id, fake.transport, now)
    assert len(owner_sql("SELECT 1 FROM order_items")) == 2
    assert owner_sql("SELECT name FROM domain_events") == [("order.delivered",)]
    graphql = [r for r in fake.requests if r.url.path.endswith("graphql.json")]
    assert b"updated_at:>='2026-11-03T00:00:00+00:00'" in graphql[0].content
    assert reconcile.shops_to_reconcile() == [(shop.merchant_id, shop.integration_id)]


def test_reconciliation_failure_is_shown_on_the_integration() -> None:
    shop = connect_shop()
    fake = FakeShopify(token="a-token-shopify-does-not-know")
    with pytest.raises(ShopifyError):
        reconcile.reconcile_orders(shop.merchant_id, shop.integration_id, fake.transport)
    assert owner_sql("SELECT last_error FROM integrations") == [
        ("reconciliation failed: Shopify answered 401",)
    ]
    assert uuid.UUID(str(shop.integration_id))
