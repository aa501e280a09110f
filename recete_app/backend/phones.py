"""Phone numbers in one form (E.164), and the timezone a number is in."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

# phonenumbers' answer when it cannot place a number.
_UNKNOWN_ZONE = "Etc/Unknown"


class InvalidPhoneError(ValueError):
    pass


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """'+90 532 123 45 67', '0532 123 4567' (region TR) -> '+905321234567'."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneError("phone number is empty")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneError(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneError(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def calling_code(wa_id: str | None) -> str | None:
    """The country calling code of a WhatsApp id ('905321234567' -> '90'); None when it does
    not parse. What WhatsApp's price of a message depends on, with its category."""
    digits = "".join(ch for ch in wa_id or "" if ch.isdigit())
    if not digits:
        return None
    try:
        code = phonenumbers.parse("+" + digits, None).country_code
    except phonenumbers.NumberParseException:
        return None
    return str(code) if code else None


# --- the customer's timezone ---------------------------------------------------------------


def customer_timezone(
    phone_e164: str | None, country_code: str | None = None, fallback: str = "UTC"
) -> ZoneInfo:
    """The customer's zone from the phone number, else the shipping country, else `fallback`.

    Never raises: a bad phone, country or fallback name just moves on to the next source.
    """
    region = _region(country_code)
    phone_zones, phone_region = _phone_zones(phone_e164, region)
    country_zones = _region_zones(region)
    for name in _preferred_zones(phone_zones, _region_zones(phone_region), country_zones):
        zone = _zone(name)
        if zone is not None:
            return zone
    return _zone(fallback) or ZoneInfo("UTC")


def _region(country_code: str | None) -> str | None:
    if not isinstance(country_code, str):
        return None
    region = country_code.strip().upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def _phone_zones(phone: str | None, region: str | None) -> tuple[tuple[str, ...], str | None]:
    if not isinstance(phone, str) or not phone.strip():
        return (), None
    try:
        parsed = phonenumbers.parse(phone.strip(), region)
    except phonenumbers.NumberParseException:
        return (), None
    zones = tuple(z for z in phone_timezones.time_zones_for_number(parsed) if z != _UNKNOWN_ZONE)
    return zones, phonenumbers.region_code_for_number(parsed)


def _region_zones(region: str | None) -> tuple[str, ...]:
    """Zones of a region's example number: a fixed line is tied to a place, a mobile may not be."""
    if region is None:
        return ()
    for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        zones = tuple(
            z for z in phone_timezones.time_zones_for_number(example) if z != _UNKNOWN_ZONE
        )
        if zones:
            return zones
    return ()


def _preferred_zones(
    phone_zones: tuple[str, ...],
    phone_region_zones: tuple[str, ...],
    country_zones: tuple[str, ...],
) -> Iterable[str]:
    """A number valid in many zones (US toll-free, +44) is narrowed by the shipping country,
    then by its own region's typical zone, then alphabetically, so the answer is stable."""
    ordered = sorted(phone_zones)
    yield from (z for z in ordered if z in country_zones)
    yield from (z for z in ordered if z in phone_region_zones)
    yield from ordered
    yield from sorted(country_zones)


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name or name == _UNKNOWN_ZONE:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
