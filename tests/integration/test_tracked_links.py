"""`/r/{token}`: a journey link redirects to the store with UTM tags, counts a person's click
and not a preview fetcher's or a HEAD request, and answers an unknown or malformed token with a
plain 404 page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from recete_app.backend.analytics.links import tracked_url
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.models import AnalyticsEvent, TrackedLink
from tests.integration.journey_fixtures import new_merchant

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def make_link(merchant_id: uuid.UUID, target: str = "https://shop.example/p/1") -> str:
    with session_scope(merchant_id) as session:
        url = tracked_url(session, uuid.uuid4(), "day14_check_in", datetime.now(UTC), target)
    return url.rsplit("/r/", 1)[1]


def link(merchant_id: uuid.UUID) -> TrackedLink:
    with session_scope(merchant_id) as session:
        return session.exec(select(TrackedLink)).one()


def clicked_facts(merchant_id: uuid.UUID) -> int:
    with session_scope(merchant_id) as session:
        return len(
            session.exec(select(AnalyticsEvent).where(AnalyticsEvent.name == "clicked")).all()
        )


def test_a_click_redirects_with_utm_tags_and_counts_once_as_a_fact(client: TestClient) -> None:
    merchant_id = new_merchant()
    token = make_link(merchant_id)
    for _ in range(3):
        answer = client.get(f"/r/{token}", headers={"user-agent": PHONE}, follow_redirects=False)
        assert answer.status_code == 302
        assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["location"] == (
        "https://shop.example/p/1?utm_source=recete&utm_medium=whatsapp&utm_campaign=day14_check_in"
    )
    assert link(merchant_id).clicks == 3
    assert clicked_facts(merchant_id) == 1


@pytest.mark.parametrize(
    "agent",
    [
        "WhatsApp/2.23.20.0 A",
        "WhatsApp/2.24.8.77 i",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "",
    ],
)
def test_link_preview_fetchers_are_redirected_but_not_counted(
    client: TestClient, agent: str
) -> None:
    merchant_id = new_merchant()
    token = make_link(merchant_id)
    answer = client.get(f"/r/{token}", headers={"user-agent": agent}, follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["location"].startswith("https://shop.example/p/1?")
    assert link(merchant_id).clicks == 0
    assert clicked_facts(merchant_id) == 0


def test_a_head_request_is_not_a_click(client: TestClient) -> None:
    merchant_id = new_merchant()
    token = make_link(merchant_id)
    answer = client.head(f"/r/{token}", headers={"user-agent": PHONE}, follow_redirects=False)
    assert answer.status_code == 302
    assert link(merchant_id).clicks == 0


@pytest.mark.parametrize(
    "token", ["unknownbutwellformed123", "short", "has.dots.and%20spaces", "x" * 200, "ü" * 20]
)
def test_an_unknown_or_malformed_token_gets_a_plain_404_page(
    client: TestClient, token: str
) -> None:
    new_merchant()
    answer = client.get(f"/r/{token}", headers={"user-agent": PHONE}, follow_redirects=False)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Link not found" in answer.text


def test_the_same_send_and_target_keep_one_token_and_the_url_names_no_customer() -> None:
    merchant_id = new_merchant()
    subject = uuid.uuid4()
    with session_scope(merchant_id) as session:
        first = tracked_url(
            session, subject, "day3_usage_tips", datetime.now(UTC), "https://s.example/"
        )
        again = tracked_url(
            session, subject, "day3_usage_tips", datetime.now(UTC), "https://s.example/"
        )
        other = tracked_url(
            session, uuid.uuid4(), "day3_usage_tips", datetime.now(UTC), "https://s.example/"
        )
    assert first == again != other
    assert first.startswith("http://localhost:3000/r/")
    assert str(merchant_id) not in first and str(subject) not in first
