"""Per-actor queue metrics: messages processed (done, failed or skipped), retries and time taken.

Dramatiq's own Prometheus middleware needs the dramatiq command line (it forks its exposition
server and clears its metrics directory at each start, which would wipe the web processes'
files in a shared multiprocess directory); these few metrics are counted here instead and
served with all the others (services.operations_metrics). Labels are queue and actor names: a
fixed, small set.
"""

from __future__ import annotations

import time
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware
from prometheus_client import Counter, Histogram

PROCESSED = Counter(
    "recete_queue_messages_processed_total",
    "Queue messages a worker finished, by queue, actor and outcome (done, failed, skipped).",
    ["queue", "actor", "outcome"],
)
RETRIES = Counter(
    "recete_queue_message_retries_total",
    "Queue messages enqueued again after a failure, by queue and actor.",
    ["queue", "actor"],
)
DURATION = Histogram(
    "recete_queue_message_duration_seconds",
    "Time a worker spent on a queue message, by queue and actor.",
    ["queue", "actor"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


class QueueMetrics(Middleware):
    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._started[message.message_id] = time.perf_counter()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        self._finish(message, "failed" if exception is not None else "done")

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._finish(message, "skipped")

    def after_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        if "retries" in message.options:
            RETRIES.labels(message.queue_name, message.actor_name).inc()

    def _finish(self, message: Any, outcome: str) -> None:
        labels = (message.queue_name, message.actor_name)
        started = self._started.pop(message.message_id, None)
        if started is not None:
            DURATION.labels(*labels).observe(time.perf_counter() - started)
        PROCESSED.labels(*labels, outcome).inc()
