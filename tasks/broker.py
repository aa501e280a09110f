"""The Dramatiq broker: Redis when RECETE_REDIS_URL is set, otherwise in-process.

Import this module before any actor module: actors bind to the broker set here.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from recete_app.backend import queueing
from recete_app.backend.config import get_settings
from tasks.queue_metrics import QueueMetrics


def _build_broker() -> dramatiq.Broker:
    settings = get_settings()
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=settings.redis_url)  # type: ignore[no-untyped-call]
    # In-process: the backend starts worker threads on this broker (tasks/runtime.py).
    stub = StubBroker()
    stub.emit_after("process_boot")
    return stub


def waiting_in(queues: dramatiq.Broker) -> dict[str, int]:
    """Messages waiting in each queue (and delay queue) declared on `queues`, for the metrics."""
    names = sorted(queues.get_declared_queues() | queues.get_declared_delay_queues())
    if isinstance(queues, StubBroker):
        return {name: queues.queues[name].qsize() for name in names if name in queues.queues}
    client = queues.client  # type: ignore[attr-defined]
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.llen(f"{queues.namespace}:{name}")  # type: ignore[attr-defined]
        return dict(zip(names, (int(n) for n in pipe.execute()), strict=True))


broker = _build_broker()
broker.add_middleware(QueueMetrics())
dramatiq.set_broker(broker)
queueing.register_depth_reader(lambda: waiting_in(broker))


def is_embedded() -> bool:
    return isinstance(broker, StubBroker)
