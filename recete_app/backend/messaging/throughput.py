"""Messages per second per business phone number (Meta's default is 80, inbound included),
shared by every worker through Redis when configured.

Sends are paced, not counted in fixed windows: a window counter lets a whole second's sends
leave in its first milliseconds, and those granted at the end of one of our windows arrive in
Meta's next one, on top of that window's full quota (measured: 0.35% of a 20,000-message run
answered 130429). The pacer gives each send a slot (the generic cell rate algorithm: one
timestamp per number, the next free slot), at PACE_SHARE of the cap with at most BURST_SECONDS
of unused time spent at once, so no one-second span holds more sends than the cap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from recete_app.backend.config import Settings, get_settings

PACE_SHARE = 0.9  # of the number's cap: the rest absorbs network jitter and the burst
BURST_SECONDS = 0.05  # an idle number may send this much of its pace at once
MAX_WAIT_SECONDS = 30.0  # a send waits at most this long for its slot, then is retried later


class NoSendingSlot(Exception):
    """The number's next free slot is further away than MAX_WAIT_SECONDS."""


class SendPacer(Protocol):
    def reserve(self, number: str, per_second: float) -> float | None:
        """Take the number's next slot: seconds to wait for it, or None (further than
        MAX_WAIT_SECONDS away; nothing reserved)."""
        waits = self.reserve_many(number, per_second, 1)
        return waits[0] if waits else None

    def reserve_many(self, number: str, per_second: float, count: int) -> list[float]:
        """Take the number's next `count` slots at once (a wave: one Redis call, not one per
        send): the waits of those within MAX_WAIT_SECONDS, in order; none past the first
        that is too far away is taken."""
        ...


def next_slot(
    last: float, now: float, per_second: float
) -> tuple[float, float] | tuple[None, float]:
    """(wait, the number's new last slot) for a send asked for at `now`, or (None, last)."""
    interval = 1.0 / per_second
    slot = max(last + interval, now - BURST_SECONDS)
    wait = max(0.0, slot - now)
    if wait > MAX_WAIT_SECONDS:
        return None, last
    return wait, slot


class MemoryPacer(SendPacer):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def reserve_many(self, number: str, per_second: float, count: int) -> list[float]:
        waits: list[float] = []
        with self._lock:
            now = self._clock()
            last = self._last.get(number, float("-inf"))
            for _ in range(count):
                wait, last = next_slot(last, now, per_second)
                if wait is None:
                    break
                waits.append(wait)
            self._last[number] = last
        return waits


# The same arithmetic as next_slot, on Redis's clock so every worker shares one timeline:
# up to ARGV[4] slots, stopping at the first one too far away.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = 1 / tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]) or '-1e18')
local waits = {}
for i = 1, tonumber(ARGV[4]) do
  local slot = math.max(last + interval, now - tonumber(ARGV[2]))
  local wait = math.max(0, slot - now)
  if wait > tonumber(ARGV[3]) then break end
  last = slot
  waits[#waits + 1] = string.format('%.6f', wait)
end
if #waits > 0 then
  local ttl = math.ceil((tonumber(waits[#waits]) + 2) * 1000)
  redis.call('SET', KEYS[1], string.format('%.6f', last), 'PX', ttl)
end
return waits
"""


class RedisPacer(SendPacer):
    def __init__(self, client: Any) -> None:
        self._reserve = client.register_script(_RESERVE)

    def reserve_many(self, number: str, per_second: float, count: int) -> list[float]:
        waits = self._reserve(
            keys=[f"recete:pace:whatsapp:{number}"],
            args=[per_second, BURST_SECONDS, MAX_WAIT_SECONDS, count],
        )
        return [float(wait) for wait in waits]


def build_pacer(settings: Settings) -> SendPacer:
    if settings.redis_url:
        import redis

        return RedisPacer(redis.Redis.from_url(settings.redis_url))
    return MemoryPacer()


@lru_cache(maxsize=1)
def shared_pacer() -> SendPacer:
    return build_pacer(get_settings())


def reserve_slots(
    phone_number_id: str,
    count: int,
    *,
    per_second: int | None = None,
    pacer: SendPacer | None = None,
) -> list[float | None]:
    """A wait for each of `count` sends on the number; None for those with no slot in time."""
    cap = per_second or get_settings().whatsapp_messages_per_second
    waits = (pacer or shared_pacer()).reserve_many(phone_number_id, cap * PACE_SHARE, count)
    return [*waits, *([None] * (count - len(waits)))]


def wait_for(
    wait: float | None, phone_number_id: str, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Block until a reserved slot; NoSendingSlot if the send got none."""
    if wait is None:
        raise NoSendingSlot(f"{phone_number_id} has no free send slot in {MAX_WAIT_SECONDS:.0f} s")
    if wait > 0:
        sleep(wait)
