"""Shopify OAuth (authorization code grant): the signed install request, the state that ties
the callback to the merchant and the browser that started it, the authorize URL."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from recete_app.backend.security.keys import OAUTH_STATE
from recete_app.backend.security.signed import InvalidSignedValue, sign, verify

SCOPES = "read_orders,read_customers,read_products,read_fulfillments"
CALLBACK_PATH = "/api/integrations/shopify/oauth/callback"
STATE_TTL_SECONDS = 600
# Shopify's mandatory privacy topics are declared in the app's configuration, not here.
WEBHOOK_TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "FULFILLMENTS_CREATE",
    "FULFILLMENTS_UPDATE",
    "FULFILLMENT_EVENTS_CREATE",
    "REFUNDS_CREATE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
    "APP_UNINSTALLED",
)


@dataclass(frozen=True)
class InstallState:
    merchant_id: uuid.UUID
    shop: str


def _escape(value: str, *, key: bool) -> str:
    value = value.replace("%", "%25").replace("&", "%26")
    return value.replace("=", "%3D") if key else value


def query_hmac_valid(params: Iterable[tuple[str, str]], secret: str) -> bool:
    """Shopify signs install and callback requests: hex HMAC-SHA256 of the other parameters,
    sorted, as `key=value` joined by `&`."""
    pairs = list(params)
    given = next((v for k, v in pairs if k == "hmac"), "")
    message = "&".join(
        sorted(
            f"{_escape(k, key=True)}={_escape(v, key=False)}"
            for k, v in pairs
            if k not in ("hmac", "signature")
        )
    )
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return bool(given) and hmac.compare_digest(expected, given)


def new_browser_binding() -> str:
    """A random value kept in the browser's cookie; the state carries only its hash."""
    return secrets.token_urlsafe(32)


def _digest(binding: str) -> str:
    return hashlib.sha256(binding.encode()).hexdigest()


def new_state(merchant_id: uuid.UUID, shop: str, binding: str) -> str:
    return sign(
        {"m": str(merchant_id), "s": shop, "b": _digest(binding)}, OAUTH_STATE, STATE_TTL_SECONDS
    )


def read_state(state: str, shop: str, binding: str | None) -> InstallState:
    """The state must be ours, fresh, for this shop, and finished by the browser that began."""
    try:
        claims = verify(state, OAUTH_STATE)
    except InvalidSignedValue as exc:
        raise ValueError("the install link is invalid or has expired") from exc
    if claims.get("s") != shop:
        raise ValueError("the install was started for another shop")
    if not binding or not hmac.compare_digest(str(claims.get("b", "")), _digest(binding)):
        raise ValueError("the install must be finished in the browser that started it")
    return InstallState(uuid.UUID(str(claims["m"])), shop)


def authorize_url(shop: str, client_id: str, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {"client_id": client_id, "scope": SCOPES, "redirect_uri": redirect_uri, "state": state}
    )
    return f"https://{shop}/admin/oauth/authorize?{query}"
