"""The audit log: who did what, for the merchant to read."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from recete_app.backend.db import current_merchant_id
from recete_app.backend.logs import current_request_id
from recete_app.backend.models import AuditLog


def record(session: Session, actor: str, action: str, target: str = "", **details: Any) -> AuditLog:
    entry = AuditLog(
        merchant_id=current_merchant_id(session),
        actor=actor,
        action=action,
        target=target,
        details=details,
        request_id=current_request_id(),
    )
    session.add(entry)
    return entry
