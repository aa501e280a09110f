"""Journeys as a merchant uses them: change a step's day and see it rendered for a real order
and in the plan of the next delivery; talk to the store as a customer in the Simulator."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from recete_app.backend.commerce.events import ConsentInfo, CustomerInfo, LineItem, OrderEvent
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.db import session_scope
from recete_app.backend.journeys.planner import apply_domain_events
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_integrations_page import sign_up
from tests.support import owner_sql

pytestmark = pytest.mark.browser

PRODUCT = "Gül Suyu Tonik"


def _merchant_id(email: str) -> uuid.UUID:
    rows = owner_sql("SELECT merchant_id FROM accounts WHERE email = :email", email=email)
    return uuid.UUID(str(rows[0][0]))


def _deliver(
    merchant_id: uuid.UUID,
    order: str,
    delivered_at: datetime,
    *,
    customer: str,
    phone: str,
    first_name: str,
) -> None:
    """A delivered order with one item for an opted-in customer, as a store would report it
    (its journey is planned only when the domain events are applied)."""
    consent = ConsentInfo("opted_in", "whatsapp", "test", datetime(2026, 1, 1, tzinfo=UTC))
    event = OrderEvent(
        source="api",
        external_id=order,
        updated_at=delivered_at,
        name=f"#{order}",
        placed_at=delivered_at - timedelta(days=3),
        delivered_at=delivered_at,
        customer=CustomerInfo(
            external_id=customer, first_name=first_name, phone=phone, consent=(consent,)
        ),
        line_items=(LineItem(f"li-{order}", title=PRODUCT, quantity=1),),
    )
    with session_scope(merchant_id) as session:
        apply_order_event(session, event)


def _plan(merchant_id: uuid.UUID) -> None:
    """What the worker does when it picks up the deliveries."""
    with session_scope(merchant_id) as session:
        apply_domain_events(session)


def _noon_utc_before_now() -> datetime:
    """Today's (or yesterday's) 12:00 UTC: 15:00 in Istanbul, inside the default 09-20 window,
    so a step's day is not moved by quiet hours."""
    now = datetime.now(UTC)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon < now else noon - timedelta(days=1)


def test_merchant_moves_a_step_previews_it_and_the_next_delivery_is_planned_with_it(
    app_url: str, page: Any
) -> None:
    email = "owner@lale-journeys-e2e.com"
    sign_up(page, app_url, "Lale Kozmetik", email)
    merchant_id = _merchant_id(email)
    second_delivery = _noon_utc_before_now()
    _deliver(
        merchant_id,
        "1001",
        second_delivery - timedelta(days=1),
        customer="c-1",
        phone="+905321234567",
        first_name="Ayşe",
    )

    page.locator("#nav-settings").click()
    expect(page.locator("#planned-table")).to_contain_text("Nothing planned yet")

    # The journey's own settings: typical transit days, saved with the sending window.
    page.locator("#transit-days").fill("5")
    page.locator("#save-journey").click()
    expect(page.locator("#journey-notice")).to_contain_text("Saved")
    stored = owner_sql(
        "SELECT settings->>'transit_days' FROM merchants WHERE id = :m", m=merchant_id
    )
    assert stored == [("5",)]
    expect(page.locator("#transit-days")).to_have_value("5")

    # Step 1 (usage tips) moves from day 3 to day 4.
    expect(page.locator("#step-1-days")).to_have_value("3")
    page.locator("#step-1-days").fill("4")
    page.locator("#save-step-1").click()
    expect(page.locator("#step-1-notice")).to_contain_text("Saved")
    expect(page.locator("#step-1-days")).to_have_value("4")

    # A bad template is refused with the reason, and nothing is saved.
    page.locator("textarea[name=en_body]").first.fill("Hi {{1}}, enjoy {{2}} from {{5}} today.")
    page.locator("#save-step-1").click()
    expect(page.locator("#step-1-error")).to_contain_text("placeholders without a variable")
    page.reload()
    expect(page.locator("#step-1-days")).to_have_value("4")
    expect(page.locator("textarea[name=en_body]").first).to_have_value(re.compile("A tip to get"))
    expect(page.locator("#step-1-error")).to_have_count(0)

    page.locator("#preview-step-1").click()
    preview = page.locator("#step-1-preview")
    expect(preview).to_contain_text(PRODUCT)
    expect(preview).to_contain_text("Hi Ayşe")
    expect(preview).to_contain_text("For order #1001")

    # The next delivery is planned with day 4.
    _deliver(
        merchant_id,
        "1002",
        second_delivery,
        customer="c-2",
        phone="+905331112233",
        first_name="Mehmet",
    )
    _plan(merchant_id)
    page.locator("#refresh-planned").click()
    table = page.locator("#planned-table")
    new_order = table.locator(".planned-row").filter(has_text="#1002")
    step_1 = new_order.filter(has_text="Step 1")
    expect(step_1).to_contain_text((second_delivery + timedelta(days=4)).strftime("%Y-%m-%d %H:%M"))
    expect(step_1).to_contain_text("Mehmet")
    expect(step_1).to_contain_text("scheduled")
    expect(new_order.filter(has_text="Step 2")).to_contain_text(
        (second_delivery + timedelta(days=14)).strftime("%Y-%m-%d")
    )
    page.evaluate("window.scrollTo(0, 0)")  # the sidebar sticks to the top of the viewport
    page.screenshot(path=str(ARTIFACTS / "journeys-settings.png"), full_page=True)


