"""Phone numbers in one form: E.164."""

from __future__ import annotations

import phonenumbers


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
