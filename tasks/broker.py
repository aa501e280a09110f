"""The Dramatiq broker: Redis when RECETE_REDIS_URL is set, otherwise in-process.

Import this module before any actor module: actors bind to the broker set here.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from recete_app.backend.config import get_settings


def _build_broker() -> dramatiq.Broker:
    settings = get_settings()
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=settings.redis_url)  # type: ignore[no-untyped-call]
    # In-process: the backend starts worker threads on this broker (tasks/runtime.py).
    stub = StubBroker()
    stub.emit_after("process_boot")
    return stub


broker = _build_broker()
dramatiq.set_broker(broker)


def is_embedded() -> bool:
    return isinstance(broker, StubBroker)