def test_customer_in_the_simulator_gets_a_step_now_and_stop_confirms_the_opt_out(
    app_url: str, page: Any
) -> None:
    email = "owner@papatya-simulator-e2e.com"
    sign_up(page, app_url, "Papatya Cosmetics", email)
    merchant_id = _merchant_id(email)
    _deliver(
        merchant_id,
        "2001",
        datetime.now(UTC) - timedelta(days=1),
        customer="c-sim",
        phone="+905321234567",
        first_name="Zeynep",
    )
    _plan(merchant_id)

    page.locator("#nav-simulator").click()
    expect(page.locator("#sim-phone")).to_have_value("+905321234567")
    planned = page.locator(".sim-planned")
    expect(planned).to_have_count(2)
    expect(planned.first).to_contain_text("#2001")

    planned.first.locator(".sim-send-now").click()
    expect(page.locator("#sim-notice")).to_contain_text("Sent")
    store = page.locator("#sim-thread .sim-store")
    expect(store.first).to_contain_text(PRODUCT)
    expect(store.first).to_contain_text("Hi Zeynep")
    expect(planned).to_have_count(1)

    page.locator("#sim-text").fill("STOP")
    page.locator("#sim-send").click()
    expect(page.locator("#sim-thread .sim-customer").last).to_contain_text("STOP")
    expect(store.last).to_contain_text("you won't get any more messages")
    expect(page.locator("#sim-text")).to_have_value("")
    # Opting out cancels what was still planned.
    expect(planned).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "simulator.png"), full_page=True)


def test_merchant_connects_whatsapp_and_the_simulator_steps_aside(app_url: str, page: Any) -> None:
    sign_up(page, app_url, "Menekşe Kozmetik", "owner@menekse-whatsapp-e2e.com")
    page.locator("#nav-integrations").click()
    form = page.locator("#whatsapp-form")

    form.locator("input[name=whatsapp_phone_number_id]").fill("106540352242922")
    form.locator("input[name=whatsapp_access_token]").fill("EAAG-e2e-token")
    page.locator("#connect-whatsapp").click()
    expect(page.locator("#integrations-error")).to_contain_text("app secret, verify token")

    form.locator("input[name=whatsapp_phone_number_id]").fill("106540352242922")
    form.locator("input[name=whatsapp_access_token]").fill("EAAG-e2e-token")
    form.locator("input[name=whatsapp_app_secret]").fill("meta-app-secret-0123456789abcdef")
    form.locator("input[name=whatsapp_verify_token]").fill("recete-verify-token")
    page.locator("#connect-whatsapp").click()
    card = page.locator(".integration-card").filter(has_text="WhatsApp")
    expect(card).to_contain_text("106540352242922")
    expect(card).to_contain_text("/webhooks/whatsapp")

    # A phone WhatsApp cannot take is refused before anything is sent.
    card.locator("#test-phone").fill("12345")
    card.locator("#send-test-message").click()
    expect(page.locator("#test-error")).to_contain_text("+<country code><number>")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "integrations-whatsapp.png"), full_page=True)

    page.locator("#nav-simulator").click()
    expect(page.locator("#sim-blocked")).to_contain_text("simulator works in sandbox mode only")
    expect(page.locator("#sim-send")).to_have_count(0)


def test_merchant_shortens_data_retention_and_it_is_kept(app_url: str, page: Any) -> None:
    email = "owner@lale-retention-e2e.com"
    sign_up(page, app_url, "Lale Kozmetik", email)
    merchant_id = _merchant_id(email)
    page.locator("#nav-settings").click()
    expect(page.locator("#retention-message-days")).to_have_value("400")
    expect(page.locator("#retention-webhook-days")).to_have_value("30")

    page.locator("#retention-message-days").fill("180")
    page.locator("#save-retention").click()
    expect(page.locator("#retention-notice")).to_contain_text("Retention saved")
    stored = owner_sql(
        "SELECT settings->'retention'->>'message_days' FROM merchants WHERE id = :m",
        m=merchant_id,
    )
    assert stored == [("180",)]

    page.reload()
    expect(page.locator("#retention-message-days")).to_have_value("180")
    page.locator("#retention-message-days").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "settings-retention.png"))


def test_merchant_changes_the_attribution_windows_and_a_bad_one_is_refused(
    app_url: str, page: Any
) -> None:
    email = "owner@lale-attribution-e2e.com"
    sign_up(page, app_url, "Lale Kozmetik", email)
    merchant_id = _merchant_id(email)
    page.locator("#nav-settings").click()
    expect(page.locator("#attribution-read-days")).to_have_value("1")
    expect(page.locator("#attribution-click-days")).to_have_value("5")

    # Past the 30 days the form allows, the browser refuses it before it is sent.
    page.locator("#attribution-click-days").fill("45")
    page.locator("#save-attribution").click()
    assert page.locator("#attribution-click-days").evaluate("e => e.validity.rangeOverflow")
    expect(page.locator("#attribution-notice")).to_have_count(0)
    page.locator("#attribution-click-days").fill("7")
    page.locator("#attribution-read-days").fill("2")
    page.locator("#save-attribution").click()
    expect(page.locator("#attribution-notice")).to_contain_text("Attribution saved")
    stored = owner_sql(
        "SELECT settings->>'attribution_read_days', settings->>'attribution_click_days'"
        " FROM merchants WHERE id = :m",
        m=merchant_id,
    )
    assert stored == [("2", "7")]
    page.reload()
    expect(page.locator("#attribution-click-days")).to_have_value("7")
    page.locator("#attribution-click-days").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "settings-attribution.png"))
