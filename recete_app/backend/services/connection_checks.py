"""Testing a connection: one authenticated, read-only call to the provider with the stored
credentials, so the merchant learns a token was revoked before a customer's message fails.
A provider's refusal, or no answer, is the test's result (`ok` False), not an error."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from recete_app.backend import integrations
from recete_app.backend.commerce.shopify.client import ShopifyAdminClient
from recete_app.backend.commerce.woocommerce.client import WooCommerceClient
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.errors import Conflict, ProviderError
from recete_app.backend.http_client import build_client
from recete_app.backend.messaging.whatsapp.client import WhatsAppClient
from recete_app.backend.messaging.whatsapp.errors import WhatsAppApiError
from recete_app.backend.models import IntegrationStatus
from recete_app.backend.services.connections import integration_of

TIMEOUT = 10.0  # a person waits for the answer
LABELS = {"shopify": "Shopify", "woocommerce": "WooCommerce", "whatsapp": "WhatsApp"}
# What each kind needs to make its call, and what the merchant calls it.
CREDENTIALS = {
    "shopify": (("access_token",), "access token"),
    "woocommerce": (("consumer_key", "consumer_secret"), "REST API keys"),
    "whatsapp": (("access_token",), "access token"),
}


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str  # for the merchant: what was checked, or why it failed


Check = Callable[[str, Mapping[str, str], httpx.BaseTransport | None], str]


def check_connection(
    merchant_id: uuid.UUID,
    integration_id: uuid.UUID | str,
    transport: httpx.BaseTransport | None = None,
) -> ConnectionCheck:
    """Ask the provider with the stored credentials. A disconnected integration, or one without
    the credentials its call needs, is a Conflict: there is nothing to test."""
    kind, external_id, secrets = _credentials(merchant_id, integration_id)
    try:
        return ConnectionCheck(True, CHECKS[kind](external_id, secrets, transport))
    except ProviderError as exc:
        return ConnectionCheck(False, _failure(kind, exc))


def _credentials(
    merchant_id: uuid.UUID, integration_id: uuid.UUID | str
) -> tuple[str, str, dict[str, str]]:
    with session_scope(merchant_id) as session:
        row = integration_of(session, integration_id)
        kind, external_id, status = row.kind, row.external_id, row.status
        secrets = integrations.read_secrets(row)
    if status == IntegrationStatus.DISCONNECTED:
        raise Conflict(
            "This integration is disconnected: connect it again, then test it.",
            code="integration_disconnected",
        )
    if kind not in CREDENTIALS:
        raise Conflict(f"A {kind} integration has no connection to test.", code="not_testable")
    needed, what = CREDENTIALS[kind]
    if not all(secrets.get(name) for name in needed):
        raise Conflict(
            f"This {LABELS[kind]} connection has no {what} to test with: connect it again "
            "with them.",
            code="missing_credentials",
        )
    return kind, external_id, secrets


def _whatsapp(
    number: str, secrets: Mapping[str, str], transport: httpx.BaseTransport | None
) -> str:
    settings = get_settings()
    with build_client(
        base_url=settings.whatsapp_graph_url, timeout=TIMEOUT, transport=transport
    ) as http:
        client = WhatsAppClient(http, phone_number_id=number, access_token=secrets["access_token"])
        found = client.phone_number()
    shown = ", ".join(part for part in (found.display_phone_number, found.verified_name) if part)
    return f"WhatsApp accepted the access token for number {number} ({shown or 'no name yet'})."


def _shopify(shop: str, secrets: Mapping[str, str], transport: httpx.BaseTransport | None) -> str:
    client = ShopifyAdminClient(shop, secrets["access_token"], transport)
    try:
        found = client.shop()
    finally:
        client.close()
    return f"Shopify accepted the access token for {found.get('name') or shop} ({shop})."


def _woocommerce(
    store: str, secrets: Mapping[str, str], transport: httpx.BaseTransport | None
) -> str:
    client = WooCommerceClient(
        store, secrets["consumer_key"], secrets["consumer_secret"], transport=transport
    )
    try:
        total = client.count_products()
    finally:
        client.close()
    count = f": the store has {total} product(s)" if total is not None else ""
    return f"WooCommerce accepted the REST API keys of {store}{count}."


CHECKS: dict[str, Check] = {"shopify": _shopify, "woocommerce": _woocommerce, "whatsapp": _whatsapp}


def _failure(kind: str, exc: ProviderError) -> str:
    label, what = LABELS[kind], CREDENTIALS[kind][1]
    if _refused(exc):
        return f"{label} refused the {what} ({exc.message}): connect it again with valid ones."
    return f"{label} could not be asked ({exc.message}); try again later."


def _refused(exc: ProviderError) -> bool:
    """The provider answered that these credentials may not make this call."""
    if isinstance(exc, WhatsAppApiError):
        return exc.kind == "token_expired" or exc.http_status in (401, 403)
    return getattr(exc, "status", None) in (401, 403)
