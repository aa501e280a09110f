"""What needs the merchant now (the Overview): every kind counted from the store's own rows,
urgent conversations first, and nothing from another store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from recete_app.backend.services.attention import what_needs_you
from recete_app.backend.services.sandbox import write_as_customer
from recete_app.state.overview import attention_items
from tests.integration.journey_fixtures import connect_whatsapp, deliver, new_merchant
from tests.support import owner_sql


def _trouble(merchant_id: uuid.UUID) -> None:
    """Two conversations escalated (one urgent), a send in doubt, a broken number, a webhook
    that failed for good, and the journey turned off."""
    for phone in ("+905321110001", "+905321110002"):
        write_as_customer(merchant_id, phone, "Where is my order?")
    owner_sql(
        "UPDATE conversations SET status = 'needs_human', escalated_at = :at,"
        " urgent = (created_at = (SELECT min(created_at) FROM conversations"
        " WHERE merchant_id = :m))"
        " WHERE merchant_id = :m",
        m=merchant_id,
        at=datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
    )
    deliver(merchant_id, datetime.now(UTC) - timedelta(days=1), phone="+905321110003")
    owner_sql(
        "UPDATE scheduled_messages SET status = 'unknown' WHERE id = "
        "(SELECT id FROM scheduled_messages WHERE merchant_id = :m LIMIT 1)",
        m=merchant_id,
    )
    connect_whatsapp(merchant_id, "EAAG-token")
    owner_sql("UPDATE integrations SET status = 'broken' WHERE merchant_id = :m", m=merchant_id)
    owner_sql(
        "INSERT INTO external_events (id, merchant_id, provider, external_id, topic, raw_body,"
        " headers, status, attempts) VALUES (:id, :m, 'shopify', 'w-1', 'orders/create', '',"
        " '{}', 'failed', 5)",
        id=uuid.uuid4(),
        m=merchant_id,
    )
    owner_sql("UPDATE journeys SET enabled = false WHERE merchant_id = :m", m=merchant_id)


def test_each_thing_that_needs_the_merchant_is_counted_urgent_first() -> None:
    merchant_id = new_merchant()
    quiet = new_merchant("owner@quiet.example")
    _trouble(merchant_id)
    found = what_needs_you(merchant_id)
    assert (found.waiting, found.urgent, found.sends_in_doubt) == (2, 1, 1)
    assert found.oldest_waiting_since == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert found.stopped_connections == ["WhatsApp 106540352242922: broken"]
    assert (found.failed_webhooks, found.journey_off) == (1, True)
    items = attention_items(found)
    assert [item["key"] for item in items] == [
        "urgent",
        "waiting",
        "in-doubt",
        "connection",
        "failed-webhooks",
        "journey-off",
    ]
    assert items[0]["text"].startswith("1 urgent conversation(s)")
    assert "oldest since 2026-12-07 09:30 UTC" in items[1]["text"]

    calm = what_needs_you(quiet)
    assert not calm.anything and attention_items(calm) == []
