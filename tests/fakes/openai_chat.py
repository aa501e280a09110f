"""A fake OpenAI-compatible chat endpoint (POST /v1/chat/completions) on a real local socket.

Tests and latency benchmarks need what MockTransport cannot give: real timeouts, a server that
answers late, retries over a real connection. Answers and errors use OpenAI's exact shapes."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, cast

from tests.fakes.http_server import ProviderServer

Reply = Callable[[dict[str, Any]], str]

ERRORS: dict[int, tuple[str, str, str | None]] = {  # status: (message, type, code)
    400: ("Invalid request.", "invalid_request_error", None),
    401: (
        "Incorrect API key provided: sk-wr***ng. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    429: (
        "Rate limit reached for gpt-4o-mini in organization org-test on requests per min "
        "(RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}
_FIRST_SOURCE = re.compile(r"^\[S1\] .*? \([A-Za-z-]+\): (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: dict[str, Any]
    authorization: str | None
    received_at: float  # time.monotonic()


def error_payload(status: int, message: str | None = None) -> dict[str, Any]:
    """OpenAI's error body for that status."""
    default, kind, code = ERRORS.get(status, ERRORS[500])
    return {"error": {"message": message or default, "type": kind, "param": None, "code": code}}


def user_text(body: dict[str, Any]) -> str:
    """The content of the last user message of a chat request."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content", "") if users else ""
    return content if isinstance(content, str) else ""


def grounded_echo(body: dict[str, Any]) -> str:
    """A well-behaved model: quotes the first source, or says nothing when there is none."""
    found = _FIRST_SOURCE.search(user_text(body))
    if found is None:
        answer = {"intent": "other", "answer": "", "sources": [], "confidence": 0.1}
    else:
        answer = {"intent": "usage", "answer": found[1], "sources": ["S1"], "confidence": 0.8}
    return json.dumps(answer)


class FakeOpenAIChat:
    def __init__(
        self,
        *,
        reply: Reply = grounded_echo,
        delay_seconds: float = 0.0,
        api_key: str = "sk-test",
        finish_reason: str = "stop",
    ) -> None:
        self.reply = reply
        self.delay_seconds = delay_seconds
        self.api_key = api_key
        self.finish_reason = finish_reason
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: list[tuple[int, float | None]] = []  # (status, retry-after seconds)
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ProviderServer | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOpenAIChat is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> None:
        if self._server is not None:
            return
        self._stopping.clear()
        self._server = ProviderServer.serve(_Handler, self)

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._server = None
        self._stopping.set()  # delayed answers give up at once
        server.stop()

    def __enter__(self) -> FakeOpenAIChat:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def fail_next(self, n: int = 1, status: int = 500, *, retry_after: float | None = None) -> None:
        """Answer the next `n` requests with OpenAI's error for `status`; `retry_after` adds
        the retry-after-ms header the SDK honours (keeps retry tests fast)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * n)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def handle(
        self, path: str, body: dict[str, Any] | None, authorization: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one POST, recording it on arrival: (status, JSON, headers)."""
        with self._lock:
            self._requests.append(
                RecordedRequest(path, body or {}, authorization, time.monotonic())
            )
        if self.delay_seconds:
            self._stopping.wait(self.delay_seconds)
        if path.split("?", 1)[0] != "/v1/chat/completions":
            return 404, error_payload(404, f"Invalid URL (POST {path})"), {}
        if authorization != f"Bearer {self.api_key}":
            return 401, error_payload(401), {}
        failure = self._take_failure()
        if failure is not None:
            status, retry_after = failure
            headers = {} if retry_after is None else {"retry-after-ms": f"{retry_after * 1000:g}"}
            return status, error_payload(status), headers
        if body is None:
            return 400, error_payload(400, "We could not parse the JSON body of your request."), {}
        if not body.get("model") or not isinstance(body.get("messages"), list):
            return 400, error_payload(400, "Missing required parameter: 'messages'."), {}
        return 200, self._completion(body), {}

    def _take_failure(self) -> tuple[int, float | None] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        content = self.reply(body)
        prompt_tokens = max(1, len(json.dumps(body["messages"])) // 4)
        completion_tokens = max(1, len(content) // 4)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": content,
            "refusal": None,
            "annotations": [],
        }
        return {
            "id": f"chatcmpl-{next(self._ids):06d}{uuid.uuid4().hex[:20]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": self.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake0openai",
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pooled client expects
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""

    def do_POST(self) -> None:  # stdlib's naming
        fake = cast(ProviderServer, self.server).fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer, headers = fake.handle(
            self.path, _json_object(raw), self.headers.get("Authorization")
        )
        data = json.dumps(answer).encode()
        # A client that timed out has hung up: the late answer has nowhere to go.
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        loaded = json.loads(raw)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None
