"""The socket server under the fake providers: threaded, and able to end kept-alive connections
when the fake stops (they would otherwise hold their handler threads forever)."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ProviderServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: Any
    ) -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__(address, handler)

    @classmethod
    def serve(cls, handler: type[BaseHTTPRequestHandler], fake: Any) -> ProviderServer:
        """A server on a free local port, answering in a background thread."""
        server = cls(("127.0.0.1", 0), handler, fake)
        server._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        server._thread.start()
        return server

    def stop(self) -> None:
        self.shutdown()
        self.close_connections()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):  # the client may have hung up already
                sock.shutdown(socket.SHUT_RDWR)
