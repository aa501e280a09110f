"""Enqueueing background jobs without importing the queue: task modules register their actors
here, web handlers call `enqueue`. A failed enqueue (Redis down) is logged, never raised: what
was enqueued is always already stored, and a sweeper finds it again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Sender = Callable[..., Any]

# Every job a caller may enqueue by name. Declared here, not read from tasks/ (which the backend
# never imports), so a process without workers (tests, the CLI) still tells a job that has no
# worker here from a name nobody declared; tests/integration/test_queue.py checks that tasks/
# registers an actor for each of them.
JOBS = frozenset(
    {
        "answer_conversation",
        "import_catalogue",
        "import_orders_file",
        "make_customer_export",
        "process_external_event",
        "scrape_products",
    }
)

_senders: dict[str, Sender] = {}


class UnknownJob(LookupError):
    """A job name that no actor declares: a programming error, never a runtime condition."""


def register(job: str, sender: Sender) -> None:
    _declared(job)
    _senders[job] = sender


def enqueue(job: str, **kwargs: str) -> bool:
    _declared(job)
    sender = _senders.get(job)
    if sender is None:
        log.warning("no worker registered for %s; the sweeper will pick it up", job)
        return False
    try:
        sender(**kwargs)
    except Exception:
        log.exception("could not enqueue %s; the sweeper will pick it up", job)
        return False
    return True


def _declared(job: str) -> None:
    if job not in JOBS:
        raise UnknownJob(f"No actor in tasks/ declares the job {job!r}; known: {sorted(JOBS)}.")


# How many messages wait in each queue, for the operator's metrics: tasks/broker.py registers the
# reader for its broker (Redis or in-process), since the backend never imports the queue.
_depth_reader: Callable[[], dict[str, int]] | None = None


def register_depth_reader(reader: Callable[[], dict[str, int]]) -> None:
    global _depth_reader
    _depth_reader = reader


def queue_depths() -> dict[str, int]:
    """{queue name: messages waiting}; empty when no broker is known or it cannot be read."""
    if _depth_reader is None:
        return {}
    try:
        return _depth_reader()
    except Exception:
        log.warning("could not read the queues' depths", exc_info=True)
        return {}
