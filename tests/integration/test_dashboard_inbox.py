"""The Conversations page's handlers against the real database: what the merchant reads when an
action cannot be done, and that a programming error is not dressed up as a missing
conversation."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recete_app.backend import audit
from recete_app.backend.accounts.sessions import authenticate_session, log_in
from recete_app.backend.services.sandbox import write_as_customer
from recete_app.state import conversations
from recete_app.state.conversation_rows import ThreadFacts
from recete_app.state.conversations import ConversationsState
from tests.integration.dashboard_fixtures import run_handler, signed_in_page
from tests.integration.journey_fixtures import PHONE, deliver, new_merchant
from tests.support import owner_sql

EMAIL = "owner@dashboard-inbox.com"


@pytest.fixture()
def page(monkeypatch: pytest.MonkeyPatch) -> ConversationsState:
    """The page as a signed-in owner sees it (the session lookup is the only thing skipped)."""
    new_merchant(EMAIL)
    principal = authenticate_session(log_in(EMAIL, "correct horse battery").token)

    return signed_in_page(monkeypatch, conversations, ConversationsState, principal)


def _escalated(merchant_id: uuid.UUID) -> uuid.UUID:
    deliver(merchant_id, datetime.now(UTC) - timedelta(days=1), phone=PHONE)
    reported = "my face is burning and swollen after the serum"
    return write_as_customer(merchant_id, PHONE, reported).conversation_id


def _merchant() -> uuid.UUID:
    return uuid.UUID(str(owner_sql("SELECT id FROM merchants")[0][0]))


@pytest.mark.parametrize(
    "handler",
    [
        ConversationsState.take_over,
        ConversationsState.hand_back,
        ConversationsState.close_conversation,
        ConversationsState.resume_journeys,
    ],
)
def test_an_action_on_a_malformed_conversation_id_says_there_is_no_such_conversation(
    page: ConversationsState, handler: Any
) -> None:
    page.thread = ThreadFacts(id="not-a-conversation")
    run_handler(handler, page)
    assert (page.notice, page.error) == ("", "No such conversation.")


def test_a_reply_to_a_malformed_conversation_id_says_there_is_no_such_conversation(
    page: ConversationsState,
) -> None:
    page.thread = ThreadFacts(id="not-a-conversation")
    assert run_handler(ConversationsState.send_reply, page, {"text": "hello"}) is None
    assert page.error == "No such conversation."


def test_a_template_that_is_not_a_step_id_says_there_is_no_such_step(
    page: ConversationsState,
) -> None:
    page.thread = ThreadFacts(id=str(_escalated(_merchant())))
    page.template_step = "not-a-step"
    run_handler(ConversationsState.send_template, page)
    assert page.error == "No such journey step (or it is turned off)."


def test_a_stray_value_error_is_raised_not_shown_as_a_missing_conversation(
    page: ConversationsState, monkeypatch: pytest.MonkeyPatch
) -> None:
    page.thread = ThreadFacts(id=str(_escalated(_merchant())))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("a bug, not a missing conversation")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(ValueError, match="a bug"):
        run_handler(ConversationsState.take_over, page)
    assert "no longer exists" not in page.error


def test_taking_over_replying_and_resuming_from_the_dashboard(page: ConversationsState) -> None:
    conversation = _escalated(_merchant())
    page.thread = ThreadFacts(id=str(conversation))
    run_handler(ConversationsState.take_over, page)
    assert page.thread.status == "human" and page.error == ""
    run_handler(ConversationsState.send_reply, page, {"text": "So sorry! Rinse with water."})
    assert (page.notice, page.error) == ("Sent.", "")
    run_handler(ConversationsState.resume_journeys, page)
    assert page.notice == "Journey messages resumed (2 planned step(s) back)."
    run_handler(ConversationsState.close_conversation, page)
    assert (page.notice, page.thread.status) == ("Closed.", "closed")


def test_the_dashboard_writes_off_the_event_loop(
    page: ConversationsState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event loop serves every open tab: a handler waiting on the database holds them all."""
    page.thread = ThreadFacts(id=str(_escalated(_merchant())))
    recorded = audit.record
    writers: list[threading.Thread] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        writers.append(threading.current_thread())
        return recorded(*args, **kwargs)

    monkeypatch.setattr(audit, "record", watched)
    run_handler(ConversationsState.take_over, page)
    run_handler(ConversationsState.send_reply, page, {"text": "We are on it."})
    assert writers and threading.main_thread() not in writers
