"""The Customers page as a merchant uses it: find a customer by part of their phone number, read
their timeline, record their opt-out with a reason, export what Recete holds about them, and
erase them after typing the confirmation."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recete_app.backend.services.sandbox import write_as_customer
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_integrations_page import sign_up
from tests.integration.journey_fixtures import deliver
from tests.support import owner_sql

pytestmark = pytest.mark.browser

AYSE, MEHMET, ZEYNEP = "+905321234567", "+905339876543", "+905441112233"
QUESTION = "How do I use the toner?"


def _merchant_id(email: str) -> uuid.UUID:
    rows = owner_sql("SELECT merchant_id FROM accounts WHERE email = :email", email=email)
    return uuid.UUID(str(rows[0][0]))


def _customers(merchant_id: uuid.UUID) -> str:
    """Ayşe (a delivered order, a planned journey, a question) and Mehmet (a question); Ayşe's
    id."""
    deliver(
        merchant_id,
        datetime.now(UTC) - timedelta(days=1),
        order="3001",
        phone=AYSE,
        customer="c-ayse-e2e",
    )
    write_as_customer(merchant_id, AYSE, QUESTION)
    write_as_customer(merchant_id, MEHMET, "Is the serum vegan?")
    rows = owner_sql("SELECT id FROM customers WHERE external_id = 'c-ayse-e2e'")
    return str(rows[0][0])


def _find_and_open(page: Any) -> None:
    page.locator("#nav-customers").click()
    rows = page.locator(".customer-row")
    expect(rows).to_have_count(2)
    page.locator("#customer-search").fill("532 123")  # part of Ayşe's number only
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ayşe")
    expect(rows.first).to_contain_text("+90 532 *** 45 67")
    expect(rows.first.locator(".row-consent")).to_have_text("Opted in")
    rows.first.click()
    expect(page.locator("#customer-name")).to_have_text("Ayşe")
    expect(page.locator("#customer-phone")).to_have_text(AYSE)
    timeline = page.locator("#customer-timeline")
    expect(timeline).to_contain_text("Order #3001 delivered")
    expect(timeline).to_contain_text("Order #3001 placed")
    expect(timeline.locator(".timeline-message_in")).to_contain_text(QUESTION)
    expect(timeline.locator(".timeline-journey").first).to_contain_text("Journey message")
    expect(timeline.locator(".timeline-consent")).to_contain_text("Opted in")


def _record_opt_out(page: Any) -> None:
    page.locator("#consent-opted-out").click()
    page.locator("#consent-save").click()
    expect(page.locator("#customer-error")).to_contain_text("Give a reason")
    expect(page.locator("#customer-consent")).to_have_text("Opted in")
    page.locator("#consent-reason").fill("asked by phone to stop messages")
    page.locator("#consent-save").click()
    expect(page.locator("#customer-notice")).to_have_text("Recorded: opted out.")
    expect(page.locator("#customer-consent")).to_have_text("Opted out")
    expect(page.locator(".customer-row .row-consent")).to_have_text("Opted out")
    newest = page.locator("#customer-timeline .timeline-consent").first  # newest first
    expect(newest).to_contain_text("Opted out")
    expect(newest).to_contain_text("reason: asked by phone to stop messages")
    expect(page.locator("#consent-reason")).to_have_value("")


def _export(page: Any, customer_id: str) -> None:
    with page.expect_download() as downloading:
        page.locator("#customer-export").click()
    download = downloading.value
    assert download.suggested_filename == f"customer-{customer_id}.json"
    document = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert document["customer"]["phone"] == AYSE
    assert QUESTION in [m["body"] for c in document["conversations"] for m in c["messages"]]
    expect(page.locator("#customer-notice")).to_contain_text("Exported")
    audited = owner_sql("SELECT target FROM audit_log WHERE action = 'customer.exported'")
    assert (customer_id,) in audited


def _erase(page: Any) -> None:
    page.locator("#customer-erase").click()
    confirm = page.locator("#erase-confirm")
    expect(page.locator("#erase-dialog")).to_be_visible()
    expect(confirm).to_be_disabled()
    page.locator("#erase-confirmation").fill("4567")
    expect(confirm).to_be_disabled()
    page.locator("#erase-confirmation").fill(AYSE)
    expect(confirm).to_be_enabled()
    # The viewport only: the dialog sits in it, over the page.
    page.screenshot(path=str(ARTIFACTS / "customers-erase-confirm.png"))
    confirm.click()
    expect(page.locator("#erase-dialog")).to_have_count(0)
    expect(page.locator("#customer-notice")).to_contain_text("Erased Ayşe")
    expect(page.locator(".customer-row")).to_have_count(0)
    expect(page.locator("#customer-list-empty")).to_have_text("No customer matches this search.")
    page.locator("#customer-search").fill("")
    expect(page.locator(".customer-row")).to_have_count(1)
    expect(page.locator(".customer-row")).to_contain_text("+90 533 *** 65 43")


def test_a_merchant_finds_a_customer_records_an_opt_out_exports_and_erases_them(
    app_url: str, page: Any
) -> None:
    email = "owner@lale-customers-e2e.com"
    sign_up(page, app_url, "Lale Kozmetik", email)
    merchant_id = _merchant_id(email)
    customer_id = _customers(merchant_id)

    _find_and_open(page)
    _record_opt_out(page)
    page.evaluate("window.scrollTo(0, 0)")  # the sidebar is sticky: a scrolled page shifts it
    page.screenshot(path=str(ARTIFACTS / "customers-timeline.png"), full_page=True)
    _export(page, customer_id)
    _erase(page)
    assert owner_sql("SELECT count(*) FROM customers WHERE id = :c", c=customer_id) == [(0,)]
    orders = "SELECT customer_id FROM orders WHERE name = '#3001' AND merchant_id = :m"
    assert owner_sql(orders, m=merchant_id) == [(None,)]  # kept, anonymous


def test_a_long_history_is_exported_in_the_background_and_downloaded_when_ready(
    app_url: str, page: Any
) -> None:
    """Zeynep has 12 orders, each with its journey planned: more rows than the server makes
    inside a request (RECETE_EXPORT_INLINE_MAX_ROWS is 20 in these tests)."""
    email = "owner@zeynep-export-e2e.com"
    sign_up(page, app_url, "Zeynep Bahçe", email)
    merchant_id = _merchant_id(email)
    for n in range(12):
        deliver(
            merchant_id,
            datetime.now(UTC) - timedelta(days=1),
            order=f"50{n:02d}",
            phone=ZEYNEP,
            first_name="Zeynep",
            customer="c-zeynep-e2e",
        )
    page.locator("#nav-customers").click()
    page.locator(".customer-row").first.click()
    expect(page.locator("#customer-name")).to_have_text("Zeynep")

    page.locator("#customer-export").click()
    expect(page.locator("#customer-notice")).to_contain_text("being prepared in the background")
    status = page.locator("#customer-exports .export-status")
    expect(status).to_have_text("Ready", timeout=30_000)  # the app's worker makes it
    expect(page.locator(".export-detail")).to_contain_text("can be downloaded until")
    page.screenshot(path=str(ARTIFACTS / "customers-export-ready.png"), full_page=True)
    with page.expect_download() as downloading:
        page.locator(".export-download").click()
    document = json.loads(Path(downloading.value.path()).read_text(encoding="utf-8"))
    assert document["customer"]["phone"] == ZEYNEP and len(document["orders"]) == 12
    downloaded = (
        "SELECT count(*) FROM audit_log"
        " WHERE action = 'customer.export_downloaded' AND merchant_id = :m"
    )
    assert owner_sql(downloaded, m=merchant_id) == [(1,)]
