"""`recete worker`: Dramatiq worker threads and the periodic-job loop, until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def run_worker(threads: int) -> None:
    from tasks.runtime import run_until

    stopping = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    run_until(stopping.is_set, threads)
