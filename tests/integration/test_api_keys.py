"""API keys: shown once, only the hash stored, usable until revoked or expired."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.accounts.api_keys import expire_keys_for_all_merchants
from recete_app.backend.http.app import create_api
from tests.support import owner_sql

OWNER = {"store_name": "Glow", "email": "keys@glowskin.com", "password": "correct horse battery"}


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def session_auth(client: TestClient) -> dict[str, str]:
    token = client.post("/api/auth/signup", json=OWNER).json()["token"]
    return {"Authorization": f"Bearer {token}"}


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
    created = client.post("/api/api-keys", json={}, headers=session_auth).json()
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
    created = client.post("/api/api-keys", json={"expires_days": 30}, headers=session_auth).json()
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
