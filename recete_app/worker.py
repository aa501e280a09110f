"""`recete worker`: Dramatiq worker threads and the periodic-job loop, until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def run_worker(threads: int) -> None:
    from tasks.runtime import run_until

    stopping = threading.Event()
    serve_metrics()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    run_until(stopping.is_set, threads)


def serve_metrics() -> int | None:
    """/metrics on RECETE_METRICS_PORT (the same exposition as the web processes'); the port,
    or None when none is set."""
    from prometheus_client import start_http_server

    from recete_app.backend.config import get_settings
    from recete_app.backend.services.operations_metrics import exposition_registry

    settings = get_settings()
    if settings.metrics_port is None:
        return None
    start_http_server(settings.metrics_port, settings.metrics_host, exposition_registry())
    return settings.metrics_port
