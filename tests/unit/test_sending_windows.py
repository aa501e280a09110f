"""Proactive messages: the customer's timezone, quiet hours, one message a local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recete_app.backend.messaging.windows import (
    SendingWindow,
    first_free_day,
    local_day,
    next_allowed_time,
)
from recete_app.backend.phones import customer_timezone

ISTANBUL = ZoneInfo("Europe/Istanbul")
NEW_YORK = ZoneInfo("America/New_York")
DEFAULT = SendingWindow()


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- timezone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "country", "expected"),
    [
        ("+905321234567", None, "Europe/Istanbul"),
        ("+12125551234", None, "America/New_York"),
        ("+14155552671", None, "America/Los_Angeles"),
        ("+8613800138000", None, "Asia/Shanghai"),
        # A +44 mobile maps to London and the Crown dependencies; the region's own zone wins.
        ("+447400123456", None, "Europe/London"),
        ("+447911123456", None, "Europe/Guernsey"),  # a Guernsey block, rightly
        # US toll-free is valid in every North American zone; the region's typical zone wins.
        ("+18005551234", None, "America/New_York"),
        # The phone number beats the shipping country.
        ("+905321234567", "DE", "Europe/Istanbul"),
    ],
)
def test_the_timezone_comes_from_the_phone_number(
    phone: str, country: str | None, expected: str
) -> None:
    assert customer_timezone(phone, country).key == expected


def test_a_shipping_country_narrows_a_number_valid_in_many_zones() -> None:
    canadian = {"America/Halifax", "America/Toronto", "America/Winnipeg", "America/Vancouver"}
    assert customer_timezone("+18005551234", "CA").key in canadian


@pytest.mark.parametrize(
    ("phone", "country", "expected"),
    [
        (None, "TR", "Europe/Istanbul"),
        ("", "de", "Europe/Berlin"),
        ("not a phone", "TR", "Europe/Istanbul"),
        ("+8821234567", "TR", "Europe/Istanbul"),  # satellite number: phonenumbers can't place it
    ],
)
def test_without_a_usable_phone_the_shipping_country_decides(
    phone: str | None, country: str, expected: str
) -> None:
    assert customer_timezone(phone, country).key == expected


@pytest.mark.parametrize(
    ("phone", "country", "fallback", "expected"),
    [
        (None, None, "UTC", "UTC"),
        (None, None, "Europe/Istanbul", "Europe/Istanbul"),
        ("garbage", "XX", "Europe/Paris", "Europe/Paris"),
        (None, "ZZ", "Not/AZone", "UTC"),
        (None, None, "../../etc/passwd", "UTC"),
        (None, None, "", "UTC"),
        ("+", "", "Etc/Unknown", "UTC"),
    ],
)
def test_junk_input_falls_back_without_raising(
    phone: str | None, country: str | None, fallback: str, expected: str
) -> None:
    assert customer_timezone(phone, country, fallback).key == expected


# --- the window ------------------------------------------------------------------------------


def test_a_window_must_start_before_it_ends() -> None:
    with pytest.raises(ValueError):
        SendingWindow(time(20), time(9))
    with pytest.raises(ValueError):
        SendingWindow(time(9), time(9))


def test_inside_the_window_a_message_goes_now() -> None:
    when = utc(2025, 3, 5, 9, 30)  # 12:30 in Istanbul (UTC+3 all year)
    assert next_allowed_time(when, ISTANBUL, DEFAULT) == when


def test_before_the_window_it_waits_for_the_start_the_same_day() -> None:
    when = utc(2025, 3, 5, 3, 0)  # 06:00 Istanbul
    assert next_allowed_time(when, ISTANBUL, DEFAULT) == utc(2025, 3, 5, 6, 0)


def test_at_or_after_the_end_it_waits_for_the_next_morning() -> None:
    assert next_allowed_time(utc(2025, 3, 5, 17, 0), ISTANBUL, DEFAULT) == utc(2025, 3, 6, 6, 0)
    assert next_allowed_time(utc(2025, 3, 5, 20, 59), ISTANBUL, DEFAULT) == utc(2025, 3, 6, 6, 0)


def test_the_start_is_inclusive_and_the_end_exclusive() -> None:
    start = utc(2025, 3, 5, 6, 0)  # 09:00 Istanbul
    assert next_allowed_time(start, ISTANBUL, DEFAULT) == start
    just_before_end = utc(2025, 3, 5, 16, 59, 59)
    assert next_allowed_time(just_before_end, ISTANBUL, DEFAULT) == just_before_end


def test_late_evening_utc_is_already_tomorrow_in_istanbul() -> None:
    when = utc(2025, 3, 5, 22, 0)  # 01:00 on the 6th in Istanbul
    assert local_day(when, ISTANBUL) == date(2025, 3, 6)
    assert next_allowed_time(when, ISTANBUL, DEFAULT) == utc(2025, 3, 6, 6, 0)


def test_new_york_windows_follow_the_clock_across_the_spring_change() -> None:
    # 9 March 2025: clocks go from 02:00 EST to 03:00 EDT. 09:00 is 14:00Z before, 13:00Z after.
    saturday_night = utc(2025, 3, 9, 3, 0)  # 22:00 EST on the 8th
    assert next_allowed_time(saturday_night, NEW_YORK, DEFAULT) == utc(2025, 3, 9, 13, 0)
    friday_night = utc(2025, 3, 8, 2, 0)  # 21:00 EST on the 7th
    assert next_allowed_time(friday_night, NEW_YORK, DEFAULT) == utc(2025, 3, 8, 14, 0)


def test_new_york_windows_follow_the_clock_across_the_autumn_change() -> None:
    # 2 November 2025: clocks go from 02:00 EDT back to 01:00 EST.
    saturday_night = utc(2025, 11, 2, 1, 0)  # 21:00 EDT on the 1st
    assert next_allowed_time(saturday_night, NEW_YORK, DEFAULT) == utc(2025, 11, 2, 14, 0)


def test_a_start_inside_the_dst_gap_moves_forward() -> None:
    window = SendingWindow(time(2, 30), time(20))
    opened = next_allowed_time(utc(2025, 3, 9, 5, 0), NEW_YORK, window)  # 00:00 EST
    assert opened == utc(2025, 3, 9, 7, 30)  # 03:30 EDT, the gap's length later
    assert opened.astimezone(NEW_YORK).time() == time(3, 30)


def test_a_window_wholly_inside_the_dst_gap_opens_the_next_day() -> None:
    window = SendingWindow(time(2, 0), time(2, 45))
    opened = next_allowed_time(utc(2025, 3, 9, 5, 0), NEW_YORK, window)
    assert opened.astimezone(NEW_YORK) == datetime(2025, 3, 10, 2, 0, tzinfo=NEW_YORK)


def test_a_repeated_hour_can_open_the_window_the_second_time_round() -> None:
    # 01:10 EST (the second 01:10 that night); the window opens at 01:20, still ahead.
    window = SendingWindow(time(1, 20), time(1, 50))
    when = utc(2025, 11, 2, 6, 10)
    assert next_allowed_time(when, NEW_YORK, window) == utc(2025, 11, 2, 6, 20)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        next_allowed_time(datetime(2025, 3, 5, 9), ISTANBUL, DEFAULT)


def test_results_are_utc() -> None:
    when = datetime(2025, 3, 5, 23, 0, tzinfo=ISTANBUL)
    result = next_allowed_time(when, ISTANBUL, DEFAULT)
    assert result.tzinfo is UTC
    assert result == utc(2025, 3, 6, 6, 0)


# --- one proactive message a day -------------------------------------------------------------


def test_a_free_day_keeps_its_time() -> None:
    when = utc(2025, 3, 5, 9, 30)
    assert first_free_day(when, ISTANBUL, DEFAULT, busy_days=[]) == when
    assert first_free_day(when, ISTANBUL, DEFAULT, busy_days={date(2025, 3, 4)}) == when


def test_a_busy_day_slides_to_the_next_free_morning() -> None:
    when = utc(2025, 3, 5, 9, 30)
    busy = {date(2025, 3, 5), date(2025, 3, 6)}
    assert first_free_day(when, ISTANBUL, DEFAULT, busy) == utc(2025, 3, 7, 6, 0)


def test_the_window_is_applied_before_checking_the_day() -> None:
    # 21:00 Istanbul on the 5th is past the window, so the 6th is the candidate; it is busy.
    when = utc(2025, 3, 5, 18, 0)
    busy = {date(2025, 3, 5), date(2025, 3, 6)}
    assert first_free_day(when, ISTANBUL, DEFAULT, busy) == utc(2025, 3, 7, 6, 0)


def test_busy_days_are_local_days() -> None:
    when = utc(2025, 3, 5, 22, 30)  # already the 6th in Istanbul
    assert first_free_day(when, ISTANBUL, DEFAULT, {date(2025, 3, 5)}) == utc(2025, 3, 6, 6, 0)


def test_sliding_across_the_dst_change_keeps_the_local_start() -> None:
    when = utc(2025, 3, 8, 15, 0)  # 10:00 EST on Saturday
    result = first_free_day(when, NEW_YORK, DEFAULT, {date(2025, 3, 8)})
    assert result == utc(2025, 3, 9, 13, 0)  # 09:00 EDT on Sunday


# --- properties ------------------------------------------------------------------------------

ZONES = st.sampled_from(
    [
        ISTANBUL,
        NEW_YORK,
        ZoneInfo("Europe/London"),
        ZoneInfo("Australia/Lord_Howe"),
        ZoneInfo("UTC"),
    ]
)
INSTANTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)


@st.composite
def windows(draw: st.DrawFn) -> SendingWindow:
    minutes = draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=2, max_size=2, unique=True))
    start, end = sorted(minutes)
    return SendingWindow(time(start // 60, start % 60), time(end // 60, end % 60))


def _inside(instant: datetime, tz: ZoneInfo, window: SendingWindow) -> bool:
    return window.start <= instant.astimezone(tz).time().replace(tzinfo=None) < window.end


@settings(max_examples=300, deadline=None)
@given(when=INSTANTS, tz=ZONES, window=windows())
def test_next_allowed_time_is_inside_the_window_and_not_earlier(
    when: datetime, tz: ZoneInfo, window: SendingWindow
) -> None:
    result = next_allowed_time(when, tz, window)
    assert result >= when
    assert _inside(result, tz, window)
    assert result - when < timedelta(days=2)


@settings(max_examples=200, deadline=None)
@given(
    when=INSTANTS,
    tz=ZONES,
    window=windows(),
    offsets=st.sets(st.integers(-2, 10), max_size=8),
)
def test_first_free_day_never_lands_on_a_busy_day(
    when: datetime, tz: ZoneInfo, window: SendingWindow, offsets: set[int]
) -> None:
    today = local_day(when, tz)
    busy = {today + timedelta(days=n) for n in offsets}
    result = first_free_day(when, tz, window, busy)
    assert result >= when
    assert local_day(result, tz) not in busy
    assert _inside(result, tz, window)
