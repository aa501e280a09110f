from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr

from recete_app.backend.config import Settings
from recete_app.backend.http.app import create_api


def _settings(**limits: int) -> Settings:
    return Settings.model_validate(
        {"secret_key": SecretStr("rate-limit-secret-" + "r" * 40), **limits}
    )


def _sign_up(client: TestClient, email: str) -> str:
    body = {"store_name": "Glow", "email": email, "password": "correct horse battery"}
    token: str = client.post("/api/auth/signup", json=body).json()["token"]
    return token


def test_per_ip_limit_answers_429_with_retry_after() -> None:
    with TestClient(create_api(_settings(rate_limit_ip_per_minute=3))) as client:
        codes = [client.get("/api/auth/me").status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        limited = client.get("/api/auth/me")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["error"]["code"] == "rate_limited"
        # Health and metrics are not API traffic and stay reachable.
        assert client.get("/health").status_code == 200


def test_per_api_key_limit_answers_429(clean_db: str) -> None:
    with TestClient(create_api(_settings(rate_limit_api_key_per_hour=2))) as client:
        token = _sign_up(client, "limits@glowskin.com")
        key = client.post(
            "/api/api-keys",
            json={"scopes": ["admin"]},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["key"]
        codes = [
            client.get("/api/auth/me", headers={"X-Api-Key": key}).status_code for _ in range(3)
        ]
        assert codes == [200, 200, 429]


def test_per_merchant_limit_covers_sessions_too(clean_db: str) -> None:
    with TestClient(create_api(_settings(rate_limit_merchant_per_hour=2))) as client:
        token = _sign_up(client, "merchant-limit@glowskin.com")
        auth = {"Authorization": f"Bearer {token}"}
        codes = [client.get("/api/auth/me", headers=auth).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
