"""Retention: each store's message bodies and webhook bodies are blanked past the days its
settings give (400 / 30 / 90 by default), in batches, audited with counts; rows stay, so counts
and duplicate detection hold; another store's data follows its own settings; a second run in
the same day does nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.intake.erasure import ERASED_BODY
from recete_app.backend.intake.events import event_payload_text, store_event
from recete_app.backend.models import ExternalEvent
from recete_app.backend.services import retention
from recete_app.backend.services.sandbox import write_as_customer
from tests.integration.api_helpers import fields_named, sign_up
from tests.support import owner_sql

NOW = datetime.now(UTC)


def _store(client: TestClient, name: str) -> tuple[uuid.UUID, dict[str, str]]:
    store = sign_up(client, name, f"owner@{name.lower().replace(' ', '')}.com")
    return store.merchant_id, store.auth


@pytest.fixture()
def client() -> TestClient:
    return TestClient(create_api(), raise_server_exceptions=False)


def _messages(merchant_id: uuid.UUID, ages_in_days: list[int]) -> None:
    """A conversation, then its messages' times set to these ages."""
    for index, _age in enumerate(ages_in_days):
        write_as_customer(merchant_id, "+905321234567", f"message {index}")
    rows = owner_sql(
        "SELECT id FROM messages WHERE merchant_id = :m AND direction = 'inbound' "
        "ORDER BY created_at",
        m=merchant_id,
    )
    for (message_id,), age in zip(rows, ages_in_days, strict=True):
        owner_sql(
            "UPDATE messages SET created_at = :t WHERE id = :i",
            t=NOW - timedelta(days=age),
            i=message_id,
        )


def _event(merchant_id: uuid.UUID, status: str, age: int) -> uuid.UUID:
    event_id = store_event(
        merchant_id,
        provider="api",
        external_id=str(uuid.uuid4()),
        topic="order.created",
        raw_body='{"phone": "+905321234567"}',
        headers={},
        status=status,
    )
    assert event_id is not None
    owner_sql(
        "UPDATE external_events SET received_at = :t WHERE id = :i",
        t=NOW - timedelta(days=age),
        i=event_id,
    )
    return event_id


def _body(merchant_id: uuid.UUID, event_id: uuid.UUID) -> tuple[str, str]:
    with session_scope(merchant_id) as session:
        event = session.get_one(ExternalEvent, event_id)
        return event.status, event_payload_text(event)


def _inbound_bodies(merchant_id: uuid.UUID) -> list[object]:
    rows = owner_sql(
        "SELECT body FROM messages WHERE merchant_id = :m AND direction = 'inbound' "
        "ORDER BY created_at",
        m=merchant_id,
    )
    return [row[0] for row in rows]


def test_bodies_past_their_time_are_blanked_and_the_rows_kept(client: TestClient) -> None:
    merchant, _ = _store(client, "Lale Kozmetik")
    _messages(merchant, [500, 401, 10])
    old_handled = _event(merchant, "processed", 31)
    new_handled = _event(merchant, "processed", 5)
    old_failed = _event(merchant, "failed", 91)
    new_failed = _event(merchant, "failed", 40)
    pending = _event(merchant, "pending", 60)

    swept = retention.apply_retention(merchant, NOW)

    assert swept == retention.Swept(message_bodies=2, webhook_bodies=1, failed_events=1)
    assert _inbound_bodies(merchant) == ["", "", "message 2"]
    assert _body(merchant, old_handled) == ("processed", ERASED_BODY)
    assert _body(merchant, new_handled)[1] != ERASED_BODY
    assert _body(merchant, old_failed) == ("ignored", ERASED_BODY)
    assert _body(merchant, new_failed) == ("failed", '{"phone": "+905321234567"}')
    assert _body(merchant, pending)[1] != ERASED_BODY  # its change is still to be applied
    audited = owner_sql("SELECT details FROM audit_log WHERE action = 'retention.applied'")
    counts = {
        "message_bodies": 2,
        "webhook_bodies": 1,
        "failed_events": 1,
        "sent_payloads": 0,
        "data_request_exports": 0,
        "customer_exports": 0,
    }
    assert audited == [(counts,)]

    assert retention.apply_retention(merchant, NOW).total == 0  # the same day again: nothing
    assert len(owner_sql("SELECT 1 FROM audit_log WHERE action = 'retention.applied'")) == 1


