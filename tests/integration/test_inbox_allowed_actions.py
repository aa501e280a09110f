"""What a person may do with a conversation, decided once by its status (`inbox_rules`): the
inbox enforces it, its thread carries it, and the Conversations page shows the buttons it
allows (a colleague may take over a conversation another person holds; the holder is not
offered to take it again)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from recete_app.backend.db import session_scope
from recete_app.backend.messaging import inbox
from recete_app.backend.models import Account
from recete_app.backend.services.sandbox import write_as_customer
from recete_app.state.conversation_rows import read_inbox
from tests.integration.journey_fixtures import PHONE, deliver, new_merchant
from tests.support import owner_sql

Action = inbox.InboxAction
TAKE_OVER, HAND_BACK, CLOSE, REPLY = Action.TAKE_OVER, Action.HAND_BACK, Action.CLOSE, Action.REPLY


def _owner(merchant_id: uuid.UUID) -> uuid.UUID:
    rows = owner_sql("SELECT id FROM accounts WHERE merchant_id = :m", m=merchant_id)
    return uuid.UUID(str(rows[0][0]))


def _colleague(merchant_id: uuid.UUID) -> uuid.UUID:
    with session_scope(merchant_id) as session:
        account = Account(
            merchant_id=merchant_id, email="colleague@lalekozmetik.com", password_hash="-"
        )
        session.add(account)
        session.flush()
        return account.id


def _escalated(merchant_id: uuid.UUID) -> uuid.UUID:
    deliver(merchant_id, datetime.now(UTC) - timedelta(days=1), phone=PHONE)
    reported = "my face is burning and swollen after the serum"
    return write_as_customer(merchant_id, PHONE, reported).conversation_id


def _actions(merchant_id: uuid.UUID, conversation_id: uuid.UUID) -> tuple[str, ...]:
    with session_scope(merchant_id) as session:
        return inbox.read_thread(session, conversation_id).actions


def test_the_thread_carries_the_actions_its_status_allows() -> None:
    merchant = new_merchant()
    owner = _owner(merchant)
    conversation = _escalated(merchant)
    assert _actions(merchant, conversation) == (TAKE_OVER, HAND_BACK, CLOSE, REPLY)
    with session_scope(merchant) as session:
        inbox.take_over(session, conversation, owner)
    assert _actions(merchant, conversation) == (TAKE_OVER, HAND_BACK, CLOSE, REPLY)
    with session_scope(merchant) as session:  # the one who holds it has no "take over"
        assert inbox.read_thread(session, conversation, owner).actions == (HAND_BACK, CLOSE, REPLY)
    with session_scope(merchant) as session:
        inbox.hand_back(session, conversation, owner)
    assert _actions(merchant, conversation) == (TAKE_OVER, CLOSE)
    with session_scope(merchant) as session:
        inbox.close(session, conversation, owner)
    assert _actions(merchant, conversation) == ()


def test_a_colleague_takes_over_a_conversation_another_person_holds() -> None:
    merchant = new_merchant()
    colleague = _colleague(merchant)
    conversation = _escalated(merchant)
    with session_scope(merchant) as session:
        inbox.take_over(session, conversation, _owner(merchant))
    with session_scope(merchant) as session:
        taken = inbox.take_over(session, conversation, colleague)
        assert (taken.status, taken.assigned_account_id) == ("human", colleague)


def test_handing_back_a_conversation_the_ai_answers_changes_nothing() -> None:
    merchant = new_merchant()
    thanks = write_as_customer(merchant, "+905441112233", "thanks!").conversation_id
    with session_scope(merchant) as session:
        assert inbox.hand_back(session, thanks, _owner(merchant)).status == "ai"
    assert owner_sql("SELECT count(*) FROM audit_log WHERE action LIKE 'conversation.%'") == [(0,)]


def test_the_page_offers_take_over_to_a_colleague_not_to_the_person_who_holds_it() -> None:
    merchant = new_merchant()
    owner, colleague = _owner(merchant), _colleague(merchant)
    conversation = _escalated(merchant)
    with session_scope(merchant) as session:
        inbox.take_over(session, conversation, owner)

    def offered(viewer: uuid.UUID | None) -> tuple[bool, ...]:
        thread = read_inbox(merchant, "all", "", str(conversation), viewer).thread
        assert thread.status == "human"
        return (thread.can_take_over, thread.can_hand_back, thread.can_close, thread.can_reply)

    assert offered(colleague) == (True, True, True, True)
    assert offered(owner) == (False, True, True, True)
    assert offered(None) == (True, True, True, True)  # an API key holds nothing


def test_taking_over_a_conversation_one_already_holds_changes_nothing() -> None:
    merchant = new_merchant()
    owner = _owner(merchant)
    conversation = _escalated(merchant)
    with session_scope(merchant) as session:
        inbox.take_over(session, conversation, owner)
    with session_scope(merchant) as session:
        again = inbox.take_over(session, conversation, owner)
        assert (again.status, again.assigned_account_id) == ("human", owner)
    taken = "SELECT count(*) FROM audit_log WHERE action = 'conversation.taken_over'"
    assert owner_sql(taken) == [(1,)]


def test_the_page_offers_no_action_on_a_closed_conversation() -> None:
    merchant = new_merchant()
    conversation = _escalated(merchant)
    with session_scope(merchant) as session:
        inbox.close(session, conversation, _owner(merchant))
    thread = read_inbox(merchant, "all", "", str(conversation)).thread
    offered = (thread.can_take_over, thread.can_hand_back, thread.can_close, thread.can_reply)
    assert offered == (False, False, False, False)
