"""WhatsApp end to end: Meta's subscription check, signed deliveries (stored once, routed by the
business number), customers' messages, status reports, reconciliation of lost answers, opt-outs
confirmed through a fake Graph API on a real socket, and the sandbox's customer side."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from recete_app.backend import integrations
from recete_app.backend.accounts.api_keys import create_key
from recete_app.backend.accounts.signup import sign_up
from recete_app.backend.commerce.customers import customer_for_phone, record_consent
from recete_app.backend.commerce.events import ConsentInfo
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.journeys.delivery import send_scheduled
from recete_app.backend.messaging.channels import forget_graph_client
from recete_app.backend.messaging.conversations import open_conversation
from recete_app.backend.messaging.opt_out import opt_out_confirmation
from recete_app.backend.messaging.outbox.dispatch import claim_due
from recete_app.backend.models import (
    Conversation,
    Customer,
    ExternalEvent,
    Message,
    ScheduledMessage,
)
from recete_app.backend.security.crypto import blind_index, decrypt_field
from recete_app.backend.security.fields import PHONE
from tests.fakes.graph_api import FakeGraphApi
from tests.integration.commerce_fixtures import process_pending
from tests.support import fixture_json, owner_sql

URL = "/webhooks/whatsapp"
SANDBOX_URL = "/api/sandbox/messages"
PHONE_NUMBER_ID = "106540352242922"  # the fixtures' business number
OTHER_NUMBER_ID = "109876543210987"
APP_SECRET = "meta-app-secret-0123456789abcdef"
OTHER_SECRET = "another-meta-app-secret-fedcba9876"
VERIFY_TOKEN = "recete-verify-7f3a9c"
ACCESS_TOKEN = "EAAG-test-token"  # FakeGraphApi's default
CUSTOMER_WA_ID = "905321234567"
CUSTOMER_PHONE = "+905321234567"
FIXTURE_MESSAGE_ID = "wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0E0QTY1OTlBRUUwMzgxMDE0NEYA"
FIXTURE_TIMESTAMP = datetime.fromtimestamp(1762254721, tz=UTC)


# -- set-up -----------------------------------------------------------------------------------


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def merchant_id() -> uuid.UUID:
    return connect_number()


@pytest.fixture()
def graph_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraphApi]:
    """Sends go to a fake Graph API on a local socket (the setting, then a fresh pooled client)."""
    with FakeGraphApi(token=ACCESS_TOKEN) as fake:
        monkeypatch.setenv("RECETE_WHATSAPP_GRAPH_URL", fake.url)
        get_settings.cache_clear()
        forget_graph_client()
        try:
            yield fake
        finally:
            forget_graph_client()
            monkeypatch.delenv("RECETE_WHATSAPP_GRAPH_URL")
            get_settings.cache_clear()


def connect_number(
    email: str = "owner@lalekozmetik.com",
    phone_number_id: str = PHONE_NUMBER_ID,
    app_secret: str = APP_SECRET,
    verify_token: str = VERIFY_TOKEN,
) -> uuid.UUID:
    merchant = sign_up("Lale Kozmetik", email, "correct horse battery")
    secrets = {
        "access_token": ACCESS_TOKEN,
        "app_secret": app_secret,
        "verify_token": verify_token,
    }
    with session_scope(merchant.merchant_id) as session:
        integrations.connect(session, "test", "whatsapp", phone_number_id, secrets)
    return merchant.merchant_id


def now_seconds() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def unix(at: datetime) -> str:
    return str(int(at.timestamp()))


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def post(client: TestClient, body: dict[str, Any], secret: str = APP_SECRET) -> Any:
    raw = encode(body)
    return post_raw(client, raw, sign(raw, secret))


def post_raw(client: TestClient, raw: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post(URL, content=raw, headers=headers)


def deliver(client: TestClient, merchant_id: uuid.UUID, body: dict[str, Any]) -> None:
    """Post a signed body and process it, as the worker would."""
    response = post(client, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "accepted"}
    assert process_pending(merchant_id) == ["processed"]


def text_body(
    text: str,
    message_id: str,
    at: datetime,
    *,
    sender: str = CUSTOMER_WA_ID,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    body = copy.deepcopy(fixture_json("whatsapp", "inbound_text.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone_number_id
    value["contacts"][0]["wa_id"] = sender
    message = value["messages"][0]
    message["from"] = sender
    message["id"] = message_id
    message["timestamp"] = unix(at)
    message["text"]["body"] = text
    return body


def status_body(
    message_id: str,
    status: str,
    at: datetime,
    *,
    callback: str | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """One status report shaped like Meta's (pricing and conversation included)."""
    body = copy.deepcopy(fixture_json("whatsapp", "statuses_sent_delivered_read.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone_number_id
    report = value["statuses"][0]
    report.update(id=message_id, status=status, timestamp=unix(at), recipient_id=CUSTOMER_WA_ID)
    if status != "sent":
        report["conversation"].pop("expiration_timestamp")
    if callback is None:
        report.pop("biz_opaque_callback_data")
    else:
        report["biz_opaque_callback_data"] = callback
    value["statuses"] = [report]
    return body


def failed_body(message_id: str, at: datetime, callback: str | None = None) -> dict[str, Any]:
    body = copy.deepcopy(fixture_json("whatsapp", "status_failed.json"))
    report = body["entry"][0]["changes"][0]["value"]["statuses"][0]
    report.update(id=message_id, timestamp=unix(at), recipient_id=CUSTOMER_WA_ID)
    if callback is not None:
        report["biz_opaque_callback_data"] = callback
    return body


def events() -> list[tuple[object, ...]]:
    return owner_sql("SELECT provider, topic, status FROM external_events ORDER BY received_at")


def inbound_messages() -> list[tuple[object, ...]]:
    return owner_sql(
        "SELECT provider_message_id, body, kind, status FROM messages "
        "WHERE direction = 'inbound' ORDER BY created_at"
    )


def message_state(provider_message_id: str) -> tuple[object, ...]:
    rows = owner_sql(
        "SELECT status, error, details FROM messages WHERE provider_message_id = :p",
        p=provider_message_id,
    )
    assert len(rows) == 1, rows
    return rows[0]


def scheduled_rows(kind: str) -> list[tuple[object, ...]]:
    return owner_sql(
        "SELECT id, status, payload FROM scheduled_messages WHERE kind = :k ORDER BY created_at",
        k=kind,
    )


def opted_in_customer(merchant_id: uuid.UUID, *, language: str | None = None) -> uuid.UUID:
    """A customer who said yes to WhatsApp messages yesterday (e.g. at checkout)."""
    with session_scope(merchant_id) as session:
        customer = customer_for_phone(session, CUSTOMER_PHONE, "Ayşe Yılmaz")
        customer.language = language
        yesterday = datetime.now(UTC) - timedelta(days=1)
        consent = ConsentInfo("opted_in", "whatsapp", "shopify:checkout", yesterday)
        assert record_consent(session, customer, consent)
        return customer.id


def schedule(
    merchant_id: uuid.UUID,
    customer_id: uuid.UUID,
    kind: str,
    *,
    due_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
    status: str = "scheduled",
) -> uuid.UUID:
    row_id = uuid.uuid4()
    with session_scope(merchant_id) as session:
        session.add(
            ScheduledMessage(
                id=row_id,
                merchant_id=merchant_id,
                customer_id=customer_id,
                idempotency_key=f"test:{row_id}",
                kind=kind,
                due_at=due_at or datetime.now(UTC) - timedelta(seconds=1),
                status=status,
                payload=payload or {},
            )
        )
    return row_id


def outbound(merchant_id: uuid.UUID, provider_message_id: str, status: str = "sent") -> None:
    """A template the app sent earlier, as the sender records it."""
    with session_scope(merchant_id) as session:
        customer = customer_for_phone(session, CUSTOMER_PHONE)
        conversation = open_conversation(session, customer)
        session.add(
            Message(
                merchant_id=merchant_id,
                conversation_id=conversation.id,
                direction="outbound",
                author="system",
                body="Serumunuz nasıl gidiyor?",
                kind="template",
                status=status,
                provider_message_id=provider_message_id,
            )
        )


def dispatch() -> list[str]:
    """What the dispatcher and a sender do on one tick."""
    return [send_scheduled(c.merchant_id, c.scheduled_id, c.claim) for c in claim_due()]


# -- the subscription check (GET) -------------------------------------------------------------


def test_subscription_check_echoes_the_challenge_for_a_merchants_verify_token(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = client.get(URL, params=query)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            "invalid_verify_token",
        ),
        ({"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}, "invalid_verification"),
        (
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
            "invalid_verification",
        ),
        ({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN}, "invalid_verification"),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, "invalid_verification"),
    ],
)
def test_subscription_check_refuses_anything_but_a_known_token(
    client: TestClient, merchant_id: uuid.UUID, query: dict[str, str], code: str
) -> None:
    response = client.get(URL, params=query)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == code


def test_subscription_check_without_any_connected_number_is_refused(client: TestClient) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
    response = client.get(URL, params=query)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_verify_token"


def test_each_merchants_verify_token_answers_and_a_reconnect_replaces_it(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    connect_number("owner@other.com", OTHER_NUMBER_ID, OTHER_SECRET, "other-verify-token")
    for token in (VERIFY_TOKEN, "other-verify-token"):
        query = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"}
        assert client.get(URL, params=query).text == "42"
    with session_scope(merchant_id) as session:
        secrets = {"access_token": ACCESS_TOKEN, "app_secret": APP_SECRET, "verify_token": "new"}
        integrations.connect(session, "test", "whatsapp", PHONE_NUMBER_ID, secrets)
    old = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
    assert client.get(URL, params=old).status_code == 403
    new = {"hub.mode": "subscribe", "hub.verify_token": "new", "hub.challenge": "7"}
    assert client.get(URL, params=new).text == "7"


# -- deliveries (POST): who sent it ------------------------------------------------------------


def test_a_bad_or_missing_signature_is_401_and_stores_nothing(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    raw = encode(fixture_json("whatsapp", "inbound_text.json"))
    hexdigest = sign(raw).removeprefix("sha256=")
    for signature in (
        None,
        "",
        sign(raw, "not-the-app-secret"),
        hexdigest,  # without the "sha256=" prefix
        "sha1=" + hexdigest,
        "sha256=" + "0" * 64,
        "sha256=not-hex",
    ):
        response = post_raw(client, raw, signature)
        assert response.status_code == 401, signature
        assert response.json()["error"]["code"] == "invalid_signature"
    assert events() == []


def test_the_signature_covers_the_exact_raw_bytes(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    body = fixture_json("whatsapp", "inbound_text.json")
    raw = encode(body)
    respaced = json.dumps(body, separators=(",", ":")).encode()
    assert json.loads(respaced) == json.loads(raw) and respaced != raw
    response = post_raw(client, respaced, sign(raw))
    assert response.status_code == 401
    assert events() == []
    # Upper-case hex is still the same digest.
    upper = "sha256=" + sign(raw).removeprefix("sha256=").upper()
    assert post_raw(client, raw, upper).json() == {"status": "accepted"}


def test_an_unknown_business_number_is_401_and_stores_nothing(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    body = text_body("Merhaba", "wamid.unknown-number", now_seconds(), phone_number_id="999000")
    response = post(client, body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unknown_phone_number"
    # Not a WhatsApp notification at all: nothing names a number either.
    for other in ({"object": "page", "entry": []}, [1, 2], {"entry": "x"}):
        assert post(client, other).status_code == 401  # type: ignore[arg-type]
    assert events() == []


def test_another_merchants_app_secret_does_not_sign_for_this_number(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    connect_number("owner@other.com", OTHER_NUMBER_ID, OTHER_SECRET, "other-verify-token")
    body = text_body("Merhaba", "wamid.cross-signed", now_seconds())
    assert post(client, body, secret=OTHER_SECRET).status_code == 401
    assert events() == []


NAMED = f'"metadata": {{"phone_number_id": "{PHONE_NUMBER_ID}"}}'.encode()


def test_a_signed_body_that_is_not_json_is_a_client_error_and_stores_nothing(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    for raw in (b'{"object": "whatsapp_business_account", ' + NAMED, b"\xff\xfe" + NAMED):
        response = post_raw(client, raw, sign(raw))
        assert response.status_code == 400, (raw, response.text)
        assert response.json()["error"]["code"] == "malformed_json"
    assert events() == []


def test_a_body_naming_no_known_number_is_401_without_being_parsed(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    for raw in (b"not json", b"[" * 100_000):
        response = post_raw(client, raw, sign(raw))
        assert response.status_code == 401, (raw[:20], response.text)
        assert response.json()["error"]["code"] == "unknown_phone_number"
    assert events() == []


HOSTILE = {
    "deep nesting": b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b", " + NAMED + b"}",
    "a 5,000-digit number": b'{"n": ' + b"9" * 5_000 + b", " + NAMED + b"}",
    "NaN": b'{"n": NaN, ' + NAMED + b"}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_body_is_401_unsigned_and_400_signed_never_a_500(
    client: TestClient, merchant_id: uuid.UUID, name: str
) -> None:
    raw = HOSTILE[name]
    unsigned = post_raw(client, raw, "sha256=" + "0" * 64)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "invalid_signature"
    signed = post_raw(client, raw, sign(raw))
    assert signed.status_code == 400, signed.text
    assert signed.json()["error"]["code"] == "malformed_json"
    assert events() == []


# -- customers' messages -----------------------------------------------------------------------


def test_an_inbound_text_opens_a_conversation_with_a_24_hour_window(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    raw = encode(fixture_json("whatsapp", "inbound_text.json"))
    response = post_raw(client, raw, sign(raw))
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    assert events() == [("whatsapp", "messages", "pending")]
    assert process_pending(merchant_id) == ["processed"]

    text = "Merhaba, serumu günde kaç kez kullanmalıyım?"
    assert inbound_messages() == [(FIXTURE_MESSAGE_ID, text, "text", "received")]
    ((author, created_at),) = owner_sql("SELECT author, created_at FROM messages")
    assert author == "customer" and created_at == FIXTURE_TIMESTAMP

    with session_scope(merchant_id) as session:
        (customer,) = session.exec(select(Customer)).all()
        assert customer.phone_index == blind_index(CUSTOMER_PHONE)
        assert customer.phone_encrypted is not None
        assert CUSTOMER_WA_ID not in customer.phone_encrypted  # stored encrypted
        assert decrypt_field(customer.phone_encrypted, PHONE) == CUSTOMER_PHONE
        assert (customer.first_name, customer.last_name) == ("Ayşe", "Yılmaz")
        assert customer.source == "whatsapp"
        assert customer.consent_state == "unknown"  # writing to us is not consent
        (conversation,) = session.exec(select(Conversation)).all()
        assert conversation.customer_id == customer.id
        assert conversation.window_expires_at == FIXTURE_TIMESTAMP + timedelta(hours=24)
        assert conversation.last_message_at == FIXTURE_TIMESTAMP
    assert owner_sql("SELECT count(*) FROM scheduled_messages") == [(0,)]
    assert events() == [("whatsapp", "messages", "processed")]


def test_a_redelivered_body_is_a_duplicate_and_the_message_is_stored_once(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    raw = encode(fixture_json("whatsapp", "inbound_text.json"))
    assert post_raw(client, raw, sign(raw)).json() == {"status": "accepted"}
    assert post_raw(client, raw, sign(raw)).json() == {"status": "duplicate"}
    assert owner_sql("SELECT count(*) FROM external_events") == [(1,)]
    assert process_pending(merchant_id) == ["processed"]

    # Meta batches differently on a retry: the same message inside another body.
    body = fixture_json("whatsapp", "inbound_text.json")
    value = body["entry"][0]["changes"][0]["value"]
    value["statuses"] = status_body("wamid.other", "read", now_seconds())["entry"][0]["changes"][0][
        "value"
    ]["statuses"]
    assert post(client, body).json() == {"status": "accepted"}
    assert process_pending(merchant_id) == ["processed"]

    assert owner_sql("SELECT count(*) FROM external_events") == [(2,)]
    assert len(inbound_messages()) == 1
    assert owner_sql("SELECT count(*) FROM customers") == [(1,)]
    assert owner_sql("SELECT count(*) FROM conversations") == [(1,)]


def test_a_later_message_moves_the_window_and_an_older_one_does_not(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    first = now_seconds() - timedelta(hours=3)
    deliver(client, merchant_id, text_body("Merhaba", "wamid.first", first))
    deliver(
        client, merchant_id, text_body("Bir sorum var", "wamid.later", first + timedelta(hours=2))
    )
    # A message delayed in Meta's queue arrives last but was written first.
    deliver(client, merchant_id, text_body("Geç gelen", "wamid.older", first - timedelta(hours=1)))
    ((expires, last),) = owner_sql("SELECT window_expires_at, last_message_at FROM conversations")
    assert expires == first + timedelta(hours=26)
    # The late one sorts where it arrived (the agent answers in arrival order); when it was
    # written stays with it.
    assert last == first + timedelta(hours=2, microseconds=1)
    assert len(inbound_messages()) == 3
    ((details,),) = owner_sql(
        "SELECT details FROM messages WHERE provider_message_id = 'wamid.older'"
    )
    assert details == {"sent_at": (first - timedelta(hours=1)).isoformat()}


def test_an_inbound_image_is_stored_with_its_caption_and_media_id(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    deliver(client, merchant_id, fixture_json("whatsapp", "inbound_image.json"))
    ((kind, body, details),) = owner_sql("SELECT kind, body, details FROM messages")
    assert kind == "image"
    assert isinstance(body, str) and "image" in body and "Kutu ezik geldi" in body
    assert body == "[image received] Kutu ezik geldi"
    assert isinstance(details, dict)
    assert details["media"]["id"] == "1003383421387256"
    assert details["media"]["mime_type"] == "image/jpeg"
    assert owner_sql("SELECT consent_state FROM customers") == [("unknown",)]


# -- status reports ----------------------------------------------------------------------------


def test_statuses_arriving_out_of_order_only_move_a_message_forward(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    outbound(merchant_id, "wamid.out-1")
    outbound(merchant_id, "wamid.out-2")
    at = now_seconds()
    deliver(client, merchant_id, status_body("wamid.out-1", "read", at + timedelta(seconds=60)))
    assert message_state("wamid.out-1")[:2] == ("read", None)
    deliver(
        client, merchant_id, status_body("wamid.out-1", "delivered", at + timedelta(seconds=30))
    )
    deliver(client, merchant_id, status_body("wamid.out-1", "sent", at + timedelta(seconds=1)))
    assert message_state("wamid.out-1")[:2] == ("read", None)
    ((updated,),) = owner_sql(
        "SELECT status_updated_at FROM messages WHERE provider_message_id = 'wamid.out-1'"
    )
    assert updated == at + timedelta(seconds=60)

    # A failure reported after the message reached the phone changes nothing.
    deliver(client, merchant_id, status_body("wamid.out-2", "delivered", at))
    deliver(client, merchant_id, failed_body("wamid.out-2", at + timedelta(seconds=5)))
    deliver(client, merchant_id, failed_body("wamid.out-1", at + timedelta(seconds=90)))
    assert message_state("wamid.out-2")[:2] == ("delivered", None)
    assert message_state("wamid.out-1")[:2] == ("read", None)


def test_a_status_for_a_message_sent_outside_recete_is_ignored(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    deliver(client, merchant_id, status_body("wamid.from-the-business-app", "read", now_seconds()))
    assert owner_sql("SELECT count(*) FROM messages") == [(0,)]


def test_a_failed_report_marks_a_sent_message_failed_with_metas_reason(
    client: TestClient, merchant_id: uuid.UUID, graph_api: FakeGraphApi
) -> None:
    deliver(client, merchant_id, text_body("Merhaba", "wamid.hello", now_seconds()))
    (customer_id,) = (r[0] for r in owner_sql("SELECT id FROM customers"))
    assert isinstance(customer_id, uuid.UUID)
    row_id = schedule(merchant_id, customer_id, "text_reply", payload={"text": "Günde iki kez."})
    assert dispatch() == ["sent"]
    (sent,) = graph_api.sent_messages()
    assert sent.message_id is not None
    assert sent.body["biz_opaque_callback_data"] == f"sm:{row_id}"
    assert message_state(sent.message_id)[0] == "sent"

    deliver(client, merchant_id, failed_body(sent.message_id, now_seconds(), f"sm:{row_id}"))
    status, error, details = message_state(sent.message_id)
    assert status == "failed"
    assert isinstance(error, str) and "131026" in error and "Message undeliverable" in error
    assert isinstance(details, dict) and details["error_codes"] == [131026]
    ((row_status, last_error),) = owner_sql(
        "SELECT status, last_error FROM scheduled_messages WHERE id = :id", id=row_id
    )
    assert row_status == "failed" and last_error == error


# -- reconciliation of a send whose answer was lost --------------------------------------------


def test_a_lost_answer_is_reconciled_once_by_the_sent_report(
    client: TestClient, merchant_id: uuid.UUID, graph_api: FakeGraphApi
) -> None:
    deliver(client, merchant_id, text_body("Merhaba", "wamid.hello", now_seconds()))
    (customer_id,) = (r[0] for r in owner_sql("SELECT id FROM customers"))
    assert isinstance(customer_id, uuid.UUID)
    row_id = schedule(merchant_id, customer_id, "text_reply", payload={"text": "Günde iki kez."})

    graph_api.drop_next()  # WhatsApp got the request; its answer never came back
    assert dispatch() == ["unknown"]
    (request,) = graph_api.requests
    assert request.status is None
    assert request.body["biz_opaque_callback_data"] == f"sm:{row_id}"
    assert owner_sql("SELECT status, message_id FROM scheduled_messages") == [("unknown", None)]
    assert owner_sql("SELECT count(*) FROM messages WHERE direction = 'outbound'") == [(0,)]
    assert dispatch() == []  # never resent blindly

    wamid = "wamid.HBgMOTA1MzIxMjM0NTY3FQIAERgSLOSTANSWER00AA=="
    at = now_seconds()
    deliver(client, merchant_id, status_body(wamid, "sent", at, callback=f"sm:{row_id}"))
    ((row_status, message_id),) = owner_sql("SELECT status, message_id FROM scheduled_messages")
    assert row_status == "sent" and message_id is not None
    outbound_rows = owner_sql(
        "SELECT id, provider_message_id, status, body, details FROM messages "
        "WHERE direction = 'outbound'"
    )
    assert len(outbound_rows) == 1
    found_id, provider_id, status, body, details = outbound_rows[0]
    assert (found_id, provider_id, status, body) == (message_id, wamid, "sent", "Günde iki kez.")
    assert isinstance(details, dict) and details["scheduled_message_id"] == str(row_id)

    # Meta reports "sent" again (another body): nothing new.
    again = status_body(wamid, "sent", at + timedelta(seconds=1), callback=f"sm:{row_id}")
    deliver(client, merchant_id, again)
    assert owner_sql("SELECT count(*) FROM messages WHERE direction = 'outbound'") == [(1,)]
    assert owner_sql("SELECT status, message_id FROM scheduled_messages") == [("sent", message_id)]
    assert len(graph_api.requests) == 1


def test_callback_data_reconciles_only_rows_whose_answer_was_lost(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    customer_id = opted_in_customer(merchant_id)
    waiting = schedule(merchant_id, customer_id, "text_reply", due_at=now_seconds() + timedelta(1))
    for callback in (f"sm:{waiting}", f"sm:{uuid.uuid4()}", "sm:not-a-uuid", "msg:whatever"):
        wamid = f"wamid.{uuid.uuid4().hex}"
        deliver(client, merchant_id, status_body(wamid, "sent", now_seconds(), callback=callback))
    assert owner_sql("SELECT count(*) FROM messages") == [(0,)]
    assert owner_sql("SELECT status, message_id FROM scheduled_messages") == [("scheduled", None)]


def test_a_sending_row_is_reconciled_by_a_delivered_report(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    """The worker died mid-request (row still `sending`); the first report Meta sends wins."""
    customer_id = opted_in_customer(merchant_id)
    row_id = schedule(
        merchant_id, customer_id, "text_reply", payload={"text": "Merhaba"}, status="sending"
    )
    wamid = "wamid.died-mid-request"
    deliver(
        client, merchant_id, status_body(wamid, "delivered", now_seconds(), callback=f"sm:{row_id}")
    )
    assert message_state(wamid)[0] == "delivered"
    assert owner_sql("SELECT status FROM scheduled_messages") == [("sent",)]


# -- opting out and in -------------------------------------------------------------------------


def test_stop_opts_out_cancels_pending_messages_and_confirms_once(
    client: TestClient, merchant_id: uuid.UUID, graph_api: FakeGraphApi
) -> None:
    customer_id = opted_in_customer(merchant_id)
    later = datetime.now(UTC) + timedelta(days=3)
    pending = schedule(merchant_id, customer_id, "journey_step", due_at=later)
    done = schedule(merchant_id, customer_id, "journey_step", status="sent")

    at = now_seconds()
    deliver(client, merchant_id, text_body("STOP", "wamid.stop-1", at))
    assert owner_sql("SELECT consent_state, consent_updated_at FROM customers") == [
        ("opted_out", at)
    ]
    assert owner_sql("SELECT state, source, channel FROM consent_events ORDER BY recorded_at") == [
        ("opted_in", "shopify:checkout", "whatsapp"),
        ("opted_out", "whatsapp:keyword", "whatsapp"),
    ]
    journey_rows = owner_sql(
        "SELECT id, status FROM scheduled_messages WHERE kind = 'journey_step'"
    )
    statuses = {row_id: status for row_id, status in journey_rows}
    assert statuses == {pending: "cancelled", done: "sent"}
    ((reply_id, reply_status, payload),) = scheduled_rows("text_reply")
    confirmation = opt_out_confirmation(None)
    assert reply_status == "scheduled"
    assert payload == {"text": confirmation, "reply_to": "wamid.stop-1", "author": "system"}

    assert dispatch() == ["sent"]
    (sent,) = graph_api.sent_messages()
    assert sent.phone_number_id == PHONE_NUMBER_ID
    assert sent.authorization == f"Bearer {ACCESS_TOKEN}"
    assert sent.body["type"] == "text"
    assert sent.body["to"] == CUSTOMER_WA_ID
    assert sent.body["text"]["body"] == confirmation
    assert sent.body["context"] == {"message_id": "wamid.stop-1"}
    assert sent.body["biz_opaque_callback_data"] == f"sm:{reply_id}"
    assert sent.message_id is not None
    assert message_state(sent.message_id)[0] == "sent"
    assert scheduled_rows("text_reply")[0][1] == "sent"

    # Stopping again later: already out, no second confirmation.
    deliver(client, merchant_id, text_body("stop", "wamid.stop-2", at + timedelta(minutes=5)))
    assert len(scheduled_rows("text_reply")) == 1
    assert owner_sql("SELECT count(*) FROM consent_events") == [(2,)]
    assert dispatch() == []
    assert len(graph_api.sent_messages()) == 1
    assert len(inbound_messages()) == 2


def test_a_sentence_containing_stop_is_not_an_opt_out(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    customer_id = opted_in_customer(merchant_id)
    pending = schedule(
        merchant_id, customer_id, "journey_step", due_at=now_seconds() + timedelta(2)
    )
    deliver(client, merchant_id, text_body("the itching won't stop", "wamid.itch", now_seconds()))
    assert owner_sql("SELECT consent_state FROM customers") == [("opted_in",)]
    assert owner_sql("SELECT count(*) FROM consent_events") == [(1,)]
    assert owner_sql("SELECT id, status FROM scheduled_messages") == [(pending, "scheduled")]
    assert inbound_messages()[0][1] == "the itching won't stop"


def test_turkish_iptal_opts_out_and_is_confirmed_in_turkish(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    opted_in_customer(merchant_id, language="tr")
    deliver(client, merchant_id, text_body("İPTAL", "wamid.iptal", now_seconds()))
    assert owner_sql("SELECT consent_state FROM customers") == [("opted_out",)]
    ((_, _, payload),) = scheduled_rows("text_reply")
    assert isinstance(payload, dict)
    assert payload["text"] == opt_out_confirmation("tr")
    assert "BAŞLA" in payload["text"]


def test_start_after_stop_opts_back_in(client: TestClient, merchant_id: uuid.UUID) -> None:
    opted_in_customer(merchant_id)
    at = now_seconds()
    deliver(client, merchant_id, text_body("Stop!", "wamid.stop", at))
    deliver(client, merchant_id, text_body("START", "wamid.start", at + timedelta(minutes=1)))
    assert owner_sql("SELECT consent_state FROM customers") == [("opted_in",)]
    assert [r[0] for r in owner_sql("SELECT state FROM consent_events ORDER BY recorded_at")] == [
        "opted_in",
        "opted_out",
        "opted_in",
    ]
    assert len(scheduled_rows("text_reply")) == 2


def test_a_stale_stop_does_not_override_a_newer_consent(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    """Consent given yesterday outranks a STOP Meta delivers late from the day before."""
    opted_in_customer(merchant_id)
    deliver(client, merchant_id, text_body("STOP", "wamid.old", now_seconds() - timedelta(days=2)))
    assert owner_sql("SELECT consent_state FROM customers") == [("opted_in",)]
    assert scheduled_rows("text_reply") == []
    assert len(inbound_messages()) == 1


# -- the sandbox's customer side ---------------------------------------------------------------


def sandbox_merchant(email: str = "owner@sandbox.com") -> tuple[uuid.UUID, dict[str, str]]:
    merchant = sign_up("Sandbox Kozmetik", email, "correct horse battery")
    with session_scope(merchant.merchant_id) as session:
        key = create_key(session, "test", "sandbox", scopes=["admin"]).key
    return merchant.merchant_id, {"X-Api-Key": key}


def test_sandbox_stop_is_opted_out_and_confirmed_at_once(client: TestClient) -> None:
    merchant, auth = sandbox_merchant()
    response = client.post(
        SANDBOX_URL, json={"phone": CUSTOMER_PHONE, "text": "STOP"}, headers=auth
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["decision"]["action"] == "opt_out"
    (reply,) = answer["replies"]
    assert reply["text"] == opt_out_confirmation(None)
    assert (reply["kind"], reply["status"]) == ("text", "delivered")
    assert owner_sql("SELECT consent_state, merchant_id FROM customers") == [
        ("opted_out", merchant)
    ]
    assert scheduled_rows("text_reply")[0][1] == "sent"
    rows = owner_sql("SELECT id, conversation_id, direction FROM messages ORDER BY created_at")
    assert [(str(r[0]), str(r[1]), r[2]) for r in rows] == [
        (answer["message_id"], answer["conversation_id"], "inbound"),
        (reply["message_id"], answer["conversation_id"], "outbound"),
    ]

    # Opted out: the agent records a question and stays silent; nothing is confirmed again.
    question = {"phone": CUSTOMER_PHONE, "text": "Serumu nasıl kullanırım?"}
    second = client.post(SANDBOX_URL, json=question, headers=auth).json()
    assert second["decision"]["action"] == "silent" and second["replies"] == []
    assert second["conversation_id"] == answer["conversation_id"]


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "not-a-phone", "text": "STOP"},
        {"phone": "+90 532", "text": "STOP"},
        {"phone": "+1", "text": "STOP"},
        {"phone": CUSTOMER_PHONE, "text": ""},
        {"phone": CUSTOMER_PHONE, "text": "   "},
        {"phone": CUSTOMER_PHONE},
        {"text": "STOP"},
    ],
)
def test_sandbox_rejects_bad_input_with_a_json_error(
    client: TestClient, body: dict[str, str]
) -> None:
    _, auth = sandbox_merchant()
    response = client.post(SANDBOX_URL, json=body, headers=auth)
    assert response.status_code in (400, 422), response.text
    assert "code" in response.json()["error"]
    assert owner_sql("SELECT count(*) FROM messages") == [(0,)]


def test_sandbox_needs_authentication(client: TestClient) -> None:
    response = client.post(SANDBOX_URL, json={"phone": CUSTOMER_PHONE, "text": "STOP"})
    assert response.status_code == 401
    assert "error" in response.json()
    bad = {"X-Api-Key": "rct_" + "x" * 40}
    response = client.post(SANDBOX_URL, json={"phone": CUSTOMER_PHONE, "text": "hi"}, headers=bad)
    assert response.status_code == 401


def test_sandbox_is_refused_once_a_whatsapp_number_is_connected(client: TestClient) -> None:
    merchant, auth = sandbox_merchant()
    with session_scope(merchant) as session:
        secrets = {"access_token": ACCESS_TOKEN, "app_secret": APP_SECRET}
        integrations.connect(session, "test", "whatsapp", PHONE_NUMBER_ID, secrets)
    response = client.post(
        SANDBOX_URL, json={"phone": CUSTOMER_PHONE, "text": "STOP"}, headers=auth
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_sandbox"
    assert owner_sql("SELECT count(*) FROM customers") == [(0,)]
    assert owner_sql("SELECT count(*) FROM messages") == [(0,)]


# -- tenant isolation --------------------------------------------------------------------------


def tenant_counts(merchant: uuid.UUID) -> dict[str, int]:
    with session_scope(merchant) as session:
        return {
            "events": len(session.exec(select(ExternalEvent.id)).all()),
            "customers": len(session.exec(select(Customer.id)).all()),
            "conversations": len(session.exec(select(Conversation.id)).all()),
            "messages": len(session.exec(select(Message.id)).all()),
            "scheduled": len(session.exec(select(ScheduledMessage.id)).all()),
        }


def test_a_webhook_for_one_merchants_number_is_invisible_to_another(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    other = connect_number("owner@other.com", OTHER_NUMBER_ID, OTHER_SECRET, "other-verify-token")
    opted_in_customer(merchant_id)
    deliver(client, merchant_id, text_body("STOP", "wamid.a-stop", now_seconds()))
    assert process_pending(other) == []
    assert tenant_counts(other) == dict.fromkeys(
        ("events", "customers", "conversations", "messages", "scheduled"), 0
    )
    assert tenant_counts(merchant_id) == {
        "events": 1,
        "customers": 1,
        "conversations": 1,
        "messages": 1,
        "scheduled": 1,
    }
    for table in ("external_events", "customers", "conversations", "messages", "consent_events"):
        assert owner_sql(f"SELECT DISTINCT merchant_id FROM {table}") == [(merchant_id,)], table

    # The same customer writes to the other store: a separate customer there.
    other_body = text_body(
        "Merhaba", "wamid.b-hello", now_seconds(), phone_number_id=OTHER_NUMBER_ID
    )
    response = post(client, other_body, secret=OTHER_SECRET)
    assert response.json() == {"status": "accepted"}
    assert process_pending(other) == ["processed"]
    with session_scope(other) as session:
        (customer,) = session.exec(select(Customer)).all()
        assert customer.consent_state == "unknown"  # merchant A's opt-out is A's alone
        (message,) = session.exec(select(Message)).all()
        assert message.provider_message_id == "wamid.b-hello"
    assert tenant_counts(merchant_id)["messages"] == 1


def test_a_body_naming_two_merchants_numbers_only_touches_the_one_it_was_routed_to(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    other = connect_number("owner@other.com", OTHER_NUMBER_ID, OTHER_SECRET, "other-verify-token")
    at = now_seconds()
    body = text_body("Merhaba", "wamid.for-a", at)
    foreign = text_body("STOP", "wamid.for-b", at, phone_number_id=OTHER_NUMBER_ID)
    body["entry"].append(foreign["entry"][0])
    assert post(client, body).json() == {"status": "accepted"}  # routed to A, signed by A
    assert process_pending(merchant_id) == ["processed"]
    rows = owner_sql("SELECT provider_message_id, merchant_id FROM messages")
    assert rows == [("wamid.for-a", merchant_id)]
    assert tenant_counts(other)["customers"] == 0
    assert owner_sql("SELECT count(*) FROM scheduled_messages") == [(0,)]
    # Ordered by the owner: A's rows only, whichever way we look.
    with session_scope(merchant_id) as session:
        ids = session.exec(select(Message.provider_message_id).order_by(col(Message.created_at)))
        assert list(ids) == ["wamid.for-a"]


def test_an_error_about_the_number_is_shown_on_its_integration_and_stores_no_message(
    client: TestClient, merchant_id: uuid.UUID
) -> None:
    deliver(client, merchant_id, fixture_json("whatsapp", "value_errors.json"))
    ((last_error,),) = owner_sql("SELECT last_error FROM integrations WHERE kind = 'whatsapp'")
    assert isinstance(last_error, str)
    assert "131051: Message type unknown (Message type is currently not supported.)" in last_error
    assert inbound_messages() == []
