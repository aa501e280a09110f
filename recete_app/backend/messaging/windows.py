"""When a proactive message may go out: the customer's local hours, one message a day.

Pure functions over aware datetimes; the scheduler feeds in the busy days from the database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A window always opens within a day or two; the slack covers days a zone skipped entirely
# (Pacific/Apia lost 30 December 2011) and windows that sit inside a DST gap.
_SEARCH_DAYS = 8


@dataclass(frozen=True)
class SendingWindow:
    """Local hours for proactive messages: `start` inclusive, `end` exclusive."""

    start: time = time(9, 0)
    end: time = time(20, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("sending window times are local wall-clock times, without a zone")
        if not self.start < self.end:
            raise ValueError(f"sending window must start before it ends: {self.start}-{self.end}")

    def contains(self, local: time) -> bool:
        return self.start <= local.replace(tzinfo=None) < self.end


# --- when to send --------------------------------------------------------------------------


def local_day(when: datetime, tz: ZoneInfo) -> date:
    return _as_utc(when).astimezone(tz).date()


def next_allowed_time(when: datetime, tz: ZoneInfo, window: SendingWindow) -> datetime:
    """The earliest instant at or after `when` whose local time is inside the window, in UTC.

    A start time that does not exist that day (a DST gap) moves forward by the gap, as
    zoneinfo resolves it; a window lying wholly inside a gap opens the next day instead.
    """
    when = _as_utc(when)
    if window.contains(when.astimezone(tz).time()):
        return when
    return _first_opening(local_day(when, tz), tz, window, not_before=when)


def first_free_day(
    when: datetime, tz: ZoneInfo, window: SendingWindow, busy_days: Collection[date]
) -> datetime:
    """Like `next_allowed_time`, but never on a local day that already has a proactive message."""
    busy = set(busy_days)
    candidate = next_allowed_time(when, tz, window)
    # Each round moves to a later local day, so len(busy) + 1 rounds always reach a free one.
    for _ in range(len(busy) + 2):
        day = local_day(candidate, tz)
        if day not in busy:
            return candidate
        candidate = _first_opening(day + timedelta(days=1), tz, window, not_before=candidate)
    raise RuntimeError("no free sending day found")  # unreachable: busy_days is finite


def _first_opening(
    first_day: date, tz: ZoneInfo, window: SendingWindow, not_before: datetime
) -> datetime:
    for offset in range(_SEARCH_DAYS):
        day = first_day + timedelta(days=offset)
        opening = _opening_on(day, tz, window, not_before)
        if opening is not None:
            return opening
    raise ValueError(f"the window {window.start}-{window.end} never opens in {tz.key}")


def _opening_on(
    day: date, tz: ZoneInfo, window: SendingWindow, not_before: datetime
) -> datetime | None:
    """The window's start on `day` as an instant; when clocks go back the start time happens
    twice (fold 0, then fold 1) and the second may be the only one still ahead of us."""
    for fold in (0, 1):
        local = datetime.combine(day, window.start, tzinfo=tz).replace(fold=fold)
        instant = local.astimezone(UTC)
        if (
            instant >= not_before
            and local_day(instant, tz) >= day
            and window.contains(instant.astimezone(tz).time())
        ):
            return instant
    return None


def _as_utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("expected an aware datetime, got a naive one")
    return when.astimezone(UTC)
