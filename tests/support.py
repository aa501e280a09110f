"""Shared test helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from recete_app.backend import db


def owner_sql(sql: str, **params: object) -> list[tuple[object, ...]]:
    """Run SQL as the schema owner with row-level security off (superuser test database): to
    arrange fixtures and inspect every tenant's rows."""
    with db.get_engine(owner=True).begin() as conn:
        conn.execute(sa.text("SET LOCAL row_security = off"))
        result = conn.execute(sa.text(sql), params)
        return [tuple(r) for r in result.all()] if result.returns_rows else []


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_bytes(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


def fixture_json(provider: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(fixture_bytes(provider, name))
    return loaded


def shopify_headers(
    body: bytes,
    secret: str,
    topic: str,
    *,
    shop: str = "lale-kozmetik.myshopify.com",
    webhook_id: str | None = None,
) -> dict[str, str]:
    """Headers exactly as Shopify sends them, signed like Shopify signs them."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-02T11:31:09.812Z",
        "X-Shopify-API-Version": "2026-10",
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
