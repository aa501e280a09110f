"""Tracked links, pure parts: who counts as a person clicking, and the store URL with Recete's
UTM tags."""

from __future__ import annotations

import pytest

from recete_app.backend.analytics.links import TOKEN, is_link_preview, with_campaign


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/124.0 Mobile Safari",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
        # A phone model whose name ends in "bot" is still a person.
        "Mozilla/5.0 (Linux; Android 12; CUBOT_X50) AppleWebKit/537.36 Chrome/120.0 Mobile",
    ],
)
def test_browsers_are_people(agent: str) -> None:
    assert not is_link_preview(agent)


@pytest.mark.parametrize(
    "agent",
    [
        "WhatsApp/2.23.20.0 A",
        "facebookexternalhit/1.1",
        "meta-externalagent/1.1",
        "Twitterbot/1.0",
        "Discordbot/2.0; +https://discordapp.com",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "curl/8.5.0",
        "python-requests/2.32",
        None,
        "   ",
    ],
)
def test_fetchers_and_crawlers_are_not(agent: str | None) -> None:
    assert is_link_preview(agent)


def test_utm_tags_are_added_and_replace_the_links_own() -> None:
    assert with_campaign("https://s.example/p?ref=wa&utm_source=x#top", "day3_usage_tips") == (
        "https://s.example/p?ref=wa&utm_source=recete&utm_medium=whatsapp"
        "&utm_campaign=day3_usage_tips#top"
    )


def test_tokens_are_url_safe_and_long_enough_to_guess_at_random_only() -> None:
    assert TOKEN.fullmatch("AbC_-0123456789xyz")
    assert not TOKEN.fullmatch("short")
    assert not TOKEN.fullmatch("has/slash/in/it/0123")


def test_a_link_python_cannot_parse_is_redirected_as_it_is_not_refused() -> None:
    # A step link that passed the https:// check but is not a URL (an unclosed IPv6 bracket).
    assert with_campaign("https://[shop.example/x", "day3_usage_tips") == "https://[shop.example/x"
