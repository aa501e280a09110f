"""A fake Meta Graph API (WhatsApp Cloud API messages endpoint, and the phone number node) on a
real local socket.

Integration tests and the send benchmark need what MockTransport cannot give: connection pooling,
concurrency, lost answers and per-second throughput limits. Answers use Meta's real shapes."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, cast
from urllib.parse import parse_qs

from tests.fakes.asyncio_server import AsyncioProviderServer
from tests.fakes.http_server import ProviderServer

DEFAULT_TITLES = {
    1: "An unknown error occurred",
    2: "Service temporarily unavailable",
    4: "Application request limit reached",
    100: "Invalid parameter",
    190: "Error validating access token: Session has expired",
    80007: "Rate limit issues",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132001: "Template name does not exist in the translation",
}


@dataclass(frozen=True)
class RecordedRequest:
    phone_number_id: str
    body: dict[str, Any]
    authorization: str | None
    received_at: float  # time.monotonic()
    status: int | None  # the HTTP status answered; None when the answer was dropped
    message_id: str | None = None  # the wamid handed out, for accepted sends


@dataclass
class _ScriptedFailure:
    phone_number_id: str | None  # None: whichever number asks next
    code: int
    http_status: int
    title: str
    subcode: int | None
    retry_after: float | None
    remaining: int


class FakeGraphApi:
    def __init__(
        self,
        *,
        token: str = "EAAG-test-token",
        rate_limit_per_second: int | None = None,
        version: str = "v23.0",
        lean: bool = False,
    ) -> None:
        self.token = token
        self.lean = lean  # served by the asyncio server (benchmarks), not a thread per client
        self.rate_limit_per_second = rate_limit_per_second
        self.version = version
        # What GET /{phone_number_id} shows of every number (Meta's phone number node).
        self.display_phone_number = "+90 532 123 45 67"
        self.verified_name = "Lale Kozmetik"
        self.reads: list[str] = []  # the paths (with query) of GET requests, in order
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: deque[_ScriptedFailure] = deque()
        self._drops = 0
        self._buckets: Counter[tuple[str, int]] = Counter()
        self._ids = itertools.count(1)
        self._server: ProviderServer | AsyncioProviderServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeGraphApi is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{self.version}"

    def start(self) -> None:
        if self._server is not None:
            return
        if self.lean:
            self._server = AsyncioProviderServer.serve(self.handle, _json_object)
        else:
            self._server = ProviderServer.serve(_Handler, self)

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._server = None
        server.stop()

    def __enter__(self) -> FakeGraphApi:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def fail_next(
        self,
        phone_number_id: str | None,
        *,
        code: int,
        http_status: int = 400,
        times: int = 1,
        title: str | None = None,
        subcode: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next `times` requests for that number (any number when None) with Meta's
        error payload for `code`, before any other check but the bearer token."""
        title = title or DEFAULT_TITLES.get(code, "Error")
        failure = _ScriptedFailure(
            phone_number_id, code, http_status, title, subcode, retry_after, times
        )
        with self._lock:
            self._failures.append(failure)

    def drop_next(self, times: int = 1) -> None:
        """Read the next `times` requests fully, then hang up without answering: the request
        arrived (and counts), the client never learns the outcome."""
        with self._lock:
            self._drops += times

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def sent_messages(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.status == 200 and r.message_id is not None]

    def max_per_second(self, phone_number_id: str) -> int:
        """Most sends accepted for the number within one wall-clock second."""
        with self._lock:
            counts = [n for (number, _), n in self._buckets.items() if number == phone_number_id]
        return max(counts, default=0)

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drops <= 0:
                return False
            self._drops -= 1
            return True

    def _take_failure(self, phone_number_id: str) -> _ScriptedFailure | None:
        with self._lock:
            for failure in self._failures:
                if failure.phone_number_id in (None, phone_number_id):
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def _admit(self, phone_number_id: str) -> bool:
        """Count a send against the number's current second, unless it is already full."""
        key = (phone_number_id, int(time.time()))
        with self._lock:
            limit = self.rate_limit_per_second
            if limit is not None and self._buckets[key] >= limit:
                return False
            self._buckets[key] += 1
            return True

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _new_message_id(self) -> str:
        return f"wamid.HBgM{next(self._ids):010d}{uuid.uuid4().hex[:20].upper()}"

    def handle(
        self, path: str, body: dict[str, Any] | None, authorization: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Answer one POST, recording it first: (status, JSON, headers), or None to hang up."""
        received_at = time.monotonic()
        phone_number_id = _phone_number_id(path, self.version)
        if self._take_drop():
            self._record(
                RecordedRequest(phone_number_id or "", body or {}, authorization, received_at, None)
            )
            return None
        headers: dict[str, str] = {}
        if phone_number_id is None:
            unknown = f"Unsupported post request. Object with ID '{path}' does not exist"
            status, answer = 400, error_payload(100, unknown, subcode=33)
        else:
            status, answer, headers = self._answer(phone_number_id, body, authorization)
        messages = answer.get("messages") if status == 200 else None
        message_id = messages[0]["id"] if messages else None
        self._record(
            RecordedRequest(
                phone_number_id or "", body or {}, authorization, received_at, status, message_id
            )
        )
        return status, answer, headers

    def _answer(
        self, phone_number_id: str, body: dict[str, Any] | None, authorization: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if authorization != f"Bearer {self.token}":
            return 401, _token_error(), {"WWW-Authenticate": 'OAuth "Facebook Platform"'}
        failure = self._take_failure(phone_number_id)
        if failure is not None:
            headers: dict[str, str] = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = f"{failure.retry_after:g}"
            payload = error_payload(failure.code, failure.title, subcode=failure.subcode)
            return failure.http_status, payload, headers
        problem = _invalid_reason(body)
        if body is None or problem is not None:
            return 400, error_payload(100, "Invalid parameter", details=problem), {}
        if body.get("status") == "read":
            return 200, {"success": True}, {}
        if not self._admit(phone_number_id):
            return 400, error_payload(130429, "Rate limit hit", details=_RATE_DETAILS), {}
        to = str(body["to"]).lstrip("+")
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": to}],
            "messages": [{"id": self._new_message_id()}],
        }
        if body.get("type") == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return 200, answer, {}

    def handle_get(
        self, path: str, authorization: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """GET /{version}/{phone_number_id}?fields=...: the number's node, only the fields
        asked for (and its id), as Meta answers."""
        with self._lock:
            self.reads.append(path)
        target, _, query = path.partition("?")
        parts = target.strip("/").split("/")
        if len(parts) != 2 or parts[0] != self.version or not parts[1].isdigit():
            unknown = f"Unsupported get request. Object with ID '{target}' does not exist"
            return 400, error_payload(100, unknown, subcode=33), {}
        if authorization != f"Bearer {self.token}":
            return 401, _token_error(), {"WWW-Authenticate": 'OAuth "Facebook Platform"'}
        failure = self._take_failure(parts[1])
        if failure is not None:
            return failure.http_status, error_payload(failure.code, failure.title), {}
        node = {
            "display_phone_number": self.display_phone_number,
            "verified_name": self.verified_name,
        }
        asked = parse_qs(query).get("fields", [""])[0].split(",")
        return 200, {**{k: v for k, v in node.items() if k in asked}, "id": parts[1]}, {}


_RATE_DETAILS = "Cloud API message throughput has been reached."


def error_payload(
    code: int, title: str, *, subcode: int | None = None, details: str | None = None
) -> dict[str, Any]:
    """Meta's Graph API error body; the message carries the code like Meta's does."""
    error: dict[str, Any] = {
        "message": f"(#{code}) {title}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or f"{title}."},
        "fbtrace_id": "A" + uuid.uuid4().hex[:22],
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def _token_error() -> dict[str, Any]:
    return {
        "error": {
            "message": "Error validating access token: Session has expired on Tuesday, "
            "04-Nov-25 02:00:00 PST. The current time is Tuesday, 04-Nov-25 03:12:41 PST.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
            "fbtrace_id": "A" + uuid.uuid4().hex[:22],
        }
    }


def _invalid_reason(body: dict[str, Any] | None) -> str | None:
    if body is None:
        return "The request body is not valid JSON."
    if body.get("messaging_product") != "whatsapp":
        return "The parameter messaging_product is required."
    if body.get("status") == "read":
        return None if body.get("message_id") else "The parameter message_id is required."
    for field in ("to", "type"):
        if not body.get(field):
            return f"The parameter {field} is required."
    kind = body["type"]
    if kind == "template":
        template = body.get("template")
        if not isinstance(template, dict) or not template.get("name"):
            return "The parameter template['name'] is required."
    elif kind == "text" and not (body.get("text") or {}).get("body"):
        return "The parameter text['body'] is required."
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections
    disable_nagle_algorithm = True
    wbufsize = -1  # headers and body leave in one write (flushed after each request)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: logging every request would cost more than answering it."""

    def do_POST(self) -> None:  # stdlib's naming
        fake = cast(ProviderServer, self.server).fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = fake.handle(self.path, _json_object(raw), self.headers.get("Authorization"))
        if reply is None:
            self.close_connection = True
            return
        self._reply(*reply)

    def do_GET(self) -> None:  # stdlib's naming
        fake = cast(ProviderServer, self.server).fake
        self._reply(*fake.handle_get(self.path, self.headers.get("Authorization")))

    def _reply(self, status: int, answer: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _phone_number_id(path: str, version: str) -> str | None:
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) == 3 and parts[0] == version and parts[2] == "messages" and parts[1]:
        return parts[1]
    return None


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        loaded = json.loads(raw)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None
