"""Sends in doubt: an `unknown` row waits for a person, who sends it again or leaves it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from recete_app.backend.db import session_scope
from recete_app.backend.errors import Conflict
from recete_app.backend.messaging.outbox.review import (
    LEFT_AS_IS,
    SENT_AGAIN,
    sends_in_doubt,
    settle_in_doubt,
)
from recete_app.backend.messaging.outbox.sending import callback_data
from recete_app.backend.messaging.statuses import apply_status
from recete_app.backend.messaging.whatsapp.payloads import StatusError, StatusUpdate
from recete_app.backend.models import AuditLog, Message
from tests.fakes.graph_api import FakeGraphApi
from tests.integration.journey_fixtures import PHONE_NUMBER_ID, dispatch_and_send
from tests.integration.test_journey_sending import (
    first_row,
    make_first_due,
    merchant_with_planned_order,
)


def in_doubt(graph: FakeGraphApi) -> tuple[uuid.UUID, uuid.UUID]:
    """A merchant whose day-3 message's answer was lost: (merchant id, row id)."""
    merchant_id = merchant_with_planned_order(graph)
    make_first_due()
    graph.drop_next()
    assert dispatch_and_send() == ["unknown"]
    return merchant_id, first_row(merchant_id).id


def test_a_send_in_doubt_is_listed_with_what_the_customer_would_read(graph: FakeGraphApi) -> None:
    merchant_id, row_id = in_doubt(graph)
    with session_scope(merchant_id) as session:
        [doubt] = sends_in_doubt(session)
    assert doubt.id == row_id and doubt.customer_name == "Ayşe"
    assert doubt.step_position == 1 and doubt.attempted_at is not None
    assert doubt.text.startswith("Hi Ayşe") and "may have reached WhatsApp" in doubt.reason


def test_sending_again_goes_out_once_more_and_is_audited(graph: FakeGraphApi) -> None:
    merchant_id, row_id = in_doubt(graph)
    with session_scope(merchant_id) as session:
        settle_in_doubt(session, "owner@lalekozmetik.com", row_id, send_again=True)
    assert dispatch_and_send() == ["sent"]
    assert len(graph.requests) == 2  # the lost one and the one the merchant asked for
    row = first_row(merchant_id)
    assert row.status == "sent" and row.message_id is not None
    with session_scope(merchant_id) as session:
        assert sends_in_doubt(session) == []
        actions = session.exec(select(AuditLog.action)).all()
    assert "schedule.sent_again" in actions


def test_leaving_it_settles_the_row_and_sends_nothing(graph: FakeGraphApi) -> None:
    merchant_id, row_id = in_doubt(graph)
    with session_scope(merchant_id) as session:
        settle_in_doubt(session, "owner@lalekozmetik.com", row_id, send_again=False)
    assert dispatch_and_send() == []
    row = first_row(merchant_id)
    assert (row.status, row.last_error) == ("cancelled", LEFT_AS_IS)
    assert len(graph.requests) == 1


def test_a_row_settled_meanwhile_cannot_be_sent_again(graph: FakeGraphApi) -> None:
    merchant_id, row_id = in_doubt(graph)
    with session_scope(merchant_id) as session:
        settle_in_doubt(session, "owner@lalekozmetik.com", row_id, send_again=True)
    with pytest.raises(Conflict), session_scope(merchant_id) as session:
        settle_in_doubt(session, "owner@lalekozmetik.com", row_id, send_again=True)
    assert first_row(merchant_id).last_error == SENT_AGAIN


def decided(graph: FakeGraphApi, *, send_again: bool) -> tuple[uuid.UUID, uuid.UUID]:
    """A send in doubt a person has reviewed."""
    merchant_id, row_id = in_doubt(graph)
    with session_scope(merchant_id) as session:
        settle_in_doubt(session, "owner@lalekozmetik.com", row_id, send_again=send_again)
    return merchant_id, row_id


def late_report(merchant_id: uuid.UUID, row_id: uuid.UUID, status: str) -> str:
    """WhatsApp's report on the lost send arrives after a person decided."""
    errors = (StatusError(131026, "Message undeliverable", None),) if status == "failed" else ()
    with session_scope(merchant_id) as session:
        return apply_status(
            session,
            StatusUpdate(
                PHONE_NUMBER_ID,
                "wamid.lost-answer",
                status,
                datetime.now(UTC),
                None,
                callback_data(row_id),
                errors,
            ),
        )


def outbound(merchant_id: uuid.UUID) -> list[tuple[str | None, str]]:
    with session_scope(merchant_id) as session:
        return [
            (m.provider_message_id, m.status)
            for m in session.exec(select(Message).where(Message.direction == "outbound")).all()
        ]


def test_a_late_report_on_a_send_left_as_is_records_that_it_arrived(graph: FakeGraphApi) -> None:
    merchant_id, row_id = decided(graph, send_again=False)
    assert late_report(merchant_id, row_id, "delivered") == "updated"
    row = first_row(merchant_id)
    assert row.status == "sent" and row.message_id is not None
    assert outbound(merchant_id) == [("wamid.lost-answer", "delivered")]
    assert len(graph.requests) == 1


def test_proof_that_it_arrived_spares_the_customer_the_copy_sent_again(
    graph: FakeGraphApi,
) -> None:
    merchant_id, row_id = decided(graph, send_again=True)
    late_report(merchant_id, row_id, "sent")
    assert dispatch_and_send() == []
    assert len(graph.requests) == 1  # only the first attempt
    assert first_row(merchant_id).status == "sent"
    assert outbound(merchant_id) == [("wamid.lost-answer", "sent")]


def test_a_late_failure_report_leaves_the_copy_sent_again_to_go(graph: FakeGraphApi) -> None:
    merchant_id, row_id = decided(graph, send_again=True)
    assert late_report(merchant_id, row_id, "failed") == "unknown_message"
    assert dispatch_and_send() == ["sent"]
    assert len(graph.requests) == 2


def test_a_late_failure_report_on_a_send_left_as_is_shows_why_it_failed(
    graph: FakeGraphApi,
) -> None:
    merchant_id, row_id = decided(graph, send_again=False)
    assert late_report(merchant_id, row_id, "failed") == "failed"
    row = first_row(merchant_id)
    assert row.status == "failed" and "131026" in (row.last_error or "")
    assert outbound(merchant_id) == [("wamid.lost-answer", "failed")]
