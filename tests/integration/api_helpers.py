"""REST API test helpers: a client, signed-up stores with a Bearer header, keys by scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Store:
    merchant_id: uuid.UUID
    auth: dict[str, str]  # Bearer session of the store's owner


def sign_up(client: TestClient, name: str, email: str) -> Store:
    response = client.post(
        "/api/auth/signup", json={"store_name": name, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Store(uuid.UUID(body["merchant_id"]), {"Authorization": f"Bearer {body['token']}"})


def key_headers(client: TestClient, store: Store, scopes: list[str]) -> dict[str, str]:
    created = client.post("/api/api-keys", json={"scopes": scopes}, headers=store.auth)
    assert created.status_code == 201, created.text
    return {"X-Api-Key": created.json()["key"]}


def fields_named(response: Any) -> set[str]:
    """The fields a 422 names in its details."""
    assert response.status_code == 422, response.text
    details = response.json()["error"].get("details") or []
    return {str(d["field"]) for d in details}
