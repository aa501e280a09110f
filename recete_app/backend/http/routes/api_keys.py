"""/api/api-keys: create (the key is shown once), list, revoke. Creating and revoking take a
signed-in person: a key must not mint a longer-lived key or revoke its owner's other keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from recete_app.backend.accounts import api_keys
from recete_app.backend.accounts.scopes import SCOPES, Scope
from recete_app.backend.db import session_scope
from recete_app.backend.http.auth import AdminCaller, PersonCaller
from recete_app.backend.models import ApiKey

router = APIRouter(prefix="/api/api-keys", tags=["api-keys"])


class CreateKeyRequest(BaseModel):
    name: str = Field(default="", max_length=200)
    # Unset: the longest a key may live (RECETE_API_KEY_MAX_EXPIRY_DAYS, 365 by default).
    expires_days: int | None = Field(default=None, ge=1)
    # Unset: orders:write, enough for the generic order API; admin opens the REST API.
    scopes: list[Scope] | None = Field(default=None, max_length=len(SCOPES))


class KeyView(BaseModel):
    id: str
    name: str
    prefix: str
    state: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class CreatedKeyView(KeyView):
    key: str


def _view(row: ApiKey) -> KeyView:
    return KeyView(
        id=str(row.id),
        name=row.name,
        prefix=row.prefix,
        state=api_keys.key_state(row),
        scopes=row.scopes,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


@router.post("", status_code=201)
def create(body: CreateKeyRequest, caller: PersonCaller) -> CreatedKeyView:
    created = api_keys.issue_key(
        caller.merchant_id, caller.actor, body.name, body.expires_days, body.scopes
    )
    with session_scope(caller.merchant_id) as session:
        row = session.get_one(ApiKey, created.id)
    return CreatedKeyView(**_view(row).model_dump(), key=created.key)


@router.get("")
def list_keys(caller: AdminCaller) -> list[KeyView]:
    with session_scope(caller.merchant_id) as session:
        return [_view(row) for row in api_keys.list_keys(session)]


@router.delete("/{key_id}")
def revoke(key_id: uuid.UUID, caller: PersonCaller) -> KeyView:
    return _view(api_keys.withdraw_key(caller.merchant_id, caller.actor, key_id))
