"""Per-number send pacing: each send gets a slot, so no one-second span holds more sends than
Meta's cap, whatever the pace of the callers."""

from __future__ import annotations

from bisect import bisect_left

import pytest

from recete_app.backend.messaging.throughput import (
    BURST_SECONDS,
    MAX_WAIT_SECONDS,
    PACE_SHARE,
    MemoryPacer,
    NoSendingSlot,
    wait_for_slot,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def test_an_idle_number_sends_a_short_burst_at_once_then_paces() -> None:
    clock = FakeClock()
    pacer = MemoryPacer(clock)
    waits = [pacer.reserve("n1", 80.0) for _ in range(20)]
    at_once = [w for w in waits if w == 0.0]
    burst = BURST_SECONDS * 80
    assert burst <= len(at_once) <= burst + 1
    later = [w for w in waits if w]
    assert later == sorted(later)
    assert later[1] - later[0] == pytest.approx(1 / 80)


@pytest.mark.parametrize("callers", [1, 10, 80])
def test_no_second_holds_more_sends_than_the_cap(callers: int) -> None:
    """Callers arriving together (a wave) or one by one: the sends, at their slots, never put
    more than the cap into any one-second span."""
    clock = FakeClock()
    pacer = MemoryPacer(clock)
    sent: list[float] = []
    for _ in range(1200 // callers):
        slots = []
        for _ in range(callers):
            slots.append(clock.now + (pacer.reserve("n1", 80 * PACE_SHARE) or 0.0))
        sent.extend(slots)
        clock.now = max(slots) + 0.003  # the wave's answers come back
    assert busiest_second(sent) <= 80
    assert busiest_second(sent) >= 70  # and the number is not left idle either


def test_numbers_are_paced_apart() -> None:
    clock = FakeClock()
    pacer = MemoryPacer(clock)
    for _ in range(30):
        pacer.reserve("busy", 72.0)
    assert pacer.reserve("quiet", 72.0) == 0.0


def test_a_slot_too_far_away_is_refused_and_not_taken() -> None:
    clock = FakeClock()
    pacer = MemoryPacer(clock)
    per_second = 2.0
    while (wait := pacer.reserve("n1", per_second)) is not None:
        last = wait
    assert last <= MAX_WAIT_SECONDS
    assert pacer.reserve("n1", per_second) is None  # still refused: the refusal took nothing
    clock.now += 1.0
    assert pacer.reserve("n1", per_second) is not None


def test_wait_for_slot_sleeps_until_the_slot_or_raises() -> None:
    clock = FakeClock()
    pacer = MemoryPacer(clock)
    for _ in range(9):
        wait_for_slot("n1", per_second=80, pacer=pacer, sleep=clock.sleep)
    assert clock.now > 1000.0  # the tenth waited for its slot
    slow = MemoryPacer(clock)
    with pytest.raises(NoSendingSlot):
        for _ in range(100):
            wait_for_slot("n2", per_second=1, pacer=slow, sleep=lambda _s: None)
