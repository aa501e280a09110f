"""Importing a connected store's product catalogue (paginated, one transaction per page)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from recete_app.backend import audit
from recete_app.backend.commerce import products
from recete_app.backend.commerce.integrations import read_secrets
from recete_app.backend.commerce.woocommerce import normalize as woo
from recete_app.backend.commerce.woocommerce.client import WooCommerceClient, WooCommerceError
from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.models import Integration


def import_catalogue(
    merchant_id: uuid.UUID,
    integration_id: uuid.UUID,
    transport: httpx.BaseTransport | None = None,
) -> int:
    with session_scope(merchant_id) as session:
        integration = session.get_one(Integration, integration_id)
        kind, store, secrets = integration.kind, integration.external_id, read_secrets(integration)
    if kind != "woocommerce":
        raise InvalidInput(f"catalogue import is not available for {kind} yet")
    if not secrets.get("consumer_key") or not secrets.get("consumer_secret"):
        raise InvalidInput("The REST consumer key and secret are needed to import products.")
    client = WooCommerceClient(
        store, secrets["consumer_key"], secrets["consumer_secret"], transport=transport
    )
    try:
        imported = _import_pages(merchant_id, client)
    except WooCommerceError as exc:
        _record_error(merchant_id, integration_id, str(exc))
        raise
    finally:
        client.close()
    with session_scope(merchant_id) as session:
        row = session.get_one(Integration, integration_id)
        row.last_error = None
        row.updated_at = datetime.now(UTC)
        audit.record(session, "system", "catalogue.imported", target=store, products=imported)
    return imported


def _import_pages(merchant_id: uuid.UUID, client: WooCommerceClient) -> int:
    imported = 0
    for page in client.products():
        with session_scope(merchant_id) as session:
            for payload in page:
                try:
                    info = woo.product_info(payload)
                except ValueError:
                    continue
                products.upsert_product(session, info)
                imported += 1
    return imported


def _record_error(merchant_id: uuid.UUID, integration_id: uuid.UUID, message: str) -> None:
    with session_scope(merchant_id) as session:
        row = session.get_one(Integration, integration_id)
        row.last_error = message[:1000]
        row.updated_at = datetime.now(UTC)
