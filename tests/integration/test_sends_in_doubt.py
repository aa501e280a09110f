"""Sends in doubt: an `unknown` row waits for a person, who sends it again or leaves it."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from recete_app.backend.db import session_scope
from recete_app.backend.errors import Conflict
from recete_app.backend.journeys.review import (
    LEFT_AS_IS,
    SENT_AGAIN,
    sends_in_doubt,
    settle_in_doubt,
)
from recete_app.backend.models import AuditLog
from tests.fakes.graph_api import FakeGraphApi
from tests.integration.journey_fixtures import dispatch_and_send
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