def test_a_shorter_retention_set_in_the_settings_applies_at_the_next_sweep(
    client: TestClient,
) -> None:
    merchant, auth = _store(client, "Lale Kozmetik")
    other, _ = _store(client, "Papatya Cosmetics")
    _messages(merchant, [45, 10])
    _messages(other, [45, 10])
    retention.apply_retention_everywhere(NOW)
    assert _inbound_bodies(merchant) == ["message 0", "message 1"]

    changed = client.patch("/api/merchants/me", json={"retention_message_days": 30}, headers=auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["retention_message_days"] == 30
    retention.apply_retention_everywhere(NOW)

    assert _inbound_bodies(merchant) == ["", "message 1"]
    assert _inbound_bodies(other) == ["message 0", "message 1"]  # its own 400 days


@pytest.mark.parametrize(
    "field", ["retention_message_days", "retention_webhook_days", "retention_failed_event_days"]
)
def test_a_retention_outside_1_to_3650_days_is_refused_by_name(
    client: TestClient, field: str
) -> None:
    _, auth = _store(client, "Lale Kozmetik")
    for days in (0, 3651):
        response = client.patch("/api/merchants/me", json={field: days}, headers=auth)
        assert fields_named(response) == {field}
    assert client.get("/api/merchants/me", headers=auth).json()[field] in (400, 30, 90)


def test_large_backlogs_are_swept_in_batches(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)
    merchant, _ = _store(client, "Lale Kozmetik")
    _messages(merchant, [800, 700, 600, 500, 450])
    for _ in range(3):
        _event(merchant, "failed", 100)
    swept = retention.apply_retention(merchant, NOW)
    assert (swept.message_bodies, swept.failed_events) == (5, 3)
    assert set(_inbound_bodies(merchant)) == {""}


def _unanswered(merchant: uuid.UUID, body: str) -> None:
    owner_sql(
        "UPDATE messages SET status = 'received' WHERE body = :b AND merchant_id = :m",
        b=body,
        m=merchant,
    )


def test_a_message_the_agent_has_not_answered_yet_keeps_its_text(client: TestClient) -> None:
    merchant, _ = _store(client, "Lale Kozmetik")
    _messages(merchant, [501, 403])
    _unanswered(merchant, "message 1")
    assert retention.apply_retention(merchant, NOW).message_bodies == 1
    assert _inbound_bodies(merchant) == ["", "message 1"]


def test_a_message_answered_after_the_sweep_passed_it_is_blanked_at_the_next(
    client: TestClient,
) -> None:
    merchant, _ = _store(client, "Lale Kozmetik")
    _messages(merchant, [402])
    _unanswered(merchant, "message 0")
    assert retention.apply_retention(merchant, NOW).message_bodies == 0
    owner_sql("UPDATE messages SET status = 'handled' WHERE merchant_id = :m", m=merchant)
    assert retention.apply_retention(merchant, NOW + timedelta(days=1)).message_bodies == 1
    assert _inbound_bodies(merchant) == [""]


def test_a_message_never_answered_keeps_its_text_only_a_week_past_its_retention(
    client: TestClient,
) -> None:
    merchant, _ = _store(client, "Lale Kozmetik")
    _messages(merchant, [401])
    _unanswered(merchant, "message 0")
    assert retention.apply_retention(merchant, NOW).message_bodies == 0
    later = NOW + retention.LOOKBACK + timedelta(days=1)
    assert retention.apply_retention(merchant, later).message_bodies == 1


def test_a_message_stored_behind_the_last_sweep_is_blanked_at_the_next(
    client: TestClient,
) -> None:
    """WhatsApp delivers a message late with the time it was written, which can lie behind
    where the last sweep stopped."""
    merchant, _ = _store(client, "Lale Kozmetik")
    retention.apply_retention(merchant, NOW)
    _messages(merchant, [403])  # arrives after the sweep, dated before its cutoff
    assert retention.apply_retention(merchant, NOW + timedelta(days=1)).message_bodies == 1


def test_a_webhook_handled_after_the_sweep_passed_it_is_blanked_at_the_next(
    client: TestClient,
) -> None:
    merchant, _ = _store(client, "Lale Kozmetik")
    late = _event(merchant, "pending", 31)
    assert retention.apply_retention(merchant, NOW).webhook_bodies == 0
    owner_sql("UPDATE external_events SET status = 'processed' WHERE id = :i", i=late)
    assert retention.apply_retention(merchant, NOW + timedelta(days=1)).webhook_bodies == 1
    assert _body(merchant, late) == ("processed", ERASED_BODY)


def test_rows_blanked_already_are_not_written_again(client: TestClient) -> None:
    merchant, _ = _store(client, "Lale Kozmetik")
    _messages(merchant, [402, 401])
    _event(merchant, "processed", 32)
    first = retention.apply_retention(merchant, NOW)
    assert (first.message_bodies, first.webhook_bodies) == (2, 1)
    assert retention.apply_retention(merchant, NOW + timedelta(days=1)).total == 0


def test_a_sent_replys_text_goes_with_the_messages_but_one_in_doubt_keeps_it(
    client: TestClient,
) -> None:
    merchant, _ = _store(client, "Lale Kozmetik")
    _messages(merchant, [10])
    replies = owner_sql(
        "SELECT id FROM scheduled_messages WHERE merchant_id = :m AND kind = 'text_reply'",
        m=merchant,
    )
    assert replies, "the agent's reply is planned as a scheduled message"
    owner_sql(
        "UPDATE scheduled_messages SET due_at = :t, status = 'sent' WHERE merchant_id = :m",
        t=NOW - timedelta(days=500),
        m=merchant,
    )
    doubt = owner_sql(
        "INSERT INTO scheduled_messages (id, merchant_id, customer_id, kind, due_at, status,"
        " payload, idempotency_key, attempts, claims, created_at)"
        " SELECT gen_random_uuid(), merchant_id, customer_id, kind, due_at, 'unknown', payload,"
        " 'doubt-1', 0, 0, now()"
        " FROM scheduled_messages WHERE merchant_id = :m LIMIT 1 RETURNING id",
        m=merchant,
    )

    swept = retention.apply_retention(merchant, NOW)

    assert swept.sent_payloads == len(replies)
    payloads = owner_sql(
        "SELECT status, payload FROM scheduled_messages WHERE merchant_id = :m", m=merchant
    )
    assert {(s, str(p)) for s, p in payloads if s == "sent"} == {
        ("sent", "{'erased': 'retention'}")
    }
    kept = [p for s, p in payloads if s == "unknown"]
    assert len(doubt) == 1 and kept and kept[0] != {"erased": "retention"}


def test_a_shopify_data_requests_export_is_kept_as_long_as_a_webhook_body(
    client: TestClient,
) -> None:
    merchant, _ = _store(client, "Lale Kozmetik")
    for age, request in ((40, "dr-old"), (5, "dr-new")):
        owner_sql(
            "INSERT INTO audit_log (id, merchant_id, actor, action, target, details, created_at)"
            " VALUES (gen_random_uuid(), :m, 'shopify', 'privacy.data_request', :r,"
            " CAST(:d AS jsonb), :t)",
            m=merchant,
            r=request,
            d='{"export": [{"customer": {"phone": "+905321234567"}}]}',
            t=NOW - timedelta(days=age),
        )
    assert retention.apply_retention(merchant, NOW).data_request_exports == 1
    found = owner_sql(
        "SELECT target, details->'export' FROM audit_log WHERE action = 'privacy.data_request'"
    )
    rows = {str(target): export for target, export in found}
    assert rows["dr-old"] == [] and rows["dr-new"] != []
