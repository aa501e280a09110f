"""The inbox as a merchant uses it: a customer reports a reaction in the Simulator, the
conversation waits at the top marked urgent, a person takes it over, answers, sees the customer's
next message arrive by itself, and hands it back to the AI."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from recete_app.backend.commerce.events import ConsentInfo, CustomerInfo, LineItem, OrderEvent
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.db import session_scope
from recete_app.backend.journeys.planner import apply_domain_events
from recete_app.backend.services.sandbox import write_as_customer
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_integrations_page import sign_up
from tests.support import owner_sql

pytestmark = pytest.mark.browser

PHONE = "+905321234567"
REACTION = "my face is burning and red after the serum"
REPLY = "So sorry, Ayşe! Please rinse with cool water and stop using it; we will call you."


def _merchant_id(email: str) -> uuid.UUID:
    rows = owner_sql("SELECT merchant_id FROM accounts WHERE email = :email", email=email)
    return uuid.UUID(str(rows[0][0]))


def _customer_with_an_order(merchant_id: uuid.UUID) -> None:
    """Ayşe, opted in, whose serum was delivered yesterday (her journey is planned)."""
    delivered = datetime.now(UTC) - timedelta(days=1)
    consent = ConsentInfo("opted_in", "whatsapp", "test", datetime(2026, 1, 1, tzinfo=UTC))
    event = OrderEvent(
        source="api",
        external_id="3001",
        updated_at=delivered,
        name="#3001",
        placed_at=delivered - timedelta(days=3),
        delivered_at=delivered,
        customer=CustomerInfo(
            external_id="c-ayse", first_name="Ayşe", phone=PHONE, consent=(consent,)
        ),
        line_items=(LineItem("li-3001", title="C Vitamini Serum", quantity=1),),
    )
    with session_scope(merchant_id) as session:
        apply_order_event(session, event)
        apply_domain_events(session)


def _customer_reports_a_reaction(page: Any, merchant_id: uuid.UUID) -> None:
    page.locator("#nav-simulator").click()
    expect(page.locator("#sim-phone")).to_have_value(PHONE)
    page.locator("#sim-text").fill(REACTION)
    page.locator("#sim-send").click()
    expect(page.locator("#sim-thread .sim-customer").last).to_contain_text(REACTION)
    # Another customer writes later: newer, but not urgent, so it comes second.
    write_as_customer(merchant_id, "+905331112233", "thank you, the toner is lovely!")


def _urgent_conversation_on_top(page: Any) -> Any:
    page.locator("#nav-conversations").click()
    rows = page.locator(".conversation-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Ayşe")
    expect(rows.first.locator(".urgent-badge")).to_be_visible()
    expect(rows.nth(1).locator(".urgent-badge")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "conversations-urgent.png"), full_page=True)
    return rows.first


def _take_over_and_reply(page: Any) -> None:
    expect(page.locator("#thread-status")).to_have_text("Needs a person")
    expect(page.locator("#escalation-banner")).to_contain_text("reaction")
    expect(page.locator("#paused-banner")).to_be_visible()
    expect(page.locator("#thread .bubble-customer").first).to_contain_text(REACTION)
    # It waits for a person: a reply would take it over on the spot (the backend's rule).
    expect(page.locator("#send-reply")).to_be_enabled()

    page.locator("#take-over").click()
    expect(page.locator("#thread-status")).to_have_text("With a person")
    # Held by this person now: nothing to take over (a colleague would still see the button).
    expect(page.locator("#take-over")).to_have_count(0)
    page.locator("#reply-text").fill(REPLY)
    page.locator("#send-reply").click()
    expect(page.locator("#thread .bubble-human").last).to_contain_text(REPLY)
    expect(page.locator("#reply-text")).to_have_value("")
    stored = owner_sql("SELECT author, status FROM messages WHERE body = :b", b=REPLY)
    assert stored == [("human", "delivered")]


def _template_once_the_window_closed(page: Any, merchant_id: uuid.UUID) -> None:
    """A day later the window has closed: a person may only send one of the journey's
    templates."""
    owner_sql(
        "UPDATE conversations SET window_expires_at = now() - interval '1 minute' "
        "WHERE merchant_id = :m",
        m=merchant_id,
    )
    page.locator("#take-over").click()
    expect(page.locator("#template-picker")).to_be_visible()
    expect(page.locator("#reply-text")).to_have_count(0)
    page.locator("#send-template").click()
    expect(page.locator("#thread .bubble-human").last).to_contain_text("C Vitamini Serum")


def test_a_person_takes_over_an_urgent_conversation_answers_and_hands_it_back(
    app_url: str, page: Any
) -> None:
    email = "owner@lale-inbox-e2e.com"
    sign_up(page, app_url, "Lale Kozmetik", email)
    merchant_id = _merchant_id(email)
    _customer_with_an_order(merchant_id)
    _customer_reports_a_reaction(page, merchant_id)
    _urgent_conversation_on_top(page).click()
    _take_over_and_reply(page)

    # The customer answers; the open thread shows it without a reload (the AI stays silent).
    write_as_customer(merchant_id, PHONE, "thank you, it is already calmer")
    expect(page.locator("#thread .bubble-customer").last).to_contain_text(
        "already calmer", timeout=15_000
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "conversations-thread.png"), full_page=True)

    page.locator("#hand-back").click()
    expect(page.locator("#thread-status")).to_have_text("AI")
    expect(page.locator("#hand-back")).to_have_count(0)
    expect(page.locator("#send-reply")).to_be_disabled()  # the AI answers: take it over first
    expect(page.locator("#escalation-banner")).to_have_count(0)
    expect(page.locator(".urgent-badge")).to_have_count(0)
    _template_once_the_window_closed(page, merchant_id)
