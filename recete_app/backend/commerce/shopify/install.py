"""Connecting a shop through OAuth: start (authorize URL) and finish (callback)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from recete_app.backend import integrations, queueing
from recete_app.backend.commerce.shopify import oauth
from recete_app.backend.commerce.shopify.client import (
    ShopifyAdminClient,
    ShopifyError,
    exchange_code,
)
from recete_app.backend.config import Settings, get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.errors import NotConfigured, ProviderError, Unauthorized
from recete_app.backend.models import Integration

log = logging.getLogger(__name__)


class ShopifyNotConfigured(NotConfigured):
    code = "shopify_not_configured"


class ShopifyUnavailable(ProviderError):
    code = "shopify_unavailable"


@dataclass(frozen=True)
class InstallStart:
    authorize_url: str
    browser_binding: str  # for the cookie that must come back with the callback


def _app_credentials(settings: Settings) -> tuple[str, str]:
    secret = settings.shopify_api_secret.get_secret_value() if settings.shopify_api_secret else ""
    if not settings.shopify_api_key or not secret:
        raise ShopifyNotConfigured(
            "Set RECETE_SHOPIFY_API_KEY and RECETE_SHOPIFY_API_SECRET to "
            "connect shops with OAuth, or connect a custom app."
        )
    return settings.shopify_api_key, secret


def callback_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + oauth.CALLBACK_PATH


def start_install(merchant_id: uuid.UUID, raw_shop: str) -> InstallStart:
    settings = get_settings()
    client_id, _ = _app_credentials(settings)
    shop = integrations.normalized_shop_domain(raw_shop)
    binding = oauth.new_browser_binding()
    state = oauth.new_state(merchant_id, shop, binding)
    return InstallStart(
        oauth.authorize_url(shop, client_id, callback_url(settings), state), binding
    )


def finish_install(
    params: list[tuple[str, str]],
    browser_binding: str | None,
    transport: httpx.BaseTransport | None = None,
) -> tuple[uuid.UUID, uuid.UUID]:
    """Verify the callback, exchange the code, store the token, subscribe the webhooks and start
    the catalogue import. Returns (merchant id, integration id)."""
    settings = get_settings()
    client_id, secret = _app_credentials(settings)
    if not oauth.query_hmac_valid(params, secret):
        raise Unauthorized("The callback signature is invalid.", code="invalid_signature")
    query = dict(params)
    shop = integrations.normalized_shop_domain(query.get("shop", ""))
    try:
        state = oauth.read_state(query.get("state", ""), shop, browser_binding)
    except ValueError as exc:
        raise Unauthorized(f"Shopify install refused: {exc}.", code="invalid_state") from exc
    try:
        token, scopes = exchange_code(shop, client_id, secret, query.get("code", ""), transport)
    except ShopifyError as exc:
        raise ShopifyUnavailable(
            f"Could not finish the install: {exc}",
            retryable=exc.retryable,
            request_sent=exc.request_sent,
        ) from exc
    with session_scope(state.merchant_id) as session:
        row = integrations.connect(
            session, "shopify:oauth", "shopify", shop, {"access_token": token}
        )
        row.settings = {**row.settings, "scopes": scopes, "installed_via": "oauth"}
        integration_id = row.id
    register_webhooks(state.merchant_id, integration_id, transport)
    queueing.enqueue(
        "import_catalogue", merchant_id=str(state.merchant_id), integration_id=str(integration_id)
    )
    return state.merchant_id, integration_id


def register_webhooks(
    merchant_id: uuid.UUID,
    integration_id: uuid.UUID,
    transport: httpx.BaseTransport | None = None,
) -> list[str]:
    """Subscribe every topic we process; failures are shown on the integration, not raised."""
    with session_scope(merchant_id) as session:
        row = session.get_one(Integration, integration_id)
        shop, token = row.external_id, integrations.read_secrets(row).get("access_token", "")
        uri = integrations.webhook_url(row) or ""
    client = ShopifyAdminClient(shop, token, transport)
    failures = []
    try:
        for topic in oauth.WEBHOOK_TOPICS:
            try:
                client.create_webhook(topic, uri)
            except ShopifyError as exc:
                failures.append(f"{topic}: {exc}")
    finally:
        client.close()
    with session_scope(merchant_id) as session:
        row = session.get_one(Integration, integration_id)
        row.last_error = "; ".join(failures)[:1000] or None
        row.updated_at = datetime.now(UTC)
    if failures:
        log.warning("webhook registration for %s failed: %s", shop, failures)
    return failures
