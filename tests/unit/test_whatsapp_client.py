from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from recete_app.backend.http_client import build_client
from recete_app.backend.messaging.whatsapp.client import (
    SentMessage,
    TemplateMessage,
    WhatsAppClient,
)
from recete_app.backend.messaging.whatsapp.errors import (
    WhatsAppApiError,
    WhatsAppResponseError,
    WhatsAppTransportError,
)
from tests.fakes.graph_api import FakeGraphApi
from tests.support import fixture_json

GRAPH = "https://graph.facebook.com/v23.0"
PHONE_ID = "106540352242922"
TOKEN = "EAAG-secret-token-123"
WAMID = "wamid.HBgMOTA1MzIxMjM0NTY3FQIAERgSQjg1RjM3NkRGQTY0NkE3ODFFAA=="
Handler = Callable[[httpx.Request], httpx.Response]


def accepted(request: httpx.Request) -> httpx.Response:
    to = json.loads(request.content)["to"]
    return httpx.Response(
        200,
        json={
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": WAMID, "message_status": "accepted"}],
        },
    )


def client_with(
    handler: Handler, *, base_url: str = GRAPH
) -> tuple[WhatsAppClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    http = build_client(base_url=base_url, transport=httpx.MockTransport(record))
    return WhatsAppClient(http, phone_number_id=PHONE_ID, access_token=TOKEN), seen


def answering(status: int, body: Any = None, **headers: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


def raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def test_template_is_posted_with_bearer_token_parameters_and_callback_data() -> None:
    client, seen = client_with(accepted)
    template = TemplateMessage("order_delivered_usage", "tr", ("Ayşe", "C Vitamini Serumu"))

    sent = client.send_template("+905321234567", template, callback_data="msg:42")

    assert sent == SentMessage(message_id=WAMID, wa_id="905321234567")
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"{GRAPH}/{PHONE_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "905321234567",
        "type": "template",
        "template": {
            "name": "order_delivered_usage",
            "language": {"code": "tr"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ayşe"},
                        {"type": "text", "text": "C Vitamini Serumu"},
                    ],
                }
            ],
        },
        "biz_opaque_callback_data": "msg:42",
    }


def test_template_without_parameters_has_no_components_nor_callback_data() -> None:
    client, seen = client_with(accepted)
    client.send_template("905321234567", TemplateMessage("hello_world", "en_US"))
    assert json.loads(seen[0].content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "905321234567",
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    }


def test_text_is_sent_without_preview_and_as_a_reply_when_asked() -> None:
    client, seen = client_with(accepted)
    sent = client.send_text(
        "+905321234567", "Günde iki kez, temiz cilde.", callback_data="msg:7", reply_to=WAMID
    )
    assert sent.message_id == WAMID
    assert json.loads(seen[0].content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "905321234567",
        "type": "text",
        "text": {"preview_url": False, "body": "Günde iki kez, temiz cilde."},
        "biz_opaque_callback_data": "msg:7",
        "context": {"message_id": WAMID},
    }


def test_text_without_reply_has_no_context() -> None:
    client, seen = client_with(accepted)
    client.send_text("905321234567", "Merhaba")
    body = json.loads(seen[0].content)
    assert "context" not in body and "biz_opaque_callback_data" not in body


def test_mark_read_posts_the_read_status() -> None:
    client, seen = client_with(answering(200, {"success": True}))
    client.mark_read(WAMID)
    assert str(seen[0].url) == f"{GRAPH}/{PHONE_ID}/messages"
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(seen[0].content) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": WAMID,
    }


@pytest.mark.parametrize(
    "base_url",
    [GRAPH, GRAPH + "/", "http://127.0.0.1:8080/graph-proxy/v23.0"],
)
def test_base_url_path_with_the_api_version_is_kept(base_url: str) -> None:
    client, seen = client_with(accepted, base_url=base_url)
    client.send_text("905321234567", "hi")
    assert str(seen[0].url) == base_url.rstrip("/") + f"/{PHONE_ID}/messages"


@pytest.mark.parametrize("to", ["", "+", "0532 123 45 67", "+90-532-123", "12345", "9" * 16, "abc"])
def test_recipients_that_are_not_international_digits_are_refused(to: str) -> None:
    client, seen = client_with(accepted)
    with pytest.raises(ValueError, match="recipient"):
        client.send_text(to, "hi")
    assert seen == []


def test_phone_number_id_must_stay_one_path_segment() -> None:
    http = build_client(base_url=GRAPH, transport=httpx.MockTransport(accepted))
    with pytest.raises(ValueError, match="phone_number_id"):
        WhatsAppClient(http, phone_number_id="../me", access_token=TOKEN)


def test_callback_data_and_text_over_metas_limits_are_refused_before_sending() -> None:
    client, seen = client_with(accepted)
    client.send_text("905321234567", "x" * 4096, callback_data="c" * 512)
    with pytest.raises(ValueError, match="512"):
        client.send_text("905321234567", "hi", callback_data="c" * 513)
    with pytest.raises(ValueError, match="512"):
        client.send_template("905321234567", TemplateMessage("t", "tr"), callback_data="c" * 513)
    with pytest.raises(ValueError, match="4096"):
        client.send_text("905321234567", "x" * 4097)
    with pytest.raises(ValueError, match="empty"):
        client.send_text("905321234567", "  ")
    assert len(seen) == 1


