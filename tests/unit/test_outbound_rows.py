"""New outbound rows come from one constructor, whoever sends: journey steps, the agent's
replies, a person's messages, opt-out confirmations."""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from recete_app.backend.messaging.outbox import schedule
from recete_app.backend.messaging.outbox.schedule import SCHEDULED, TEXT_REPLY, outbound_row

BACKEND = Path(schedule.__file__).parents[2]


def test_a_new_row_is_the_tenants_due_now_and_never_tried() -> None:
    merchant, customer = uuid.uuid4(), uuid.uuid4()
    session = Session(info={"merchant_id": str(merchant)})
    before = datetime.now(UTC)
    row = outbound_row(session, customer, kind=TEXT_REPLY, key="reply:1", payload={"text": "hi"})
    assert (row.merchant_id, row.customer_id) == (merchant, customer)
    assert row.idempotency_key == "reply:1"
    assert (row.kind, row.status, row.attempts, row.claims) == (TEXT_REPLY, SCHEDULED, 0, 0)
    assert before <= row.due_at == row.created_at < before + timedelta(seconds=5)
    assert row.order_id is None and row.step_id is None and row.last_error is None


def test_only_the_outbox_constructor_builds_scheduled_message_rows() -> None:
    builders = []
    for path in BACKEND.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ScheduledMessage":
                builders.append(str(path.relative_to(BACKEND)))
    assert builders == ["messaging/outbox/schedule.py"]
