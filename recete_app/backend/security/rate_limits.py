"""Fixed-window rate limits: in memory by default, in Redis (shared by all processes) when set."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from recete_app.backend.config import Settings, get_settings


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets (0 when allowed)


class RateLimiter(Protocol):
    def hit(self, limit: Limit, key: str) -> Verdict: ...


def _window(limit: Limit, now: float) -> tuple[int, int]:
    start = int(now // limit.window_seconds) * limit.window_seconds
    return start, max(1, start + limit.window_seconds - int(now))


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, limit: Limit, key: str) -> Verdict:
        start, retry_after = _window(limit, time.time())
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if k[2] >= start}
            slot = (limit.name, key, start)
            count = self._counts.get(slot, 0) + 1
            self._counts[slot] = count
        return Verdict(count <= limit.count, 0 if count <= limit.count else retry_after)


class RedisRateLimiter:
    def __init__(self, client: Any) -> None:
        self._redis = client

    def hit(self, limit: Limit, key: str) -> Verdict:
        start, retry_after = _window(limit, time.time())
        slot = f"recete:rl:{limit.name}:{key}:{start}"
        pipe = self._redis.pipeline()
        pipe.incr(slot)
        pipe.expire(slot, limit.window_seconds + 1)
        count = int(pipe.execute()[0])
        return Verdict(count <= limit.count, 0 if count <= limit.count else retry_after)


def build_rate_limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url:
        import redis

        return RedisRateLimiter(redis.Redis.from_url(settings.redis_url))
    return MemoryRateLimiter()


@lru_cache(maxsize=1)
def shared_rate_limiter() -> RateLimiter:
    """The process's limiter for the configured settings (Redis-backed when Redis is set)."""
    return build_rate_limiter(get_settings())


def default_limits(settings: Settings) -> dict[str, Limit]:
    return {
        "login": Limit("login", settings.rate_limit_login_per_email, 900),
        "login_any_address": Limit(
            "login_any_address", settings.rate_limit_login_per_email_any_address, 900
        ),
        "ip": Limit("ip", settings.rate_limit_ip_per_minute, 60),
        "api_key": Limit("api_key", settings.rate_limit_api_key_per_hour, 3600),
        "merchant": Limit("merchant", settings.rate_limit_merchant_per_hour, 3600),
        "export": Limit("export", settings.rate_limit_exports_per_hour, 3600),
    }