@pytest.mark.parametrize("value", ["", "two\nlines", "tab\there", "five     spaces"])
def test_template_parameters_meta_would_reject_are_refused(value: str) -> None:
    client, seen = client_with(accepted)
    with pytest.raises(ValueError, match="template parameters"):
        client.send_template("905321234567", TemplateMessage("t", "tr", ("ok", value)))
    assert seen == []


def test_meta_error_payload_becomes_a_typed_error() -> None:
    client, _ = client_with(answering(400, fixture_json("whatsapp", "error_131047.json")))
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_text("905321234567", "hi")
    error = caught.value
    assert (error.http_status, error.graph_code, error.subcode) == (400, 131047, None)
    assert error.title == "(#131047) Re-engagement message"
    assert error.details is not None and error.details.startswith("Message failed to send")
    assert error.fbtrace_id == "AQ3nX8kC2vT5Rm9wLpYb4Zs"
    assert error.kind == "permanent"
    assert str(error) == (
        "WhatsApp error 131047 ((#131047) Re-engagement message): "
        f"{error.details} [fbtrace_id=AQ3nX8kC2vT5Rm9wLpYb4Zs]"
    )


def test_expired_token_is_its_own_kind_and_never_echoes_the_token() -> None:
    client, _ = client_with(answering(401, fixture_json("whatsapp", "error_190.json")))
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_template("905321234567", TemplateMessage("t", "tr"))
    assert (caught.value.graph_code, caught.value.subcode) == (190, 463)
    assert caught.value.kind == "token_expired"
    assert TOKEN not in str(caught.value) and TOKEN not in repr(client)


def meta_error(code: int) -> dict[str, Any]:
    return {"error": {"message": f"(#{code}) x", "type": "OAuthException", "code": code}}


@pytest.mark.parametrize(
    ("http_status", "code", "kind"),
    [
        (400, 131026, "permanent"),
        (400, 130429, "transient"),
        (429, 130429, "transient"),
        (400, 131056, "transient"),
        (400, 80007, "transient"),
        (400, 131000, "transient"),
        (400, 4, "transient"),
        (500, 1, "transient"),
        (503, 2, "transient"),
        (401, 190, "token_expired"),
        (400, 100, "permanent"),
        (400, 132001, "permanent"),
        (400, 131047, "permanent"),
        (400, 131048, "permanent"),
        (400, 131049, "permanent"),
    ],
)
def test_error_kind_follows_metas_code_and_http_status(
    http_status: int, code: int, kind: str
) -> None:
    client, _ = client_with(answering(http_status, meta_error(code)))
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_text("905321234567", "hi")
    assert (caught.value.graph_code, caught.value.kind) == (code, kind)


def test_rate_limit_fixture_is_transient() -> None:
    client, _ = client_with(answering(400, fixture_json("whatsapp", "error_130429.json")))
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_text("905321234567", "hi")
    assert caught.value.kind == "transient"
    assert caught.value.details == "Cloud API message throughput has been reached."


def test_retry_after_header_is_read_as_seconds_or_date() -> None:
    client, _ = client_with(answering(429, meta_error(130429), **{"Retry-After": "7"}))
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_text("905321234567", "hi")
    assert caught.value.retry_after == 7.0

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    client, _ = client_with(answering(429, meta_error(130429), **{"Retry-After": later}))
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_text("905321234567", "hi")
    assert caught.value.retry_after is not None and 25 < caught.value.retry_after <= 30

    client, _ = client_with(answering(400, meta_error(131026)))
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_text("905321234567", "hi")
    assert caught.value.retry_after is None


def test_error_without_metas_payload_falls_back_to_the_http_status() -> None:
    client, _ = client_with(answering(502, "<html>Bad Gateway</html>"))
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_text("905321234567", "hi")
    error = caught.value
    assert (error.graph_code, error.subcode, error.details, error.fbtrace_id) == (
        None,
        None,
        None,
        None,
    )
    assert error.title == "Bad Gateway" and error.kind == "transient"
    assert str(error) == "WhatsApp error HTTP 502 (Bad Gateway)"


@pytest.mark.parametrize(
    ("exc", "request_sent"),
    [
        (httpx.ConnectError("connection refused"), False),
        (httpx.ConnectTimeout("timed out"), False),
        (httpx.PoolTimeout("no connection free"), False),
        (httpx.UnsupportedProtocol("ftp"), False),
        (httpx.ReadTimeout("timed out"), True),
        (httpx.WriteTimeout("timed out"), True),
        (httpx.ReadError("reset"), True),
        (httpx.WriteError("broken pipe"), True),
        (httpx.RemoteProtocolError("Server disconnected"), True),
        (httpx.ProxyError("proxy said no"), True),
    ],
)
def test_transport_errors_say_whether_the_request_may_have_arrived(
    exc: Exception, request_sent: bool
) -> None:
    client, _ = client_with(raising(exc))
    with pytest.raises(WhatsAppTransportError) as caught:
        client.send_text("905321234567", "hi")
    assert caught.value.request_sent is request_sent
    assert caught.value.__cause__ is exc
    assert TOKEN not in str(caught.value)


