"""Shared set-up for the store-connection tests: a merchant with a connected Shopify shop."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import col, select

from recete_app.backend import integrations
from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.db import session_scope
from recete_app.backend.models import ExternalEvent
from recete_app.backend.services.webhook_processing import process_stored_event

SHOP = "lale-kozmetik.myshopify.com"
SHOP_SECRET = "shpss_custom_app_secret_0123456789abcdef"


@dataclass(frozen=True)
class Shop:
    merchant_id: uuid.UUID
    integration_id: uuid.UUID


def connect_shop(email: str = "owner@lalekozmetik.com", shop: str = SHOP) -> Shop:
    merchant = sign_up("Lale Kozmetik", email, "correct horse battery")
    with session_scope(merchant.merchant_id) as session:
        row = integrations.connect(
            session,
            "test",
            "shopify",
            shop,
            {"access_token": "shpat_test", "api_secret": SHOP_SECRET},
        )
        return Shop(merchant.merchant_id, row.id)


def process_pending(merchant_id: uuid.UUID) -> list[str]:
    with session_scope(merchant_id) as session:
        ids = session.exec(
            select(ExternalEvent.id)
            .where(ExternalEvent.status == "pending")
            .order_by(col(ExternalEvent.received_at))
        ).all()
    return [process_stored_event(merchant_id, event_id) for event_id in ids]
