"""Running workers: threads inside the backend (embedded) or `recete worker` (Redis)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import dramatiq

import tasks  # noqa: F401  (registers every actor on the broker)
from recete_app.backend import db
from recete_app.backend.agent.service import load_models
from tasks.broker import broker
from tasks.dispatcher import run_dispatch_loop
from tasks.periodic import run_periodic_loop

log = logging.getLogger(__name__)


# An idle Redis consumer polls with a growing back-off up to this many milliseconds. Dramatiq's
# default (1,000) made each queue hop of a customer's message wait ~0.5 s on average when
# traffic is light (bench/agent_latency.py), so the queues a customer waits on poll every
# 100 ms: "commerce" (their WhatsApp message is processed there, with the stores' webhooks),
# "agent" and "messages". Every other queue (and every delay queue: a retry waits seconds
# anyway) keeps 1,000: at 100 ms the 12 consumers of a worker made ~120 Redis calls a second,
# a quarter of a busy sending worker's Python time (bench/dispatch.py, profiled).
PROMPT_POLL_MS = 100
IDLE_POLL_MS = 1000
PROMPT_QUEUES = frozenset({"commerce", "agent", "messages"})


class Worker(dramatiq.Worker):
    def _add_consumer(self, queue_name: str, *, delay: bool = False) -> None:
        # The consumer thread keeps the timeout it is built with; the worker threads built
        # after the consumers get the default back.
        self.worker_timeout = PROMPT_POLL_MS if queue_name in PROMPT_QUEUES else IDLE_POLL_MS
        try:
            super()._add_consumer(queue_name, delay=delay)
        finally:
            self.worker_timeout = IDLE_POLL_MS


class WorkerRuntime:
    """Dramatiq worker threads plus the periodic-job loop, started and stopped together."""

    def __init__(self, threads: int, periodic: bool = True) -> None:
        self.connections = threads + (2 if periodic else 0)
        db.reserve_connections(self.connections)
        self.worker = Worker(broker, worker_threads=threads, worker_timeout=IDLE_POLL_MS)
        self.stop_event = threading.Event()
        self.periodic = periodic
        self._loops: list[threading.Thread] = []

    def start(self) -> None:
        load_models()
        self.worker.start()
        if self.periodic:
            for name, loop in (
                ("recete-periodic", run_periodic_loop),
                ("recete-dispatcher", run_dispatch_loop),
            ):
                thread = threading.Thread(
                    target=loop, args=(self.stop_event,), name=name, daemon=True
                )
                thread.start()
                self._loops.append(thread)
        log.info("workers started on %s", type(broker).__name__)

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self._loops:
            thread.join(timeout=5)
        self.worker.stop(timeout=10_000)
        db.reserve_connections(-self.connections)


def run_until(stop: Callable[[], bool], threads: int) -> None:
    runtime = WorkerRuntime(threads)
    runtime.start()
    try:
        while not stop():
            runtime.stop_event.wait(1.0)
    finally:
        runtime.stop()
