"""Reconciliation: webhooks can be late or lost, so recent orders are pulled again and applied
(idempotently) on a schedule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import Session, select

from recete_app.backend import integrations
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.commerce.shopify import graphql_normalize
from recete_app.backend.commerce.shopify.client import ShopifyAdminClient, ShopifyError
from recete_app.backend.db import session_scope
from recete_app.backend.models import Integration, IntegrationStatus
from recete_app.backend.tenants import ids_per_merchant

LOOKBACK = timedelta(hours=72)


def _active_shops(session: Session) -> list[uuid.UUID]:
    return list(
        session.exec(
            select(Integration.id).where(
                Integration.kind == "shopify", Integration.status == IntegrationStatus.ACTIVE
            )
        ).all()
    )


def shops_to_reconcile() -> list[tuple[uuid.UUID, uuid.UUID]]:
    return ids_per_merchant(_active_shops)


def reconcile_orders(
    merchant_id: uuid.UUID,
    integration_id: uuid.UUID,
    transport: httpx.BaseTransport | None = None,
    now: datetime | None = None,
) -> int:
    now = now or datetime.now(UTC)
    with session_scope(merchant_id) as session:
        row = session.get_one(Integration, integration_id)
        shop, token = row.external_id, integrations.read_secrets(row).get("access_token", "")
    client = ShopifyAdminClient(shop, token, transport)
    applied = 0
    try:
        for page in client.orders_updated_since((now - LOOKBACK).isoformat()):
            with session_scope(merchant_id) as session:
                for node in page:
                    try:
                        event = graphql_normalize.order_event(node)
                    except ValueError:
                        continue
                    apply_order_event(session, event)
                    applied += 1
    except ShopifyError as exc:
        _note(merchant_id, integration_id, error=f"reconciliation failed: {exc}")
        raise
    finally:
        client.close()
    _note(merchant_id, integration_id, reconciled_at=now.isoformat())
    return applied


def _note(
    merchant_id: uuid.UUID,
    integration_id: uuid.UUID,
    *,
    error: str | None = None,
    reconciled_at: str | None = None,
) -> None:
    with session_scope(merchant_id) as session:
        row = session.get_one(Integration, integration_id)
        if reconciled_at is not None:
            row.settings = {**row.settings, "reconciled_at": reconciled_at}
        row.last_error = error
        row.updated_at = datetime.now(UTC)
