from __future__ import annotations

import uuid

import pytest

from recete_app.backend.commerce.shopify import oauth


def test_query_hmac_matches_shopifys_documented_example() -> None:
    params = [
        ("code", "0907a61c0c8d55e99db179b68161bc00"),
        ("hmac", "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"),
        ("shop", "some-shop.myshopify.com"),
        ("state", "0.6784241404160823"),
        ("timestamp", "1337178173"),
    ]
    assert oauth.query_hmac_valid(params, "hush")
    assert not oauth.query_hmac_valid(params, "other secret")
    tampered = [(k, "evil-shop.myshopify.com" if k == "shop" else v) for k, v in params]
    assert not oauth.query_hmac_valid(tampered, "hush")
    assert not oauth.query_hmac_valid([p for p in params if p[0] != "hmac"], "hush")


def test_state_is_bound_to_merchant_shop_and_browser() -> None:
    merchant = uuid.uuid4()
    binding = oauth.new_browser_binding()
    state = oauth.new_state(merchant, "glow.myshopify.com", binding)
    assert oauth.read_state(state, "glow.myshopify.com", binding).merchant_id == merchant
    with pytest.raises(ValueError, match="another shop"):
        oauth.read_state(state, "evil.myshopify.com", binding)
    with pytest.raises(ValueError, match="browser that started it"):
        oauth.read_state(state, "glow.myshopify.com", oauth.new_browser_binding())
    with pytest.raises(ValueError, match="browser that started it"):
        oauth.read_state(state, "glow.myshopify.com", None)
    with pytest.raises(ValueError, match="invalid or has expired"):
        oauth.read_state(state + "x", "glow.myshopify.com", binding)


def test_authorize_url_asks_for_the_scopes_we_need() -> None:
    url = oauth.authorize_url("glow.myshopify.com", "client-id", "https://r.example/cb", "st")
    assert url.startswith("https://glow.myshopify.com/admin/oauth/authorize?client_id=client-id")
    assert "scope=read_orders%2Cread_customers%2Cread_products%2Cread_fulfillments" in url
    assert "redirect_uri=https%3A%2F%2Fr.example%2Fcb" in url and "state=st" in url
