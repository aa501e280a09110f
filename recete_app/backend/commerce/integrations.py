"""Connected stores and numbers: finding one from a webhook, reading its encrypted secrets."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlmodel import Session, select

from recete_app.backend import audit
from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.models import Integration
from recete_app.backend.security.crypto import decrypt_field, encrypt_field
from recete_app.backend.security.fields import INTEGRATION_SECRETS


def find_integration(kind: str, external_id: str) -> Integration | None:
    """Before the merchant is known: the webhook names its store."""
    key = f"{kind}:{external_id}"
    with session_scope(lookups={"integration_key": key}) as session:
        return session.exec(
            select(Integration).where(
                Integration.kind == kind, Integration.external_id == external_id
            )
        ).first()


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
    row.status = "active"
    row.last_error = None
    row.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor, "integration.connected", target=f"{kind}:{external_id}")
    return row
