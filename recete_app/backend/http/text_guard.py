"""Refuse the NUL character (U+0000) in every text input, in one place, before any route runs.

PostgreSQL text cannot hold NUL: psycopg refuses the statement, which made every route that
stores or searches text a 500. Checking here covers the URL path and query string of every
request, and the body (JSON, `\\u0000` escapes included, and form fields) of every /api/ and
/webhooks/ request, for the routes of today and of tomorrow, whatever parses them.

The signed webhook receivers are left alone: they must check the signature over the raw body
before anything else (a bad signature stays a 401), and their JSON parsing handles the rest.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recete_app.backend.errors import InvalidInput
from recete_app.backend.http.errors import recete_error_response

NUL = "\x00"
# Bodies without these bytes cannot hold a NUL, so most requests skip parsing altogether.
_BODY_MARKERS = (b"\x00", b"\\u0000")
BODY_PREFIXES = ("/api/", "/webhooks/")
SIGNED_RECEIVERS = ("/webhooks/commerce/shopify", "/webhooks/whatsapp")
SIGNED_RECEIVER_PREFIX = "/webhooks/commerce/woocommerce/"
PROBLEM = "must not contain the NUL character (U+0000)"


class RefuseNulMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _signed_receiver(scope):
            await self.app(scope, receive, send)
            return
        fields = _url_fields(scope)
        path: str = scope.get("path", "")
        if not fields and path.startswith(BODY_PREFIXES):
            # The body cap of these paths (RECETE_MAX_BODY_BYTES) bounds what is held here.
            messages, body = await _read_body(receive)
            receive = _replay(messages, receive)
            fields = await _body_fields(scope, body)
        if fields:
            # Answered here, not raised: a middleware's exception would reach no handler.
            response = recete_error_response(_refusal(fields))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _signed_receiver(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    return scope.get("method") == "POST" and (
        path in SIGNED_RECEIVERS or path.startswith(SIGNED_RECEIVER_PREFIX)
    )


def _refusal(fields: list[str]) -> InvalidInput:
    """The shape of a validation error (422, invalid_input, a detail per field)."""
    message = "; ".join(f"{field}: {PROBLEM}" for field in fields) + "."
    return InvalidInput(message, details=[{"field": f, "message": PROBLEM} for f in fields])


def _url_fields(scope: Scope) -> list[str]:
    fields = ["path"] if NUL in scope.get("path", "") else []
    raw_query: bytes = scope.get("query_string", b"")
    if b"%00" in raw_query or b"\x00" in raw_query:
        fields += _pairs_with_nul(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True))
    return fields


def _pairs_with_nul(pairs: list[tuple[str, Any]]) -> list[str]:
    found = [
        _printable(name)
        for name, value in pairs
        if NUL in name or (isinstance(value, str) and NUL in value)
    ]
    return list(dict.fromkeys(found))


def _printable(name: str) -> str:
    return name.replace(NUL, "\\u0000")


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # the client left; the app sees the same disconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return messages, b"".join(chunks)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return replay


async def _body_fields(scope: Scope, body: bytes) -> list[str]:
    content_type = Headers(scope=scope).get("content-type", "").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        if b"%00" not in body and b"\x00" not in body:
            return []
        return _pairs_with_nul(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    if not any(marker in body for marker in _BODY_MARKERS):
        return []
    if content_type.startswith("multipart/form-data"):
        return await _multipart_fields(scope, body)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []  # not JSON: the route refuses it as it always did (400/422)
    return _json_fields(document)


async def _multipart_fields(scope: Scope, body: bytes) -> list[str]:
    """Text fields only: an uploaded file's bytes are not text (a file name is)."""
    request = Request(scope, _replay([{"type": "http.request", "body": body}], _no_more))
    try:
        form = await request.form()
    except Exception:  # malformed multipart: the route answers it as before
        return []
    try:
        pairs = [
            (name, (value.filename or "") if isinstance(value, UploadFile) else value)
            for name, value in form.multi_items()
        ]
        return _pairs_with_nul(pairs)
    finally:
        await form.close()


async def _no_more() -> Message:
    return {"type": "http.disconnect"}


def _json_fields(document: Any) -> list[str]:
    """Dotted paths ("order.items.0.title") of the strings, keys included, holding a NUL."""
    found: list[str] = []
    # (path, value, whether the key naming it holds a NUL); not recursive, so a deeply nested
    # body cannot exhaust the stack.
    stack: list[tuple[str, Any, bool]] = [("", document, False)]
    while stack:
        path, value, bad_key = stack.pop()
        if bad_key or (isinstance(value, str) and NUL in value):
            found.append(path or "body")
        if isinstance(value, dict):
            children = [(_printable(k), v, NUL in k) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(str(i), v, False) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(
            (f"{path}.{name}" if path else name, v, bad) for name, v, bad in reversed(children)
        )
    return list(dict.fromkeys(found))
