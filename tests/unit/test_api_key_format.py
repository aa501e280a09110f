from __future__ import annotations

from recete_app.backend.security.api_keys import (
    display_prefix,
    generate_api_key,
    hash_api_key,
    looks_like_api_key,
)


def test_api_keys_are_random_prefixed_and_hashed() -> None:
    first, second = generate_api_key(), generate_api_key()
    assert first.startswith("gg_live_") and first != second
    assert looks_like_api_key(first)
    assert hash_api_key(first) != hash_api_key(second)
    assert len(hash_api_key(first)) == 64
    assert display_prefix(first) == first[:14]
    assert not looks_like_api_key("gg_live_short")
