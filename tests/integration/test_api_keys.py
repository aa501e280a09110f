"""API keys: shown once, only the hash stored, usable until revoked or expired, able to do only
what their scopes allow, and managed by signed-in people only."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.accounts.api_keys import expire_keys_for_all_merchants
from recete_app.backend.http.app import create_api
from tests.support import fixture_json, owner_sql

OWNER = {"store_name": "Glow", "email": "keys@glowskin.com", "password": "correct horse battery"}


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def session_auth(client: TestClient) -> dict[str, str]:
    token = client.post("/api/auth/signup", json=OWNER).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def new_key(client: TestClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    created = client.post("/api/api-keys", json=body, headers=auth)
    assert created.status_code == 201, created.text
    key: dict[str, Any] = created.json()
    return key


def test_created_key_is_shown_once_and_only_its_hash_is_stored(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    created = client.post("/api/api-keys", json={"name": "zapier"}, headers=session_auth)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("gg_live_")
    listed = client.get("/api/api-keys", headers=session_auth).json()
    assert [k["name"] for k in listed] == ["zapier"]
    assert "key" not in listed[0] and listed[0]["state"] == "active"
    assert key[:14] == listed[0]["prefix"]
    stored = owner_sql("SELECT key_hash, prefix FROM api_keys")
    assert all(key not in str(value) for row in stored for value in row)


def test_key_authenticates_by_header_or_bearer_until_revoked(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    created = new_key(client, session_auth, scopes=["admin"])
    for headers in ({"X-Api-Key": created["key"]}, {"Authorization": f"Bearer {created['key']}"}):
        me = client.get("/api/auth/me", headers=headers)
        assert me.status_code == 200 and me.json()["store_name"] == "Glow"
    revoked = client.delete(f"/api/api-keys/{created['id']}", headers=session_auth)
    assert revoked.json()["state"] == "revoked"
    refused = client.get("/api/auth/me", headers={"X-Api-Key": created["key"]})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"


def test_expired_key_is_refused_and_the_daily_job_closes_it_once(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    created = new_key(client, session_auth, expires_days=30, scopes=["admin"])
    assert client.get("/api/auth/me", headers={"X-Api-Key": created["key"]}).status_code == 200
    past = datetime.now(UTC) - timedelta(minutes=1)
    owner_sql("UPDATE api_keys SET expires_at = :t", t=past)
    assert client.get("/api/auth/me", headers={"X-Api-Key": created["key"]}).status_code == 401
    assert expire_keys_for_all_merchants() == 1
    assert expire_keys_for_all_merchants() == 0
    assert owner_sql("SELECT count(*) FROM audit_log WHERE action = 'api_key.expired'") == [(1,)]
    listed = client.get("/api/api-keys", headers=session_auth).json()
    assert listed[0]["state"] == "expired"


def test_bad_expiry_and_unknown_key_ids_are_clear_errors(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    bad = client.post("/api/api-keys", json={"expires_days": 0}, headers=session_auth)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "expires_days"
    missing = client.delete(
        "/api/api-keys/00000000-0000-0000-0000-000000000000", headers=session_auth
    )
    assert missing.status_code == 404
    malformed = client.delete("/api/api-keys/not-a-uuid", headers=session_auth)
    assert malformed.status_code == 422


def test_one_merchant_cannot_see_or_revoke_anothers_keys(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    created = client.post("/api/api-keys", json={"name": "mine"}, headers=session_auth).json()
    other = client.post("/api/auth/signup", json={**OWNER, "email": "other@shopmail.com"}).json()
    other_auth = {"Authorization": f"Bearer {other['token']}"}
    assert client.get("/api/api-keys", headers=other_auth).json() == []
    assert client.delete(f"/api/api-keys/{created['id']}", headers=other_auth).status_code == 404
    assert client.get("/api/api-keys", headers=session_auth).json()[0]["state"] == "active"


def test_a_new_key_sends_orders_but_cannot_use_the_rest_api(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    key = {"X-Api-Key": new_key(client, session_auth, name="back office")["key"]}
    order = copy.deepcopy(fixture_json("api", "order_created.json"))
    assert client.post("/webhooks/commerce/api", json=order, headers=key).status_code == 202
    for path in ("/api/conversations", "/api/auth/me", "/api/api-keys"):
        refused = client.get(path, headers=key)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "insufficient_scope"
    assert client.get("/api/api-keys", headers=session_auth).json()[0]["scopes"] == ["orders:write"]


def test_an_admin_key_uses_the_rest_api_but_cannot_create_or_revoke_keys(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    admin = new_key(client, session_auth, scopes=["admin"])
    other = new_key(client, session_auth, name="integration")
    key = {"X-Api-Key": admin["key"]}
    assert client.get("/api/conversations", headers=key).status_code == 200
    assert client.get("/api/api-keys", headers=key).status_code == 200
    order = copy.deepcopy(fixture_json("api", "order_created.json"))
    assert client.post("/webhooks/commerce/api", json=order, headers=key).status_code == 202
    for refused in (
        client.post("/api/api-keys", json={"scopes": ["admin"]}, headers=key),
        client.delete(f"/api/api-keys/{other['id']}", headers=key),
        client.delete(f"/api/api-keys/{admin['id']}", headers=key),
    ):
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "needs_signed_in_person"
    listed = client.get("/api/api-keys", headers=session_auth).json()
    assert [k["state"] for k in listed] == ["active", "active"]
    revoked = client.delete(f"/api/api-keys/{other['id']}", headers=session_auth)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"


def test_a_key_created_without_an_expiry_expires_at_the_cap(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    created = new_key(client, session_auth)
    expires_at = datetime.fromisoformat(created["expires_at"])
    cap = datetime.now(UTC) + timedelta(days=365)
    assert abs(expires_at - cap) < timedelta(minutes=1)
    assert owner_sql("SELECT count(*) FROM api_keys WHERE expires_at IS NULL") == [(0,)]


def test_an_expiry_past_the_cap_or_an_unknown_scope_is_refused(
    client: TestClient, session_auth: dict[str, str]
) -> None:
    too_long = client.post("/api/api-keys", json={"expires_days": 366}, headers=session_auth)
    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"][0]["field"] == "expires_days"
    unknown = client.post("/api/api-keys", json={"scopes": ["root"]}, headers=session_auth)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"].startswith("scopes")
    assert owner_sql("SELECT count(*) FROM api_keys") == [(0,)]
