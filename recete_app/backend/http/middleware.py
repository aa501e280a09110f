"""ASGI middleware: request id, access log, metrics, body-size cap and the per-IP rate limit."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recete_app.backend.config import Settings
from recete_app.backend.http.metrics import HTTP_LATENCY, HTTP_REQUESTS
from recete_app.backend.http.responses import error_bytes
from recete_app.backend.logs import reset_request_id, set_request_id
from recete_app.backend.security.rate_limits import Limit, RateLimiter

log = logging.getLogger("recete.http")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
LIMITED_PREFIXES = ("/api/", "/webhooks/")
WEBHOOK_PREFIX = "/webhooks/"
UPLOAD_PREFIXES = ("/_upload", "/api/order-imports")  # order files: large


class BodyTooLarge(Exception):
    pass


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, settings: Settings, limiter: RateLimiter, ip_limit: Limit
    ) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_upload = settings.max_upload_bytes
        self.webhook_capacity = settings.webhook_max_inflight
        self.webhooks_inflight = 0
        self.limiter = limiter
        self.ip_limit = ip_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}
        try:
            await self._handle(scope, receive, send, request_id, status_holder)
        finally:
            self._observe(scope, status_holder["status"], time.perf_counter() - started)
            reset_request_id(token)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, holder: dict[str, int]
    ) -> None:
        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        path: str = scope.get("path", "")
        too_large = f"Request body exceeds {self._cap_for(path)} bytes."
        if path.startswith(LIMITED_PREFIXES):
            verdict = self.limiter.hit(self.ip_limit, _client_ip(scope))
            if not verdict.allowed:
                await _reply(
                    tagged_send,
                    429,
                    "rate_limited",
                    "Too many requests.",
                    {"retry-after": str(verdict.retry_after)},
                )
                return
        if path.startswith(WEBHOOK_PREFIX):
            if self.webhooks_inflight >= self.webhook_capacity:
                # Shedding load fast beats timing out: the store retries a 503 later, and
                # nothing was stored, so nothing is lost or duplicated.
                await _reply(
                    tagged_send, 503, "overloaded", "Busy, retry shortly.", {"retry-after": "1"}
                )
                return
            self.webhooks_inflight += 1
            try:
                await self._pass(scope, receive, tagged_send, path, too_large, holder)
            finally:
                self.webhooks_inflight -= 1
            return
        await self._pass(scope, receive, tagged_send, path, too_large, holder)

    async def _pass(
        self,
        scope: Scope,
        receive: Receive,
        tagged_send: Send,
        path: str,
        too_large: str,
        holder: dict[str, int],
    ) -> None:
        cap = self._cap_for(path)
        declared = _content_length(scope)
        if cap is not None and declared is not None and declared > cap:
            await _reply(tagged_send, 413, "body_too_large", too_large)
            return

        overflow = {"hit": False}

        async def guarded_send(message: Message) -> None:
            # The app may turn a read error into its own 400; the real cause is the size cap.
            if not overflow["hit"]:
                await tagged_send(message)
            elif message["type"] == "http.response.start":
                await _reply(tagged_send, 413, "body_too_large", too_large)

        if cap is None:
            await self.app(scope, receive, tagged_send)
            return
        try:
            await self.app(scope, self._capped(receive, overflow, cap), guarded_send)
        except BodyTooLarge:
            if holder["status"] == 500:
                await _reply(tagged_send, 413, "body_too_large", too_large)

    def _cap_for(self, path: str) -> int | None:
        """API and webhook bodies are small; dashboard uploads (CSV) may be large."""
        if path.startswith(UPLOAD_PREFIXES):
            return self.max_upload
        if path.startswith(LIMITED_PREFIXES):
            return self.max_body
        return None

    def _capped(self, receive: Receive, overflow: dict[str, bool], cap: int) -> Receive:
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    overflow["hit"] = True
                    raise BodyTooLarge
            return message

        return capped

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route_template(scope)
        method = scope.get("method", "")
        HTTP_REQUESTS.labels(method, route, str(status)).inc()
        HTTP_LATENCY.labels(method, route).observe(seconds)
        if route != "reflex":
            log.info(
                "%s %s -> %s in %.1f ms",
                method,
                scope.get("path"),
                status,
                seconds * 1000,
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )


async def _reply(
    send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    body = error_bytes(code, message)
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _request_id(scope: Scope) -> str:
    incoming = _header(scope, b"x-request-id")
    if incoming and _SAFE_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _client_ip(scope: Scope) -> str:
    client: Any = scope.get("client")
    return str(client[0]) if client else "unknown"


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    path: str = scope.get("path", "")
    return "unmatched" if path.startswith(LIMITED_PREFIXES) else "reflex"
