"""A lean HTTP/1.1 server for the fake providers when they are under load (the send benchmark):
one asyncio loop in a background thread instead of a thread and an email-parser per request.

The stdlib server spends most of a request parsing headers with `email.parser` and switching
threads; on the benchmark's two shared cores that was the fake Graph API's CPU, taken from the
workers it was meant to measure. This one reads the request line, the headers it needs and a
Content-Length body, and hands them to the same `handle(path, body, authorization)` as the
threaded server does, so the answers are byte for byte Meta's shapes either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

Handle = Callable[
    [str, dict[str, Any] | None, str | None], tuple[int, dict[str, Any], dict[str, str]] | None
]
MAX_HEADER_BYTES = 64 * 1024


class AsyncioProviderServer:
    def __init__(self, handle: Handle, parse_body: Callable[[bytes], Any]) -> None:
        self._handle = handle
        self._parse_body = parse_body
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.server_address: tuple[str, int] = ("127.0.0.1", 0)

    @classmethod
    def serve(cls, handle: Handle, parse_body: Callable[[bytes], Any]) -> AsyncioProviderServer:
        server = cls(handle, parse_body)
        server._thread.start()
        asyncio.run_coroutine_threadsafe(server._start(), server._loop).result(timeout=5)
        return server

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=512)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.server_address = (str(host), int(port))

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEADER_BYTES:
            return False
        lines = head.decode("latin-1").split("\r\n")
        method, path, _version = ([*lines[0].split(" ", 2), "", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length") or 0))
        if method != "POST":
            writer.write(_response(405, {"error": {"message": "Unsupported method"}}, {}))
            return True
        reply = self._handle(path, self._parse_body(body), headers.get("authorization"))
        if reply is None:  # hang up without answering
            return False
        writer.write(_response(*reply))
        await writer.drain()
        return headers.get("connection", "").lower() != "close"


def _response(status: int, answer: dict[str, Any], headers: dict[str, str]) -> bytes:
    data = json.dumps(answer).encode()
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Content-Type: application/json; charset=UTF-8",
        f"Content-Length: {len(data)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data
