"""Running workers: threads inside the backend (embedded) or `recete worker` (Redis)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import dramatiq

import tasks  # noqa: F401  (registers every actor on the broker)
from tasks.broker import broker
from tasks.periodic import run_periodic_loop

log = logging.getLogger(__name__)


class WorkerRuntime:
    """Dramatiq worker threads plus the periodic-job loop, started and stopped together."""

    def __init__(self, threads: int, periodic: bool = True) -> None:
        self.worker = dramatiq.Worker(broker, worker_threads=threads)
        self.stop_event = threading.Event()
        self.periodic = periodic
        self._loop: threading.Thread | None = None

    def start(self) -> None:
        self.worker.start()
        if self.periodic:
            self._loop = threading.Thread(
                target=run_periodic_loop,
                args=(self.stop_event,),
                name="recete-periodic",
                daemon=True,
            )
            self._loop.start()
        log.info("workers started on %s", type(broker).__name__)

    def stop(self) -> None:
        self.stop_event.set()
        if self._loop is not None:
            self._loop.join(timeout=5)
        self.worker.stop(timeout=10_000)


def run_until(stop: Callable[[], bool], threads: int) -> None:
    runtime = WorkerRuntime(threads)
    runtime.start()
    try:
        while not stop():
            runtime.stop_event.wait(1.0)
    finally:
        runtime.stop()
