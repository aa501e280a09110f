"""Redis-backed parts against a real Redis (RECETE_TEST_REDIS_URL): the shared rate limiter and
`recete worker` consuming from the Redis queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker

from recete_app.backend.config import PROJECT_ROOT
from recete_app.backend.security.rate_limits import Limit, RedisRateLimiter
from tests.support import owner_sql

REDIS_URL = os.environ.get("RECETE_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="RECETE_TEST_REDIS_URL is not set (no Redis here)"),
]


def test_redis_rate_limiter_is_shared_between_processes() -> None:
    import redis

    assert REDIS_URL
    limit = Limit(f"test-{uuid.uuid4().hex}", 3, 60)
    first = RedisRateLimiter(redis.Redis.from_url(REDIS_URL))
    second = RedisRateLimiter(redis.Redis.from_url(REDIS_URL))
    verdicts = [limiter.hit(limit, "1.2.3.4") for limiter in (first, second, first, second)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after >= 1


def test_recete_worker_consumes_the_redis_queue(database_url: str) -> None:
    assert REDIS_URL
    owner_sql(
        "INSERT INTO merchants (id, name, default_language, timezone, settings) VALUES "
        "('22222222-2222-2222-2222-222222222222', 'R', 'en', 'UTC', '{}')"
    )
    owner_sql(
        "INSERT INTO api_keys (id, merchant_id, name, prefix, key_hash, expires_at) VALUES "
        "(gen_random_uuid(), '22222222-2222-2222-2222-222222222222', 'old', 'gg_live_r', "
        "repeat('b', 64), now() - interval '1 day')"
    )
    # The periodic loop must not be what runs the job here: mark it as just run.
    owner_sql("INSERT INTO job_schedules (name, last_run_at) VALUES ('expire_api_keys', now())")
    namespace = f"recete-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "RECETE_REDIS_URL": REDIS_URL, "RECETE_DATABASE_URL": database_url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "recete_app.cli", "worker", "--threads", "1"],
        cwd=PROJECT_ROOT,
        env=env,
    )
    try:
        broker = RedisBroker(url=REDIS_URL)  # type: ignore[no-untyped-call]
        broker.declare_queue("maintenance")
        broker.enqueue(
            dramatiq.Message(
                queue_name="maintenance",
                actor_name="expire_api_keys",
                args=(),
                kwargs={},
                options={"test": namespace},
            )
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not owner_sql("SELECT 1 FROM audit_log"):
            time.sleep(0.2)
        assert owner_sql("SELECT action FROM audit_log") == [("api_key.expired",)]
    finally:
        worker.terminate()
        assert worker.wait(timeout=20) == 0


def test_redis_pacer_gives_workers_one_timeline_per_number() -> None:
    import redis

    from recete_app.backend.messaging.throughput import BURST_SECONDS, RedisPacer

    assert REDIS_URL
    number = f"test-{uuid.uuid4().hex}"
    first = RedisPacer(redis.Redis.from_url(REDIS_URL))
    second = RedisPacer(redis.Redis.from_url(REDIS_URL))
    waits = [pacer.reserve(number, 10.0) or 0.0 for pacer in (first, second) * 4]
    # The first leaves at once, the rest a tenth of a second apart (less the burst allowance and
    # the milliseconds between the calls), whichever process asked.
    expected = [max(0.0, i / 10 - BURST_SECONDS) for i in range(8)]
    assert all(abs(wait - slot) < 0.02 for wait, slot in zip(waits, expected, strict=True))
    assert first.reserve(f"{number}-other", 10.0) == 0.0
    # A wave takes its slots in one call, on the same timeline.
    wave = second.reserve_many(number, 10.0, 3)
    assert all(
        abs(wait - (i / 10 - BURST_SECONDS)) < 0.03
        for i, wait in zip(range(8, 11), wave, strict=True)
    )
    assert len(second.reserve_many(f"{number}-slow", 0.1, 10)) == 4  # 0, 10, 20, 30 s
