"""A light HTTP/1.1 load generator: requests are serialised once up front and sent over
keep-alive asyncio streams, so the generator costs a few percent of a core where an httpx
client cost about half of one (it shares this 2-core machine with the servers it measures)."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit


def raw_request(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> bytes:
    parts = urlsplit(url)
    lines = [
        f"{method} {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> int:
        """The response's status code (the body is read and dropped)."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Idle keep-alive connections; a new one is opened when none is idle."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.idle: list[Connection] = []

    async def send(self, request: bytes) -> int:
        """The status code, or 0 when the connection failed (counted, never hidden)."""
        try:
            connection = self._reusable() or await Connection.open(self.url)
        except OSError:
            return 0
        try:
            status = await connection.send(request)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            connection.close()
            return 0
        self.idle.append(connection)
        return status

    def _reusable(self) -> Connection | None:
        """An idle connection the server has not closed. A server closes one that sat idle past
        its keep-alive timeout (uvicorn: 5 s); a request written to it is never read, which the
        generator used to count as a request without an answer (as HTTP clients do, it now
        checks before reusing one)."""
        while self.idle:
            connection = self.idle.pop()
            if not (connection.reader.at_eof() or connection.writer.is_closing()):
                return connection
            connection.close()
        return None

    def close(self) -> None:
        for connection in self.idle:
            connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}

    async def timed(self, pool: Pool, request: bytes) -> None:
        started = time.perf_counter()
        status = await pool.send(request)
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def summary(self, elapsed: float | None = None) -> dict[str, Any]:
        result: dict[str, Any] = {
            "p50": percentile(self.latencies, 0.5),
            "p99": percentile(self.latencies, 0.99),
            "statuses": self.statuses,
        }
        if elapsed is not None:
            result["rps"] = self.statuses.get(200, 0) / elapsed
        return result


async def closed_loop(
    url: str, requests: list[bytes], concurrency: int, seconds: float
) -> dict[str, Any]:
    """`concurrency` clients, each sending its next request when the last one was answered."""
    tally, pool = Tally(), Pool(url)
    queue = iter(requests)
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        for request in queue:
            if time.perf_counter() > deadline:
                return
            await tally.timed(pool, request)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    pool.close()
    return tally.summary(elapsed)


async def fixed_rate(
    url: str, requests: list[bytes], rate: float, seconds: float
) -> dict[str, Any]:
    """Open loop: a request every 1/rate seconds whether or not earlier ones were answered
    (so a slow server shows up as latency, not as a politely lower rate)."""
    tally, pool = Tally(), Pool(url)
    start = time.perf_counter()
    tasks = []
    for n, request in enumerate(requests[: int(rate * seconds)]):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(tally.timed(pool, request)))
    await asyncio.gather(*tasks)
    pool.close()
    return tally.summary()
