"""The inbox on a real database: escalated conversations first, search, and what a person does
with a conversation (take over, reply inside the window, a template outside it, hand back,
close, resume journey messages), as a service and over the HTTP API."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from recete_app.backend.accounts.sessions import Principal, log_in
from recete_app.backend.db import session_scope
from recete_app.backend.errors import Conflict, NotFound
from recete_app.backend.http.app import create_api
from recete_app.backend.journeys import delivery
from recete_app.backend.journeys.settings import journey_for, journey_steps
from recete_app.backend.messaging import inbox
from recete_app.backend.services import conversation_actions
from recete_app.backend.services.sandbox import write_as_customer
from tests.integration.journey_fixtures import PHONE, deliver, new_merchant
from tests.support import owner_sql

ADVERSE = "my face is burning and swollen after the serum"
PASSWORD = "correct horse battery"
MASKED = "+90 532 *** 45 67"


def _account(merchant_id: uuid.UUID) -> uuid.UUID:
    rows = owner_sql("SELECT id FROM accounts WHERE merchant_id = :m", m=merchant_id)
    return uuid.UUID(str(rows[0][0]))


def _escalated(merchant_id: uuid.UUID, phone: str = PHONE) -> uuid.UUID:
    """An opted-in customer with a delivered order reports a reaction: urgent, needs a person."""
    deliver(merchant_id, datetime.now(UTC) - timedelta(days=1), phone=phone)
    return write_as_customer(merchant_id, phone, ADVERSE).conversation_id


def _rows(merchant_id: uuid.UUID, **kwargs: str) -> list[inbox.ConversationRow]:
    with session_scope(merchant_id) as session:
        return inbox.list_conversations(session, **kwargs)  # type: ignore[arg-type]


def _thread(merchant_id: uuid.UUID, conversation_id: uuid.UUID) -> inbox.ConversationThread:
    with session_scope(merchant_id) as session:
        return inbox.read_thread(session, conversation_id)


def _close_window(conversation_id: uuid.UUID) -> None:
    owner_sql(
        "UPDATE conversations SET window_expires_at = now() - interval '1 hour' WHERE id = :c",
        c=conversation_id,
    )


@pytest.mark.parametrize(
    ("phone", "masked"),
    [(PHONE, MASKED), ("+16502530000", "+1 650-***-0000"), ("not a phone", "***")],
)
def test_phones_in_the_list_are_masked(phone: str, masked: str) -> None:
    assert inbox.mask_phone(phone) == masked


def test_part_of_a_number_as_dialled_at_home_finds_the_customer() -> None:
    merchant = new_merchant()
    london = write_as_customer(merchant, "+447911123456", "hello").conversation_id
    istanbul = write_as_customer(merchant, "+905327911123", "merhaba").conversation_id
    assert [r.id for r in _rows(merchant, search="07911 123")] == [london]  # trunk prefix 0
    assert [r.id for r in _rows(merchant, search="0044 7911")] == [london]  # international 00
    assert [r.id for r in _rows(merchant, search="7911 123")] == [istanbul, london]


def test_the_last_four_digits_find_a_number_whatever_they_start_with() -> None:
    merchant = new_merchant()
    ending = write_as_customer(merchant, "+905321110345", "hello").conversation_id
    assert [r.id for r in _rows(merchant, search="0345")] == [ending]
    assert [r.id for r in _rows(merchant, search="110345")] == [ending]


def test_urgent_conversations_come_first_and_search_finds_by_name_or_phone() -> None:
    merchant = new_merchant()
    urgent = _escalated(merchant)
    refund = write_as_customer(
        merchant, "+905331112233", "I want a refund for my order"
    ).conversation_id
    thanks = write_as_customer(merchant, "+905441112233", "thank you so much!").conversation_id

    rows = _rows(merchant)
    assert [r.id for r in rows] == [urgent, refund, thanks]
    first = rows[0]
    assert (first.status, first.urgent, first.escalation_reason) == (
        "needs_human",
        True,
        "adverse_reaction",
    )
    assert first.customer_name == "Ayşe"
    assert first.phone_masked == MASKED
    assert first.unanswered == 1  # the AI's holding reply does not answer it: a person must
    assert first.last_message  # the AI's "a person will get back to you"
    assert (rows[1].status, rows[1].urgent) == ("needs_human", False)
    assert (rows[2].status, rows[2].unanswered) == ("ai", 0)

    assert [r.id for r in _rows(merchant, view="ai")] == [thanks]
    assert [r.id for r in _rows(merchant, view="needs_human")] == [urgent, refund]
    assert [r.id for r in _rows(merchant, search="ayşe")] == [urgent]
    assert [r.id for r in _rows(merchant, search="+90 533 111 22 33")] == [refund]
    # Part of a number: any run of its digits, however it is spaced.
    assert [r.id for r in _rows(merchant, search="905441112233")] == [thanks]
    assert [r.id for r in _rows(merchant, search="544 111")] == [thanks]
    assert [r.id for r in _rows(merchant, search="1122")] == [refund, thanks]
    assert _rows(merchant, search="112") == []  # too few digits to mean anyone
    assert _rows(merchant, search="nobody") == []
    assert _rows(merchant, search="%") == []


def test_thread_shows_the_agents_decision_and_the_pause() -> None:
    merchant = new_merchant()
    conversation = _escalated(merchant)
    thread = _thread(merchant, conversation)
    assert thread.phone == PHONE and thread.customer_name == "Ayşe"
    assert thread.window_open and thread.consent_state == "opted_in"
    assert thread.proactive_paused_reason
    customer, reply = thread.messages
    assert (customer.direction, customer.author, customer.body) == ("inbound", "customer", ADVERSE)
    assert (customer.intent, customer.agent_action) == ("adverse_reaction", "escalate")
    assert customer.agent_reason == "adverse_reaction"
    assert (reply.direction, reply.author, reply.agent_action) == ("outbound", "ai", "escalate")


def test_a_person_takes_over_replies_in_the_window_and_hands_back() -> None:
    merchant = new_merchant()
    account = _account(merchant)
    conversation = _escalated(merchant)
    with session_scope(merchant) as session:
        inbox.take_over(session, conversation, account)
    assert _thread(merchant, conversation).conversation.status == "human"

    text = "So sorry! Rinse with water."
    with session_scope(merchant) as session:
        queued = inbox.reply_as_person(session, conversation, account, text)
    assert delivery.send_now(merchant, queued.customer_id) == {queued.scheduled_id: "sent"}
    last = _thread(merchant, conversation).messages[-1]
    assert (last.author, last.body, last.status) == ("human", text, "delivered")
    sent = owner_sql("SELECT provider_message_id FROM messages WHERE body = :b", b=text)
    assert str(sent[0][0]).startswith("sandbox.")
    assert _rows(merchant)[0].unanswered == 0

    with session_scope(merchant) as session:
        inbox.hand_back(session, conversation, account)
    handed = _thread(merchant, conversation).conversation
    assert (handed.status, handed.urgent, handed.escalation_reason) == ("ai", False, None)
    actions = owner_sql(
        "SELECT actor, action FROM audit_log WHERE action LIKE 'conversation.%' ORDER BY created_at"
    )
    assert actions == [
        (f"account:{account}", "conversation.taken_over"),
        (f"account:{account}", "conversation.replied"),
        (f"account:{account}", "conversation.handed_back"),
    ]


def test_replying_takes_over_a_waiting_conversation_but_not_one_the_ai_answers() -> None:
    merchant = new_merchant()
    account = _account(merchant)
    conversation = _escalated(merchant)
    with session_scope(merchant) as session:
        inbox.reply_as_person(session, conversation, account, "We are on it.")
    taken = _thread(merchant, conversation).conversation
    assert (taken.status, taken.assigned_account_id) == ("human", account)

    thanks = write_as_customer(merchant, "+905441112233", "thanks!").conversation_id
    with pytest.raises(Conflict) as refused, session_scope(merchant) as session:
        inbox.reply_as_person(session, thanks, account, "hello")
    assert refused.value.code == "not_taken_over"


def test_outside_the_window_only_a_template_goes_and_quiet_hours_do_not_hold_it() -> None:
    merchant = new_merchant()
    account = _account(merchant)
    conversation = _escalated(merchant)
    _quiet_now(merchant)
    _close_window(conversation)
    with pytest.raises(Conflict) as refused, session_scope(merchant) as session:
        inbox.reply_as_person(session, conversation, account, "Hello again")
    assert refused.value.code == "window_closed"
    assert "template" in refused.value.message

    with session_scope(merchant) as session:
        step = journey_steps(session, journey_for(session))[0]
        queued = inbox.send_template_as_person(session, conversation, account, step.id)
    assert delivery.send_now(merchant, queued.customer_id) == {queued.scheduled_id: "sent"}
    last = _thread(merchant, conversation).messages[-1]
    assert (last.author, last.kind) == ("human", "template")
    assert "Hi Ayşe" in last.body and "Gül Suyu Tonik" in last.body
    stored = owner_sql(
        "SELECT idempotency_key, payload->>'by_person' FROM scheduled_messages WHERE id = :i",
        i=queued.scheduled_id,
    )
    key, by_person = stored[0]
    assert str(key).startswith("human-template:") and by_person == "true"


def _quiet_now(merchant_id: uuid.UUID) -> None:
    """A sending window that excludes the present hour in Istanbul (the customer's zone)."""
    hour = datetime.now(ZoneInfo("Europe/Istanbul")).hour
    start = time(20, 0) if hour < 12 else time(1, 0)
    with session_scope(merchant_id) as session:
        journey = journey_for(session)
        journey.window_start, journey.window_end = start, start.replace(minute=30)


def test_close_and_resume_journey_messages() -> None:
    merchant = new_merchant()
    account = _account(merchant)
    conversation = _escalated(merchant)
    assert owner_sql("SELECT count(*) FROM scheduled_messages WHERE status = 'cancelled'") == [(2,)]
    thread = _thread(merchant, conversation)
    with session_scope(merchant) as session:
        restored = inbox.resume_proactive(session, thread.customer_id, account)
        inbox.close(session, conversation, account)
    assert restored == 2
    assert owner_sql("SELECT count(*) FROM scheduled_messages WHERE status = 'scheduled'") == [(2,)]
    after = _thread(merchant, conversation)
    assert after.proactive_paused_reason is None
    assert (after.conversation.status, after.conversation.urgent) == ("closed", False)
    assert [r.status for r in _rows(merchant, view="closed")] == ["closed"]
    with pytest.raises(Conflict), session_scope(merchant) as session:
        inbox.take_over(session, conversation, account)


# -- the action services (one transaction each, then the send) ----------------------------------


def _person(merchant_id: uuid.UUID) -> Principal:
    account = _account(merchant_id)
    return Principal(merchant_id=merchant_id, actor=f"account:{account}", account_id=account)


def test_each_action_commits_on_its_own_and_a_reply_says_what_became_of_it() -> None:
    merchant = new_merchant()
    person = _person(merchant)
    conversation = _escalated(merchant)
    taken = conversation_actions.take_over(person, str(conversation))
    assert (taken.status, taken.assigned_account_id) == ("human", person.account_id)

    sent = conversation_actions.reply_and_send(person, conversation, "Rinse with water.")
    assert (sent.outcome, sent.conversation_id) == ("sent", conversation)
    stored = owner_sql("SELECT status FROM scheduled_messages WHERE id = :i", i=sent.scheduled_id)
    assert stored == [("sent",)]
    assert _thread(merchant, conversation).messages[-1].body == "Rinse with water."

    assert conversation_actions.resume_journeys(person, str(conversation)) == 2
    assert conversation_actions.hand_back(person, conversation).status == "ai"
    assert conversation_actions.close(person, conversation).status == "closed"


def test_a_template_is_committed_then_sent_outside_the_window() -> None:
    merchant = new_merchant()
    conversation = _escalated(merchant)
    _close_window(conversation)
    with session_scope(merchant) as session:
        step = journey_steps(session, journey_for(session))[0]
    sent = conversation_actions.send_template_and_send(
        _person(merchant), conversation, str(step.id)
    )
    assert sent.outcome == "sent"
    assert _thread(merchant, conversation).messages[-1].kind == "template"


@pytest.mark.parametrize(
    "act",
    [
        conversation_actions.take_over,
        conversation_actions.hand_back,
        conversation_actions.close,
        conversation_actions.resume_journeys,
        lambda person, cid: conversation_actions.reply_and_send(person, cid, "hello"),
        lambda person, cid: conversation_actions.send_template_and_send(person, cid, uuid.uuid4()),
    ],
)
def test_an_id_that_is_not_one_is_no_such_conversation(act: Callable[..., object]) -> None:
    with pytest.raises(NotFound) as missing:
        act(_person(new_merchant()), "not-a-conversation")
    assert missing.value.code == "conversation_not_found"


def test_a_step_id_that_is_not_one_is_no_such_step() -> None:
    merchant = new_merchant()
    conversation = _escalated(merchant)
    with pytest.raises(NotFound) as missing:
        conversation_actions.send_template_and_send(_person(merchant), conversation, "step")
    assert missing.value.code == "step_not_found"


def test_a_refused_reply_leaves_the_conversation_as_it_was() -> None:
    merchant = new_merchant()
    conversation = _escalated(merchant)
    _close_window(conversation)
    with pytest.raises(Conflict):
        conversation_actions.reply_and_send(_person(merchant), conversation, "Hello again")
    assert _thread(merchant, conversation).conversation.status == "needs_human"
    human = owner_sql("SELECT count(*) FROM scheduled_messages WHERE idempotency_key LIKE 'human%'")
    assert human == [(0,)]


# -- the HTTP API ------------------------------------------------------------------------------


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def _auth(email: str) -> tuple[uuid.UUID, dict[str, str]]:
    merchant = new_merchant(email)
    return merchant, {"Authorization": f"Bearer {log_in(email, PASSWORD).token}"}


def test_api_lists_and_reads_conversations(client: TestClient) -> None:
    merchant, auth = _auth("owner@inbox-api.com")
    conversation = _escalated(merchant)

    listed = client.get("/api/conversations", params={"view": "needs_human"}, headers=auth)
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()["conversations"]
    assert (row["id"], row["urgent"], row["phone"]) == (str(conversation), True, MASKED)
    found = client.get("/api/conversations", params={"q": "Ayşe"}, headers=auth).json()
    assert [c["id"] for c in found["conversations"]] == [str(conversation)]
    bad_view = client.get("/api/conversations", params={"view": "spam"}, headers=auth)
    assert bad_view.status_code == 422 and bad_view.json()["error"]["code"] == "invalid_view"

    thread = client.get(f"/api/conversations/{conversation}", headers=auth).json()
    assert thread["phone"] == PHONE and thread["messages"][0]["agent_action"] == "escalate"
    assert thread["status"] == "needs_human" and thread["window_open"] is True
    # What the page offers comes from the backend's rule, so API clients see the same.
    assert thread["actions"] == ["take_over", "hand_back", "close", "reply"]


def test_api_answers_hands_back_and_closes(client: TestClient) -> None:
    merchant, auth = _auth("owner@inbox-api.com")
    url = f"/api/conversations/{_escalated(merchant)}"
    assert client.post(f"{url}/take-over", headers=auth).json()["status"] == "human"
    sent = client.post(f"{url}/reply", json={"text": "We are here."}, headers=auth)
    assert sent.status_code == 200, sent.text
    assert sent.json()["outcome"] == "sent"
    assert sent.json()["thread"]["messages"][-1]["author"] == "human"
    assert client.post(f"{url}/reply", json={"text": ""}, headers=auth).status_code == 422

    _close_window(uuid.UUID(url.rsplit("/", 1)[1]))
    closed = client.post(f"{url}/reply", json={"text": "Hello?"}, headers=auth)
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "window_closed"
    with session_scope(merchant) as session:
        step_id = journey_steps(session, journey_for(session))[0].id
    template = client.post(f"{url}/template", json={"step_id": str(step_id)}, headers=auth)
    assert template.status_code == 200, template.text
    assert template.json()["thread"]["messages"][-1]["kind"] == "template"

    back = client.post(f"{url}/hand-back", headers=auth).json()
    assert (back["status"], back["urgent"], back["escalation_reason"]) == ("ai", False, None)
    assert back["proactive_paused_reason"]  # handing back leaves the journeys paused
    resumed = client.post(f"{url}/resume-journeys", headers=auth)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["restored"] == 2
    assert resumed.json()["thread"]["proactive_paused_reason"] is None
    assert client.post(f"{url}/close", headers=auth).json()["status"] == "closed"


def test_api_needs_authentication_and_hides_other_merchants_conversations(
    client: TestClient,
) -> None:
    merchant, _ = _auth("owner@first-store.com")
    conversation = _escalated(merchant)
    _, other = _auth("owner@second-store.com")

    assert client.get("/api/conversations").status_code == 401
    assert client.post(f"/api/conversations/{conversation}/take-over").status_code == 401
    assert client.get("/api/conversations", headers=other).json() == {"conversations": []}
    for method, path in (
        ("GET", ""),
        ("POST", "/take-over"),
        ("POST", "/hand-back"),
        ("POST", "/close"),
        ("POST", "/resume-journeys"),
    ):
        response = client.request(method, f"/api/conversations/{conversation}{path}", headers=other)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "conversation_not_found"
    reply = client.post(
        f"/api/conversations/{conversation}/reply", json={"text": "hi"}, headers=other
    )
    assert reply.status_code == 404
    assert _thread(merchant, conversation).conversation.status == "needs_human"
