from __future__ import annotations

from recete_app.backend.security.rate_limits import Limit, MemoryRateLimiter


def test_limit_allows_the_budget_then_refuses_with_retry_after() -> None:
    limiter = MemoryRateLimiter()
    limit = Limit("ip", 3, 60)
    verdicts = [limiter.hit(limit, "1.2.3.4") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 1 <= verdicts[-1].retry_after <= 60


def test_limits_are_counted_per_key_and_per_limit() -> None:
    limiter = MemoryRateLimiter()
    limit = Limit("ip", 1, 60)
    assert limiter.hit(limit, "a").allowed
    assert limiter.hit(limit, "b").allowed
    assert limiter.hit(Limit("merchant", 1, 60), "a").allowed
    assert not limiter.hit(limit, "a").allowed
