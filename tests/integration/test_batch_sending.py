"""Sending a merchant's due rows as one batch through a local Graph API: one read for all, the
requests in waves, each row once; a worker killed mid-batch leaves only its wave in doubt, and a
row the sweeper took back from a slow sender is sent by its new owner alone."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from recete_app.backend import db
from recete_app.backend.db import session_scope
from recete_app.backend.journeys import delivery
from recete_app.backend.messaging.outbox import sending
from recete_app.backend.messaging.outbox.dispatch import (
    SendOrder,
    claim_due,
    release_stale,
    send_orders,
)
from recete_app.backend.messaging.statuses import apply_status
from recete_app.backend.messaging.whatsapp.payloads import StatusUpdate
from tests.fakes.graph_api import FakeGraphApi
from tests.integration.journey_fixtures import (
    PHONE_NUMBER_ID,
    connect_whatsapp,
    deliver,
    new_merchant,
    send_around_the_clock,
)
from tests.support import owner_sql

CUSTOMERS = 25  # three waves of sending.WAVE (10)


def merchant_with_due_customers(
    graph: FakeGraphApi | None, customers: int, email: str = "owner@lalekozmetik.com"
) -> uuid.UUID:
    """A merchant whose `customers` customers each have their day-3 step due now (on the
    sandbox without a graph)."""
    merchant_id = new_merchant(email)
    send_around_the_clock(merchant_id)
    if graph is not None:
        connect_whatsapp(merchant_id, graph.token)
    delivered = datetime.now(UTC) - timedelta(days=3)
    for n in range(customers):
        deliver(
            merchant_id,
            delivered,
            order=str(1000 + n),
            customer=f"c-{n}",
            phone=f"+9053212{n:05d}",
            first_name=f"Müşteri{n}",
        )
    owner_sql(
        "UPDATE scheduled_messages SET due_at = now() - interval '1 second' "
        f"WHERE due_at < now() + interval '4 days' AND merchant_id = '{merchant_id}'"
    )
    return merchant_id


def one_order() -> SendOrder:
    orders = send_orders(claim_due())
    assert len(orders) == 1
    return orders[0]


def row_statuses() -> Counter[str]:
    return Counter(str(status) for (status,) in owner_sql("SELECT status FROM scheduled_messages"))


def accepted_per_row(graph: FakeGraphApi) -> Counter[str]:
    return Counter(str(r.body.get("biz_opaque_callback_data")) for r in graph.sent_messages())


def test_a_batch_sends_every_customers_step_once_and_records_each_message(
    graph: FakeGraphApi,
) -> None:
    merchant_with_due_customers(graph, CUSTOMERS)
    order = one_order()
    outcome = delivery.send_batch(order.merchant_id, order.rows)
    assert Counter(outcome.values()) == {"sent": CUSTOMERS}
    assert set(accepted_per_row(graph).values()) == {1} and len(graph.sent_messages()) == CUSTOMERS
    assert {r.body["to"] for r in graph.sent_messages()} == {
        f"9053212{n:05d}" for n in range(CUSTOMERS)
    }
    stored = owner_sql(
        "SELECT count(DISTINCT m.conversation_id), count(*) FROM messages m "
        "JOIN scheduled_messages s ON s.message_id = m.id WHERE s.status = 'sent'"
    )
    assert stored == [(CUSTOMERS, CUSTOMERS)]  # one conversation each, opened in one flush


def test_a_customers_second_step_in_the_same_batch_waits_for_another_day(
    graph: FakeGraphApi,
) -> None:
    merchant_id = merchant_with_due_customers(graph, 1)
    owner_sql("UPDATE journey_steps SET link = 'https://lalekozmetik.com/review'")
    owner_sql("UPDATE scheduled_messages SET due_at = now() - interval '1 second'")
    order = one_order()
    assert len(order.rows) == 2
    outcome = delivery.send_batch(merchant_id, order.rows)
    assert sorted(outcome.values()) == ["moved", "sent"]
    assert len(graph.sent_messages()) == 1


def test_a_worker_killed_mid_batch_leaves_only_the_wave_in_flight_in_doubt(
    graph: FakeGraphApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    merchant_id = merchant_with_due_customers(graph, CUSTOMERS)
    record = sending._record
    calls = 0

    def killed_after_the_second_wave_left(*args: Any) -> dict[uuid.UUID, str]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise SystemExit("SIGKILL")  # the second wave's requests left; its answers are lost
        return record(*args)

    monkeypatch.setattr(sending, "_record", killed_after_the_second_wave_left)
    order = one_order()
    with pytest.raises(SystemExit):
        delivery.send_batch(merchant_id, order.rows)
    monkeypatch.setattr(sending, "_record", record)

    owner_sql("UPDATE scheduled_messages SET lease_until = now() - interval '1 second'")
    assert release_stale() == {"unknown": sending.WAVE, "scheduled": CUSTOMERS - 2 * sending.WAVE}
    # WhatsApp reports every message it accepted, tagged with the row: the unknown ones settle.
    for request in graph.sent_messages():
        with session_scope(merchant_id) as session:
            apply_status(
                session,
                StatusUpdate(
                    PHONE_NUMBER_ID,
                    str(request.message_id),
                    "sent",
                    datetime.now(UTC),
                    None,
                    str(request.body["biz_opaque_callback_data"]),
                    (),
                ),
            )
    resumed = one_order()
    assert len(resumed.rows) == CUSTOMERS - 2 * sending.WAVE  # never-sent rows, and only those
    delivery.send_batch(merchant_id, resumed.rows)
    assert row_statuses() == {"sent": CUSTOMERS, "scheduled": CUSTOMERS}  # + the day-14 steps
    assert len(accepted_per_row(graph)) == CUSTOMERS and set(accepted_per_row(graph).values()) == {
        1
    }


def test_a_row_taken_back_from_a_slow_sender_is_sent_by_its_new_owner_only(
    graph: FakeGraphApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    merchant_id = merchant_with_due_customers(graph, 15)
    stamp = sending._stamp
    taken: list[uuid.UUID] = []

    def sweeper_took_one_back_first(
        merchant: uuid.UUID, wave: list[sending.Leaving], rest: list[sending.Leaving]
    ) -> set[uuid.UUID]:
        if not taken and len(rest) < 15:  # the second wave, about to leave
            taken.append(wave[0].row_id)
            owner_sql(  # the lease ran out, the sweeper released it, a dispatcher claimed it
                "UPDATE scheduled_messages SET status = 'queued', claims = claims + 1, "
                "request_started_at = NULL, lease_until = now() + interval '60 seconds' "
                "WHERE id = :i",
                i=wave[0].row_id,
            )
        return stamp(merchant, wave, rest)

    monkeypatch.setattr(sending, "_stamp", sweeper_took_one_back_first)
    order = one_order()
    outcome = delivery.send_batch(merchant_id, order.rows)
    assert outcome[taken[0]] == "not_queued"
    assert Counter(outcome.values()) == {"sent": 14, "not_queued": 1}
    (claims,) = owner_sql("SELECT claims FROM scheduled_messages WHERE id = :i", i=taken[0])[0]
    assert delivery.send_scheduled(merchant_id, taken[0], int(str(claims))) == "sent"
    assert set(accepted_per_row(graph).values()) == {1} and len(graph.sent_messages()) == 15


def test_a_claim_takes_each_waiting_merchants_oldest_rows_not_the_oldest_rows_overall(
    graph: FakeGraphApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sender runs are one merchant's rows: a claim that took the oldest rows overall would
    give a busy merchant all of it, and spread over many merchants it made runs of 2-3 rows."""
    monkeypatch.setattr("recete_app.backend.messaging.outbox.dispatch.PER_MERCHANT", 3)
    busy = merchant_with_due_customers(graph, 5)
    owner_sql(
        f"UPDATE scheduled_messages SET due_at = now() - interval '1 hour' "
        f"WHERE merchant_id = '{busy}' AND due_at < now()"
    )
    other = merchant_with_due_customers(None, 2, email="owner@ikinci.example")
    claims = claim_due(batch=4)
    assert Counter(claim.merchant_id for claim in claims) == {busy: 3, other: 1}
    assert [len(order.rows) for order in send_orders(claims, size=3)] == [3, 1]


def test_a_claimed_row_another_transaction_holds_for_a_moment_is_sent_now_not_after_its_lease(
    graph: FakeGraphApi,
) -> None:
    # A dispatcher's claim statement can lock a row it then does not take (its snapshot saw the
    # row still `scheduled`); a sender that skipped such a row left it `queued` for a whole lease.
    merchant_id = merchant_with_due_customers(graph, 3)
    order = one_order()
    held = order.rows[1][0]
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        with db.get_engine(owner=True).begin() as conn:
            conn.execute(
                sa.text("SELECT 1 FROM scheduled_messages WHERE id = :i FOR UPDATE"), {"i": held}
            )
            locked.set()
            release.wait(5)

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    assert locked.wait(5)
    threading.Timer(0.3, release.set).start()
    outcome = delivery.send_batch(merchant_id, order.rows)
    holder.join()
    assert Counter(outcome.values()) == {"sent": 3}
    assert len(accepted_per_row(graph)) == 3
