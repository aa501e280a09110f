"""Connected stores and numbers: finding one from a webhook, reading its encrypted secrets."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlparse

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend import audit
from recete_app.backend.config import get_settings
from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.models import (
    Integration,
    IntegrationStatus,
    ScheduledMessage,
    ScheduledStatus,
)
from recete_app.backend.security.crypto import blind_index, decrypt_field, encrypt_field
from recete_app.backend.security.fields import INTEGRATION_SECRETS

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$")


def find_integration(kind: str, external_id: str) -> Integration | None:
    """Before the merchant is known: the webhook names its store."""
    key = f"{kind}:{external_id}"
    with session_scope(lookups={"integration_key": key}) as session:
        return session.exec(
            select(Integration).where(
                Integration.kind == kind, Integration.external_id == external_id
            )
        ).first()


def find_integration_by_id(kind: str, integration_id: uuid.UUID) -> Integration | None:
    """Before the merchant is known: the webhook URL names its integration."""
    with session_scope(lookups={"integration_id": str(integration_id)}) as session:
        row = session.get(Integration, integration_id)
    return row if row is not None and row.kind == kind else None


def read_secrets(integration: Integration) -> dict[str, str]:
    if not integration.secrets:
        return {}
    loaded = json.loads(decrypt_field(integration.secrets, INTEGRATION_SECRETS))
    return {str(k): str(v) for k, v in loaded.items()}


def connect(
    session: Session,
    actor: str,
    kind: str,
    external_id: str,
    secrets: dict[str, str],
    display_name: str = "",
) -> Integration:
    """Create or reconnect an integration; secrets are stored encrypted."""
    row = session.exec(
        select(Integration).where(Integration.kind == kind, Integration.external_id == external_id)
    ).first()
    if row is None:
        row = Integration(
            id=uuid.uuid4(),
            merchant_id=current_merchant_id(session),
            kind=kind,
            external_id=external_id,
        )
        session.add(row)
    row.secrets = encrypt_field(json.dumps(secrets), INTEGRATION_SECRETS) if secrets else None
    row.display_name = display_name or external_id
    row.status = IntegrationStatus.ACTIVE
    row.last_error = None
    row.updated_at = datetime.now(UTC)
    if kind == "whatsapp":
        _connect_whatsapp(session, row, secrets)
    session.flush()
    audit.record(session, actor, "integration.connected", target=f"{kind}:{external_id}")
    return row


def verify_token_index(token: str) -> str:
    """What finds a WhatsApp number from Meta's subscription check (which names only the token)."""
    return blind_index(f"whatsapp-verify:{token}")


def _connect_whatsapp(session: Session, row: Integration, secrets: dict[str, str]) -> None:
    token = secrets.get("verify_token")
    settings = {k: v for k, v in row.settings.items() if k != "verify_token_index"}
    if token:
        settings["verify_token_index"] = verify_token_index(token)
    row.settings = settings
    # Sends paused while the old token was expired go out now.
    session.execute(
        sa.update(ScheduledMessage)
        .where(col(ScheduledMessage.status) == ScheduledStatus.PAUSED)
        .values(status=ScheduledStatus.SCHEDULED, last_error=None, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )


WEBHOOK_PATHS = {
    "shopify": "/webhooks/commerce/shopify",
    "woocommerce": "/webhooks/commerce/woocommerce/{id}",
    "whatsapp": "/webhooks/whatsapp",
    "api": "/webhooks/commerce/api",
}


def webhook_url(integration: Integration) -> str | None:
    path = WEBHOOK_PATHS.get(integration.kind)
    if path is None:
        return None
    return get_settings().public_url.rstrip("/") + path.format(id=integration.id)


def normalized_shop_domain(raw: str) -> str:
    shop = raw.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not SHOP_DOMAIN.match(shop):
        raise InvalidInput(
            f"{raw!r} is not a Shopify shop domain (name.myshopify.com).", code="invalid_shop"
        )
    return shop


def normalized_store_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput(
            f"{raw!r} is not a store URL (https://shop.example.com).", code="invalid_url"
        )
    return f"{parsed.scheme}://{parsed.netloc.lower()}{parsed.path}"


def list_integrations(session: Session) -> list[Integration]:
    return list(session.exec(select(Integration).order_by(col(Integration.created_at))).all())


# Which fields of a connection form are secrets, by kind (stored encrypted; empty ones dropped).
SECRET_FIELDS = {
    "shopify": ("access_token", "api_secret"),
    "woocommerce": ("webhook_secret", "consumer_key", "consumer_secret"),
    "whatsapp": ("access_token", "app_secret", "verify_token"),
}


def connection_details(kind: str, fields: Mapping[str, object]) -> tuple[str, dict[str, str]]:
    """The store's identity and its secrets from a connection form (dashboard or CLI)."""

    def field(name: str) -> str:
        value = fields.get(name)
        return str(value).strip() if value is not None else ""

    if kind == "shopify":
        external_id = normalized_shop_domain(field("shop"))
    elif kind == "woocommerce":
        external_id = normalized_store_url(field("url"))
    elif kind == "whatsapp":
        external_id = field("phone_number_id")
    else:
        raise InvalidInput(f"Unknown integration kind {kind!r}.", code="unknown_kind")
    secrets = {name: field(name) for name in SECRET_FIELDS[kind]}
    return external_id, {name: value for name, value in secrets.items() if value}
