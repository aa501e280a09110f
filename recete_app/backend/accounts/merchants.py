"""Finding a merchant by its owner's email (for the CLI)."""

from __future__ import annotations

import uuid

from sqlmodel import select

from recete_app.backend.accounts.signup import normalize_email
from recete_app.backend.db import session_scope
from recete_app.backend.errors import NotFound
from recete_app.backend.models import Account


def merchant_for_email(email: str) -> tuple[uuid.UUID, uuid.UUID]:
    """(merchant id, account id) of the account with this email."""
    clean = normalize_email(email)
    with session_scope(lookups={"login_email": clean}) as session:
        account = session.exec(select(Account).where(Account.email == clean)).first()
    if account is None:
        raise NotFound(f"No account with email {clean}.")
    return account.merchant_id, account.id