def test_base_url_without_a_scheme_is_a_request_that_never_left() -> None:
    http = build_client(base_url="graph.facebook.com/v23.0", trust_env=False)
    client = WhatsAppClient(http, phone_number_id=PHONE_ID, access_token=TOKEN)
    with pytest.raises(WhatsAppTransportError) as caught:
        client.send_text("905321234567", "hi")
    assert caught.value.request_sent is False


@pytest.mark.parametrize(
    "body",
    [{}, {"messages": []}, {"messages": [{"id": ""}]}, {"messages": "x"}, [1], "not json"],
)
def test_success_without_a_message_id_is_an_unreadable_answer(body: Any) -> None:
    client, _ = client_with(answering(200, body))
    with pytest.raises(WhatsAppResponseError) as caught:
        client.send_text("905321234567", "hi")
    assert caught.value.request_sent is True and caught.value.http_status == 200


def test_success_without_contacts_still_gives_the_message_id() -> None:
    client, _ = client_with(answering(200, {"messages": [{"id": WAMID}]}))
    assert client.send_text("905321234567", "hi") == SentMessage(WAMID, None)


def pickled(error: Exception) -> Any:
    return pickle.loads(pickle.dumps(error))  # noqa: S301 - bytes we just made


def test_errors_survive_pickling_for_job_queues() -> None:
    api = WhatsAppApiError(http_status=400, graph_code=131026, title="Message undeliverable")
    for error in (
        api,
        WhatsAppTransportError("lost", request_sent=True),
        WhatsAppResponseError("no id", http_status=200),
    ):
        copied = pickled(error)
        assert type(copied) is type(error) and str(copied) == str(error)
        assert copied.__dict__ == error.__dict__
    assert pickled(api).kind == "permanent"


# -- against the socket fake ------------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["threaded", "lean"])
def graph_api(request: pytest.FixtureRequest) -> Iterator[FakeGraphApi]:
    """Both servers the fake runs on: the benchmark's lean one must answer as the tests' does."""
    with FakeGraphApi(token=TOKEN, rate_limit_per_second=2, lean=request.param) as fake:
        yield fake


def socket_client(fake: FakeGraphApi, *, token: str = TOKEN) -> WhatsAppClient:
    http = build_client(base_url=fake.url, timeout=2.0, trust_env=False)
    return WhatsAppClient(http, phone_number_id=PHONE_ID, access_token=token)


def test_client_talks_to_the_fake_graph_api_over_a_real_socket(graph_api: FakeGraphApi) -> None:
    assert graph_api.url.endswith("/v23.0")
    client = socket_client(graph_api)
    sent = client.send_template("+905321234567", TemplateMessage("hello_world", "en_US"))
    assert sent.message_id.startswith("wamid.") and sent.wa_id == "905321234567"
    client.mark_read(WAMID)

    (recorded,) = graph_api.sent_messages()
    assert recorded.phone_number_id == PHONE_ID
    assert recorded.authorization == f"Bearer {TOKEN}"
    assert recorded.body["template"] == {"name": "hello_world", "language": {"code": "en_US"}}
    assert recorded.message_id == sent.message_id
    assert [r.status for r in graph_api.requests] == [200, 200]

    with pytest.raises(WhatsAppApiError) as caught:
        socket_client(graph_api, token="EAAG-stale").send_text("905321234567", "hi")
    assert (caught.value.http_status, caught.value.graph_code) == (401, 190)
    assert caught.value.kind == "token_expired"


def test_fake_graph_api_enforces_its_per_second_rate_limit(graph_api: FakeGraphApi) -> None:
    client = socket_client(graph_api)
    outcomes: list[int | None] = []
    for _ in range(5):  # even straddling a second boundary, 5 sends overflow a limit of 2
        try:
            client.send_text("905321234567", "hi")
            outcomes.append(None)
        except WhatsAppApiError as exc:
            assert exc.kind == "transient"
            outcomes.append(exc.graph_code)
    assert 130429 in outcomes
    assert graph_api.max_per_second(PHONE_ID) == 2
    assert graph_api.max_per_second("999") == 0


def test_fake_graph_api_scripted_failure_and_lost_answer(graph_api: FakeGraphApi) -> None:
    client = socket_client(graph_api)
    graph_api.fail_next(PHONE_ID, code=131026, title="Message undeliverable")
    with pytest.raises(WhatsAppApiError) as caught:
        client.send_text("905321234567", "hi")
    assert (caught.value.graph_code, caught.value.kind) == (131026, "permanent")

    graph_api.drop_next()
    with pytest.raises(WhatsAppTransportError) as lost:
        client.send_text("905321234567", "hi")
    assert lost.value.request_sent is True
    assert graph_api.requests[-1].status is None
    assert graph_api.requests[-1].body["text"] == {"preview_url": False, "body": "hi"}

    client.send_text("905321234567", "after the hang-up")  # a new connection just works
    assert len(graph_api.sent_messages()) == 1
