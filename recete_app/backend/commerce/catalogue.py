"""Importing a connected store's product catalogue (paginated, one transaction per page)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from recete_app.backend import audit
from recete_app.backend.commerce import products
from recete_app.backend.commerce.shopify import graphql_normalize as shopify_graphql
from recete_app.backend.commerce.shopify.client import ShopifyAdminClient, ShopifyError
from recete_app.backend.commerce.woocommerce import normalize as woo
from recete_app.backend.commerce.woocommerce.client import WooCommerceClient, WooCommerceError
from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.integrations import read_secrets
from recete_app.backend.models import Integration, IntegrationStatus

log = logging.getLogger(__name__)


def import_catalogue(
    merchant_id: uuid.UUID,
    integration_id: uuid.UUID,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Pull every product of a connected store into the catalogue (one transaction a page)."""
    with session_scope(merchant_id) as session:
        integration = session.get(Integration, integration_id)
        if integration is None or integration.status == IntegrationStatus.DISCONNECTED:
            # Disconnected (keys erased) or erased after the import was queued: nothing to
            # read, and a retry would find nothing either.
            log.info("catalogue import skipped: integration %s is gone", integration_id)
            return 0
        kind, store, secrets = integration.kind, integration.external_id, read_secrets(integration)
    try:
        pages = _pages(kind, store, secrets, transport)
        imported = 0
        for page in pages:
            with session_scope(merchant_id) as session:
                for info in page:
                    products.upsert_product(session, info)
                    imported += 1
    except (WooCommerceError, ShopifyError) as exc:
        _record_error(merchant_id, integration_id, str(exc))
        raise
    with session_scope(merchant_id) as session:
        row = session.get_one(Integration, integration_id)
        row.last_error = None
        row.updated_at = datetime.now(UTC)
        audit.record(session, "system", "catalogue.imported", target=store, products=imported)
    return imported


def _pages(
    kind: str, store: str, secrets: dict[str, str], transport: httpx.BaseTransport | None
) -> Iterator[list[products.ProductInfo]]:
    if kind == "woocommerce":
        if not secrets.get("consumer_key") or not secrets.get("consumer_secret"):
            raise InvalidInput("The REST consumer key and secret are needed to import products.")
        woo_client = WooCommerceClient(
            store, secrets["consumer_key"], secrets["consumer_secret"], transport=transport
        )
        try:
            for page in woo_client.products():
                yield _convert(page, woo.product_info)
        finally:
            woo_client.close()
    elif kind == "shopify":
        shop_client = ShopifyAdminClient(store, secrets.get("access_token", ""), transport)
        try:
            for page in shop_client.products():
                yield _convert(page, lambda node: shopify_graphql.product_info(node, store))
        finally:
            shop_client.close()
    else:
        raise InvalidInput(f"catalogue import is not available for {kind}")


def _convert(
    page: list[dict[str, Any]], convert: Callable[[dict[str, Any]], products.ProductInfo]
) -> list[products.ProductInfo]:
    converted = []
    for payload in page:
        try:
            converted.append(convert(payload))
        except ValueError:
            continue
    return converted


def _record_error(merchant_id: uuid.UUID, integration_id: uuid.UUID, message: str) -> None:
    with session_scope(merchant_id) as session:
        row = session.get_one(Integration, integration_id)
        row.last_error = message[:1000]
        row.updated_at = datetime.now(UTC)
