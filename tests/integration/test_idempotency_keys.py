"""Idempotency-Key on a person's reply and template over the API: the same key again answers
as the first time and sends nothing; the key with another request is a 409; keys older than 30
days are forgotten by the daily maintenance job, each merchant's in its own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from recete_app.backend import idempotency
from recete_app.backend.accounts.sessions import log_in
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.journeys.settings import journey_for, journey_steps
from recete_app.backend.services.sandbox import write_as_customer
from tests.integration.journey_fixtures import PHONE, deliver, new_merchant
from tests.support import owner_sql

PASSWORD = "correct horse battery"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def _conversation(email: str) -> tuple[uuid.UUID, uuid.UUID, dict[str, str]]:
    merchant = new_merchant(email)
    deliver(merchant, datetime.now(UTC) - timedelta(days=1), phone=PHONE)
    conversation = write_as_customer(merchant, PHONE, "Does it suit oily skin?").conversation_id
    return merchant, conversation, {"Authorization": f"Bearer {log_in(email, PASSWORD).token}"}


def _persons_messages() -> list[tuple[object, ...]]:
    return owner_sql(
        "SELECT id, status FROM scheduled_messages WHERE idempotency_key LIKE 'human%' ORDER BY id"
    )


def test_a_reply_sent_again_with_its_key_is_sent_once(client: TestClient) -> None:
    _, conversation, auth = _conversation("owner@replies-once.com")
    url = f"/api/conversations/{conversation}/reply"
    keyed = {**auth, "Idempotency-Key": "reply-1"}

    first = client.post(url, json={"text": "Yes, it is oil-free."}, headers=keyed)
    again = client.post(url, json={"text": "Yes, it is oil-free."}, headers=keyed)

    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["outcome"] == again.json()["outcome"] == "sent"
    assert len(_persons_messages()) == 1
    human = [m for m in again.json()["thread"]["messages"] if m["author"] == "human"]
    assert len(human) == 1

    other = client.post(url, json={"text": "Something else"}, headers=keyed)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(_persons_messages()) == 1

    unkeyed = client.post(url, json={"text": "Yes, it is oil-free."}, headers=auth)
    assert unkeyed.status_code == 200 and len(_persons_messages()) == 2  # no key, no promise


def test_a_template_sent_again_with_its_key_is_sent_once(client: TestClient) -> None:
    merchant, conversation, auth = _conversation("owner@templates-once.com")
    with session_scope(merchant) as session:
        step_id = str(journey_steps(session, journey_for(session))[0].id)
    url = f"/api/conversations/{conversation}/template"
    keyed = {**auth, "Idempotency-Key": "template-1"}

    first = client.post(url, json={"step_id": step_id}, headers=keyed)
    again = client.post(url, json={"step_id": step_id}, headers=keyed)

    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["outcome"] == first.json()["outcome"]
    sent = owner_sql("SELECT count(*) FROM messages WHERE kind = 'template'")
    assert sent == [(1,)]


def test_a_key_on_one_route_does_not_replay_another_route(client: TestClient) -> None:
    merchant, conversation, auth = _conversation("owner@two-routes.com")
    with session_scope(merchant) as session:
        step_id = str(journey_steps(session, journey_for(session))[0].id)
    keyed = {**auth, "Idempotency-Key": "same-key"}
    base = f"/api/conversations/{conversation}"
    assert client.post(f"{base}/reply", json={"text": "Hi"}, headers=keyed).status_code == 200
    template = client.post(f"{base}/template", json={"step_id": step_id}, headers=keyed)
    assert template.status_code == 200
    assert owner_sql("SELECT count(*) FROM messages WHERE kind = 'template'") == [(1,)]


def test_keys_older_than_thirty_days_are_forgotten_in_every_store(client: TestClient) -> None:
    for email in ("owner@old-keys-a.com", "owner@old-keys-b.com"):
        _, conversation, auth = _conversation(email)
        for key in ("old", "new"):
            client.post(
                f"/api/conversations/{conversation}/reply",
                json={"text": key},
                headers={**auth, "Idempotency-Key": key},
            )
    owner_sql(
        "UPDATE idempotency_keys SET created_at = now() - interval '31 days' WHERE key = 'old'"
    )

    assert idempotency.forget_old_keys_of_all_merchants() == 2

    assert owner_sql("SELECT key FROM idempotency_keys ORDER BY key") == [("new",), ("new",)]
