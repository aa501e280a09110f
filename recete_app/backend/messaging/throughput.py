"""Messages per second per business phone number (Meta's default is 80, inbound included),
shared by every worker through the rate limiter (Redis when configured)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from recete_app.backend.config import get_settings
from recete_app.backend.security.rate_limits import Limit, RateLimiter, shared_rate_limiter

# A send waits at most this many one-second windows for a slot, then gives up (retried later).
MAX_WAIT_WINDOWS = 30


class NoSendingSlot(Exception):
    """The number stayed at its limit for MAX_WAIT_WINDOWS seconds."""


def wait_for_slot(
    phone_number_id: str,
    *,
    per_second: int | None = None,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> None:
    limit = Limit("whatsapp_send", per_second or get_settings().whatsapp_messages_per_second, 1)
    limiter = limiter or shared_rate_limiter()
    for _ in range(MAX_WAIT_WINDOWS):
        if limiter.hit(limit, phone_number_id).allowed:
            return
        # Sleep into the next window; the jitter keeps waiting workers from arriving together.
        sleep(1.0 - clock() % 1.0 + random.uniform(0.0, 0.05))  # noqa: S311
    raise NoSendingSlot(f"{phone_number_id} stayed at its send limit for {MAX_WAIT_WINDOWS} s")
