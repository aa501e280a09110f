from __future__ import annotations

import pytest

from recete_app.backend.phones import InvalidPhoneError, normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+90 532 123 45 67", None, "+905321234567"),
        ("0532 123 4567", "TR", "+905321234567"),
        ("00905321234567", None, "+905321234567"),
        ("(415) 555-2671", "US", "+14155552671"),
    ],
)
def test_phones_normalise_to_e164(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "abc", "+90 12", "0532 123 4567"])
def test_unusable_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneError):
        normalize_phone(raw)
