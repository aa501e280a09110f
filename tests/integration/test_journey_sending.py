"""Sending due journey messages through a local server that answers like the Graph API: the
template as Meta expects it, exactly once, retried or failed by Meta's error codes, paused on an
expired token, and never resent blindly when an answer is lost."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlmodel import select

from recete_app.backend.db import session_scope
from recete_app.backend.journeys.delivery import send_scheduled
from recete_app.backend.journeys.settings import journey_for
from recete_app.backend.messaging.outbox.dispatch import claim_due, release_stale
from recete_app.backend.messaging.outbox.send_failures import MAX_ATTEMPTS
from recete_app.backend.models import Integration, Message, ScheduledMessage
from tests.fakes.graph_api import FakeGraphApi
from tests.integration.journey_fixtures import (
    PHONE_NUMBER_ID,
    connect_whatsapp,
    deliver,
    dispatch_and_send,
    make_due,
    new_merchant,
    send_around_the_clock,
)
from tests.support import owner_sql


def merchant_with_planned_order(graph: FakeGraphApi | None) -> uuid.UUID:
    merchant_id = new_merchant()
    send_around_the_clock(merchant_id)
    if graph is not None:
        connect_whatsapp(merchant_id, graph.token)
    deliver(merchant_id, datetime.now(UTC) - timedelta(days=3))
    return merchant_id


def make_first_due() -> None:
    """The day-3 step is due now; day 14 stays in the future."""
    owner_sql(
        "UPDATE scheduled_messages SET due_at = now() WHERE due_at < now() + interval '4 days'"
    )


def statuses(merchant_id: uuid.UUID) -> list[str]:
    with session_scope(merchant_id) as session:
        return [
            row.status
            for row in session.exec(
                select(ScheduledMessage).order_by(ScheduledMessage.due_at)  # type: ignore[arg-type]
            ).all()
        ]


def first_row(merchant_id: uuid.UUID) -> ScheduledMessage:
    with session_scope(merchant_id) as session:
        rows = session.exec(select(ScheduledMessage)).all()
        return next(row for row in rows if row.status not in ("scheduled",) or row.attempts)


def test_a_due_step_goes_out_once_as_the_approved_template(graph: FakeGraphApi) -> None:
    merchant_id = merchant_with_planned_order(graph)
    make_first_due()
    assert dispatch_and_send() == ["sent"]
    [request] = graph.sent_messages()
    assert request.phone_number_id == PHONE_NUMBER_ID
    assert request.authorization == f"Bearer {graph.token}"
    body = request.body
    assert body["to"] == "905321234567" and body["type"] == "template"
    assert body["template"]["name"] == "recete_usage_tip"
    assert body["template"]["language"] == {"code": "en"}
    parameters = [p["text"] for p in body["template"]["components"][0]["parameters"]]
    assert parameters[:3] == ["Ayşe", "Gül Suyu Tonik", "Lale Kozmetik"]
    with session_scope(merchant_id) as session:
        row = session.exec(select(ScheduledMessage).where(ScheduledMessage.status == "sent")).one()
        message = session.get_one(Message, row.message_id)
    assert body["biz_opaque_callback_data"] == f"sm:{row.id}"
    assert message.provider_message_id == request.message_id
    assert message.status == "sent" and message.kind == "template"
    assert message.body.startswith("Hi Ayşe, your Gül Suyu Tonik from Lale Kozmetik")
    assert dispatch_and_send() == []  # nothing else due


def test_a_queue_message_delivered_twice_sends_once(graph: FakeGraphApi) -> None:
    merchant_id = merchant_with_planned_order(graph)
    make_first_due()
    [claim] = claim_due()
    outcomes = [send_scheduled(claim.merchant_id, claim.scheduled_id, claim.claim) for _ in "ab"]
    assert outcomes == ["sent", "not_queued"]
    assert len(graph.sent_messages()) == 1
    assert statuses(merchant_id) == ["sent", "scheduled"]


def test_a_stale_claim_cannot_send_after_the_row_was_claimed_again(graph: FakeGraphApi) -> None:
    merchant_with_planned_order(graph)
    make_first_due()
    [old] = claim_due()
    owner_sql("UPDATE scheduled_messages SET lease_until = now() - interval '1 second'")
    assert release_stale() == {"scheduled": 1}
    [new] = claim_due()
    assert new.claim == old.claim + 1
    assert send_scheduled(old.merchant_id, old.scheduled_id, old.claim) == "not_queued"
    assert send_scheduled(new.merchant_id, new.scheduled_id, new.claim) == "sent"
    assert len(graph.sent_messages()) == 1


def test_the_sandbox_stores_the_message_and_sends_nothing() -> None:
    merchant_id = merchant_with_planned_order(None)
    make_first_due()
    assert dispatch_and_send() == ["sent"]
    with session_scope(merchant_id) as session:
        messages = session.exec(select(Message)).all()
    assert {m.status for m in messages} == {"delivered"}
    assert all(
        m.provider_message_id and m.provider_message_id.startswith("sandbox.") for m in messages
    )


def test_a_rate_limit_answer_is_retried_later_with_backoff(graph: FakeGraphApi) -> None:
    merchant_id = merchant_with_planned_order(graph)
    make_first_due()
    graph.fail_next(PHONE_NUMBER_ID, code=130429)
    before = datetime.now(UTC)
    assert dispatch_and_send() == ["retrying"]
    row = first_row(merchant_id)
    assert row.status == "scheduled" and row.attempts == 1
    assert before + timedelta(seconds=14) <= row.due_at <= before + timedelta(seconds=31)
    assert row.request_started_at is None and "130429" in (row.last_error or "")
    make_due(merchant_id)
    assert "sent" in dispatch_and_send()


def test_retries_stop_after_five_attempts(graph: FakeGraphApi) -> None:
    merchant_id = merchant_with_planned_order(graph)
    make_first_due()
    graph.fail_next(PHONE_NUMBER_ID, code=1, http_status=500, times=MAX_ATTEMPTS)
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        owner_sql(
            "UPDATE scheduled_messages SET due_at = now() "
            "WHERE attempts > 0 AND status = 'scheduled'"
        )
        outcomes += dispatch_and_send()
    assert outcomes == ["retrying"] * (MAX_ATTEMPTS - 1) + ["failed"]
    assert first_row(merchant_id).attempts == MAX_ATTEMPTS


def test_an_undeliverable_number_fails_with_metas_reason(graph: FakeGraphApi) -> None:
    merchant_id = merchant_with_planned_order(graph)
    make_first_due()
    graph.fail_next(PHONE_NUMBER_ID, code=131026)
    assert dispatch_and_send() == ["failed"]
    row = first_row(merchant_id)
    assert row.status == "failed" and "131026" in (row.last_error or "")
    assert graph.sent_messages() == []


def test_an_expired_token_pauses_the_numbers_sends_until_it_is_reconnected(
    graph: FakeGraphApi,
) -> None:
    merchant_id = new_merchant()
    send_around_the_clock(merchant_id)
    connect_whatsapp(merchant_id, "EAAG-expired-token")
    deliver(merchant_id, datetime.now(UTC) - timedelta(days=3))
    make_due(merchant_id)
    assert dispatch_and_send() == ["paused", "paused"]
    with session_scope(merchant_id) as session:
        integration = session.exec(select(Integration)).one()
    assert integration.status == "broken" and "190" in (integration.last_error or "")
    assert len(graph.requests) == 1  # the second send saw the broken number and waited
    connect_whatsapp(merchant_id, graph.token)
    assert statuses(merchant_id) == ["scheduled", "scheduled"]
    # Both steps are overdue now: the first goes, the second slides to the next day.
    assert dispatch_and_send() == ["sent", "moved"]


def test_a_lost_answer_is_marked_unknown_not_resent(graph: FakeGraphApi) -> None:
    merchant_id = merchant_with_planned_order(graph)
    make_first_due()
    graph.drop_next()
    assert dispatch_and_send() == ["unknown"]
    row = first_row(merchant_id)
    assert row.status == "unknown" and "may have reached WhatsApp" in (row.last_error or "")
    assert row.payload["text"].startswith("Hi Ayşe")  # kept for reconciliation
    owner_sql("UPDATE scheduled_messages SET lease_until = now() - interval '1 second'")
    assert release_stale() == {}
    assert dispatch_and_send() == []  # the unknown row is never picked up again
    assert len(graph.requests) == 1


def test_a_worker_that_died_mid_send_leaves_an_unknown_row_and_one_that_died_before_a_retry(
    graph: FakeGraphApi,
) -> None:
    merchant_id = merchant_with_planned_order(graph)
    owner_sql("UPDATE journey_steps SET link = 'https://lalekozmetik.com/review'")
    make_due(merchant_id)
    claims = claim_due()
    assert len(claims) == 2
    # The first claim got as far as the request (as if killed right after); the second was
    # still waiting in the queue when the worker died.
    owner_sql(
        "UPDATE scheduled_messages SET status = 'sending', request_started_at = now() "
        "WHERE id = :i",
        i=claims[0].scheduled_id,
    )
    owner_sql("UPDATE scheduled_messages SET lease_until = now() - interval '1 second'")
    assert release_stale() == {"unknown": 1, "scheduled": 1}
    # The re-driven step is due again, but the unknown one probably went today: it waits a day.
    assert dispatch_and_send() == ["moved"]
    assert graph.requests == []
    assert sorted(statuses(merchant_id)) == ["scheduled", "unknown"]


def test_the_dispatcher_keeps_at_most_the_in_flight_cap_claimed(graph: FakeGraphApi) -> None:
    merchant_with_planned_order(graph)
    owner_sql("UPDATE scheduled_messages SET due_at = now() - interval '1 second'")
    assert len(claim_due(max_in_flight=1)) == 1
    assert claim_due(max_in_flight=1) == []
    assert len(claim_due(max_in_flight=2)) == 1


def test_a_step_due_during_quiet_hours_waits_for_the_window(graph: FakeGraphApi) -> None:
    merchant_id = merchant_with_planned_order(graph)
    # A one-hour window six hours from now in Istanbul (UTC+3): surely closed now.
    hour = (datetime.now(UTC) + timedelta(hours=3 + 6)).hour
    with session_scope(merchant_id) as session:
        journey = journey_for(session)
        journey.window_start, journey.window_end = time(hour, 0), time(hour, 59, 59)
    make_first_due()
    assert dispatch_and_send() == ["moved"]
    with session_scope(merchant_id) as session:
        moved = session.exec(
            select(ScheduledMessage).where(ScheduledMessage.last_error == "Moved: quiet hours.")
        ).one()
    assert (moved.due_at + timedelta(hours=3)).time() == time(hour, 0)
    assert moved.due_at > datetime.now(UTC)
    assert graph.requests == []


def test_a_cancelled_order_sends_nothing_even_if_already_queued(graph: FakeGraphApi) -> None:
    merchant_with_planned_order(graph)
    make_first_due()
    [claim] = claim_due()
    owner_sql("UPDATE orders SET cancelled_at = now()")
    assert send_scheduled(claim.merchant_id, claim.scheduled_id, claim.claim) == "cancelled"
    assert graph.requests == []


def test_a_number_without_an_access_token_pauses_its_sends_without_a_request(
    graph: FakeGraphApi,
) -> None:
    merchant_id = merchant_with_planned_order(graph)
    make_first_due()
    owner_sql("UPDATE integrations SET secrets = NULL WHERE merchant_id = :m", m=merchant_id)
    assert dispatch_and_send() == ["paused"]
    row = first_row(merchant_id)
    assert row.status == "paused" and "reconnect" in (row.last_error or "")
    assert graph.requests == []
