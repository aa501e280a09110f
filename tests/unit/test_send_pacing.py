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
    reserve_slots,
    wait_for,
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


def test_a_send_sleeps_until_its_slot_or_raises_without_one() -> None:
    clock = FakeClock()
    pacer = MemoryPacer(clock)
    for _ in range(9):
        [slot] = reserve_slots("n1", 1, per_second=80, pacer=pacer)
        wait_for(slot, "n1", sleep=clock.sleep)
    assert clock.now > 1000.0  # the tenth waited for its slot
    slow = MemoryPacer(clock)
    with pytest.raises(NoSendingSlot):
        for _ in range(100):
            [slot] = reserve_slots("n2", 1, per_second=1, pacer=slow)
            wait_for(slot, "n2", sleep=lambda _s: None)


def test_a_wave_takes_the_same_slots_as_its_sends_one_by_one() -> None:
    one_by_one, at_once = MemoryPacer(FakeClock()), MemoryPacer(FakeClock())
    singles = [one_by_one.reserve("n1", 72.0) for _ in range(10)]
    assert at_once.reserve_many("n1", 72.0, 10) == singles
    assert at_once.reserve("n1", 72.0) == one_by_one.reserve("n1", 72.0)


def test_a_wave_past_the_longest_wait_gets_no_slot_for_the_rest() -> None:
    pacer = MemoryPacer(FakeClock())
    slots = reserve_slots("n1", 80, per_second=1, pacer=pacer)  # 0.9 a second: 30 s holds ~27
    taken = [s for s in slots if s is not None]
    assert slots == [*taken, *([None] * (80 - len(taken)))]
    assert max(taken) <= MAX_WAIT_SECONDS
    assert pacer.reserve("n1", 0.9) is None  # what was refused was not taken either
