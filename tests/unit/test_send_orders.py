"""The dispatcher's claims become sender runs: one merchant's rows each, in claim order, at most
SEND_BATCH rows a run."""

from __future__ import annotations

import uuid

from recete_app.backend.messaging.outbox.dispatch import Claim, send_orders


def test_claims_are_grouped_by_merchant_in_claim_order_and_split_at_the_batch_size() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    rows = [uuid.uuid4() for _ in range(7)]
    claims = [Claim(first if n % 3 else second, row, n) for n, row in enumerate(rows)]
    orders = send_orders(claims, size=3)
    assert [(order.merchant_id, len(order.rows)) for order in orders] == [
        (second, 3),
        (first, 3),
        (first, 1),
    ]
    assert [
        row for order in orders for row, _claim in order.rows if order.merchant_id == first
    ] == [rows[n] for n in range(7) if n % 3]
    assert orders[0].rows[0] == (rows[0], 0)


def test_no_claims_no_sender_runs() -> None:
    assert send_orders([]) == []
