"""What the backend process starts next to Reflex: logging, Sentry, in-process workers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from recete_app.backend.config import get_settings, validate_for_startup
from recete_app.backend.logs import configure_logging
from recete_app.backend.observability import init_sentry

log = logging.getLogger(__name__)


def prepare_process() -> None:
    settings = get_settings()
    configure_logging(settings)
    validate_for_startup(settings)
    init_sentry(settings)


@asynccontextmanager
async def backend_lifespan() -> AsyncIterator[None]:
    """In embedded mode the backend runs the Dramatiq workers itself, as threads."""
    from tasks.broker import is_embedded
    from tasks.runtime import WorkerRuntime

    runtime = None
    if is_embedded():
        runtime = WorkerRuntime(get_settings().worker_threads)
        runtime.start()
    try:
        yield
    finally:
        if runtime is not None:
            await asyncio.to_thread(runtime.stop)
