from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.config import get_settings
from recete_app.backend.http.app import create_api


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def test_health_and_ready_answer_when_the_database_does(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


def test_ready_is_503_when_configured_redis_does_not_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECETE_REDIS_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    try:
        ready = client.get("/ready")
    finally:
        monkeypatch.delenv("RECETE_REDIS_URL")
        get_settings.cache_clear()
    assert ready.status_code == 503
    body = ready.json()["error"]
    assert body["code"] == "not_ready" and "redis: unreachable" in body["message"]


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    client.get("/api/auth/me")
    client.delete("/api/api-keys/00000000-0000-0000-0000-000000000000")
    text = client.get("/metrics").text
    assert 'recete_http_requests_total{method="GET",route="/api/auth/me",status="401"}' in text
    assert 'route="/api/api-keys/{key_id}",status="401"' in text
    assert (
        'recete_http_request_duration_seconds_bucket{le="0.005",method="GET",'
        'route="/api/auth/me"}' in text
    )


def test_openapi_document_describes_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {"/api/auth/signup", "/api/auth/login", "/api/api-keys"} <= set(spec["paths"])
