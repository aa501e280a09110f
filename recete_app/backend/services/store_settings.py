"""The store's settings as one object, for the REST API (GET/PATCH /api/merchants/me): name,
timezone, language, typical transit days, the sending window, retention and the attribution
windows. The transit days and the
window are the journey page's settings, changed through the same functions
(`journeys.settings`); a change is checked whole first, so a bad field changes nothing and
every bad field is named."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from recete_app.backend import audit
from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.analytics import attribution, rollup
from recete_app.backend.commerce.orders import transit_days
from recete_app.backend.db import current_merchant_id, session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.journeys import settings as journey_settings
from recete_app.backend.models import Merchant
from recete_app.backend.services import retention

LANGUAGES = ("en", "tr")
ATTRIBUTION_FIELDS = ("attribution_read_days", "attribution_click_days")
MAX_NAME = 200


@dataclass(frozen=True)
class StoreSettings:
    name: str
    timezone: str
    language: str
    transit_days: int
    window_start: time
    window_end: time
    # How long personal data is kept (services/retention.py): message bodies, the bodies of
    # handled webhooks, and of webhooks that never could be handled.
    retention_message_days: int
    retention_webhook_days: int
    retention_failed_event_days: int
    # An order is attributed to a journey message read, or clicked, this many days before.
    attribution_read_days: int
    attribution_click_days: int


@dataclass(frozen=True)
class SettingsChange:
    """What to change; None leaves a setting as it is."""

    name: str | None = None
    timezone: str | None = None
    language: str | None = None
    transit_days: int | None = None
    window_start: time | None = None
    window_end: time | None = None
    retention_message_days: int | None = None
    retention_webhook_days: int | None = None
    retention_failed_event_days: int | None = None
    attribution_read_days: int | None = None
    attribution_click_days: int | None = None


def read_settings(merchant_id: uuid.UUID) -> StoreSettings:
    with session_scope(merchant_id) as session:
        return _current(session)


def _current(session: Session) -> StoreSettings:
    merchant = session.get_one(Merchant, current_merchant_id(session))
    journey = journey_settings.journey_for(session)
    policy = retention.policy_of(merchant)
    windows = attribution.windows_of(merchant.settings)
    return StoreSettings(
        name=merchant.name,
        timezone=merchant.timezone,
        language=merchant.default_language,
        transit_days=transit_days(session),
        window_start=journey.window_start,
        window_end=journey.window_end,
        retention_message_days=policy.message_days,
        retention_webhook_days=policy.webhook_days,
        retention_failed_event_days=policy.failed_event_days,
        attribution_read_days=windows.read_days,
        attribution_click_days=windows.click_days,
    )


def _policy(change: SettingsChange, before: StoreSettings) -> retention.RetentionPolicy:
    def days(name: str) -> int:
        value = getattr(change, f"retention_{name}")
        return int(value if value is not None else getattr(before, f"retention_{name}"))

    return retention.RetentionPolicy(*(days(name) for name in retention.DEFAULTS))


def update_settings(person: Principal, change: SettingsChange) -> StoreSettings:
    """Apply `change` in one transaction, audited; InvalidInput names every bad field."""
    with session_scope(person.merchant_id) as session:
        before = _current(session)
        _check(change, before)
        merchant = session.get_one(Merchant, person.merchant_id)
        if change.name is not None:
            merchant.name = change.name.strip()
        if change.timezone is not None and change.timezone != merchant.timezone:
            merchant.timezone = change.timezone
            rollup.start_over(session)  # the days are the store's days: count them again
        if change.language is not None:
            merchant.default_language = change.language
        _store_windows(merchant, change)
        policy = _policy(change, before)
        if policy != retention.policy_of(merchant):
            retention.store_policy(merchant, policy)
        session.flush()
        if change.transit_days is not None and change.transit_days != before.transit_days:
            journey_settings.update_transit_days(session, person.actor, change.transit_days)
        start, end = _window(change, before)
        if (start, end) != (before.window_start, before.window_end):
            journey = journey_settings.journey_for(session)
            journey_settings.update_window(
                session,
                person.actor,
                window_start=start,
                window_end=end,
                max_order_age_days=journey.max_order_age_days,
                enabled=journey.enabled,
            )
        changed = [f.name for f in fields(change) if getattr(change, f.name) is not None]
        audit.record(
            session,
            person.actor,
            "merchant.settings_updated",
            target=str(person.merchant_id),
            fields=changed,
        )
        return _current(session)


def _store_windows(merchant: Merchant, change: SettingsChange) -> None:
    """New attribution windows apply to orders from now on; an order attributed before keeps
    the window it was attributed with (its record says which)."""
    windows = {
        name: value for name in ATTRIBUTION_FIELDS if (value := getattr(change, name)) is not None
    }
    if windows:
        merchant.settings = {**merchant.settings, **windows}


def _check(change: SettingsChange, before: StoreSettings) -> None:
    problems: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        problems.append({"field": field, "message": message})

    if change.name is not None and not 1 <= len(change.name.strip()) <= MAX_NAME:
        bad("name", f"1 to {MAX_NAME} characters")
    if change.timezone is not None and not _is_zone(change.timezone):
        bad("timezone", "not an IANA time zone such as Europe/Istanbul")
    if change.language is not None and change.language not in LANGUAGES:
        bad("language", f"one of {', '.join(LANGUAGES)}")
    if change.transit_days is not None:
        problems += journey_settings.transit_problems(change.transit_days)
    for name in ATTRIBUTION_FIELDS:
        value = getattr(change, name)
        if value is not None and not 1 <= value <= attribution.MAX_WINDOW_DAYS:
            bad(name, f"1 to {attribution.MAX_WINDOW_DAYS} days")
    problems += retention.policy_problems(_policy(change, before))
    if change.window_start is not None or change.window_end is not None:
        start, end = _window(change, before)
        moved = "window_start" if change.window_start is not None else "window_end"
        problems += journey_settings.sending_window_problems(start, end, moved)
    if problems:
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidInput(message, details=problems)


def _window(change: SettingsChange, before: StoreSettings) -> tuple[time, time]:
    start = before.window_start if change.window_start is None else change.window_start
    end = before.window_end if change.window_end is None else change.window_end
    return start, end


def _is_zone(name: str) -> bool:
    if not name or name != name.strip() or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
