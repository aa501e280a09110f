"""Enqueueing background jobs without importing the queue: task modules register their actors
here, web handlers call `enqueue`. A failed enqueue (Redis down) is logged, never raised: what
was enqueued is always already stored, and a sweeper finds it again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Sender = Callable[..., Any]
_senders: dict[str, Sender] = {}


def register(job: str, sender: Sender) -> None:
    _senders[job] = sender


def enqueue(job: str, **kwargs: str) -> bool:
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
