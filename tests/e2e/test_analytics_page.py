"""The Analytics page and the Overview as a merchant uses them: the seeded store's figures on the
cards and in the per-step table, a shorter range changing them, the CSV download matching the
table; the Overview's last week and what needs the merchant now."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recete_app.backend.analytics.agent_facts import AGENT_STEP
from recete_app.backend.analytics.events import SendFact, record_facts
from recete_app.backend.analytics.rollup import roll_up
from recete_app.backend.db import session_scope
from recete_app.backend.models import AnalyticsEventName as Name
from recete_app.backend.services.sandbox import write_as_customer
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_customers_page import _merchant_id
from tests.e2e.test_integrations_page import sign_up
from tests.support import owner_sql

pytestmark = pytest.mark.browser
EMAIL = "owner@nilufer-analytics.example"


def _send(merchant_id: uuid.UUID, step: str, at: datetime, *names: Name) -> uuid.UUID:
    subject = uuid.uuid4()
    facts = []
    for name in names:
        props: dict[str, object] = {}
        if name == Name.PRICED:
            props = {"billable": True, "category": "marketing", "calling_code": "90"}
        if name == Name.FAILED:
            props = {"code": "131026", "title": "Message undeliverable"}
        facts.append(SendFact(name, subject, step, at, props))
    with session_scope(merchant_id) as session:
        record_facts(session, facts)
    return subject


def _seed(merchant_id: uuid.UUID) -> None:
    """Two days ago: three day-3 sends (two read, one replied), one refused (131026), and a
    day-14 send clicked and reordered from (450 TRY). Twenty days ago: two day-3 sends."""
    recent = datetime.now(UTC) - timedelta(days=2)
    tips = "day3_usage_tips"
    _send(merchant_id, tips, recent, Name.SENT, Name.DELIVERED, Name.READ, Name.REPLIED)
    _send(merchant_id, tips, recent, Name.SENT, Name.DELIVERED, Name.READ)
    _send(merchant_id, tips, recent, Name.SENT, Name.DELIVERED)
    _send(merchant_id, tips, recent, Name.FAILED)
    check_in = _send(
        merchant_id,
        "day14_check_in",
        recent,
        Name.SENT,
        Name.DELIVERED,
        Name.READ,
        Name.CLICKED,
        Name.PRICED,
    )
    order = {"currency": "TRY", "amount": "450.00", "send_id": str(check_in), "rule": "click"}
    with session_scope(merchant_id) as session:
        fact = SendFact(Name.ATTRIBUTED, uuid.uuid4(), "day14_check_in", recent, order)
        record_facts(session, [fact])
    earlier = datetime.now(UTC) - timedelta(days=20)
    for _ in range(2):
        _send(merchant_id, tips, earlier, Name.SENT, Name.DELIVERED)
    agent = [
        SendFact(Name.ANSWERED, uuid.uuid4(), AGENT_STEP, recent),
        SendFact(Name.ANSWERED, uuid.uuid4(), AGENT_STEP, recent),
        SendFact(Name.ESCALATED, uuid.uuid4(), AGENT_STEP, recent, {"reason": "complaint"}),
    ]
    with session_scope(merchant_id) as session:
        record_facts(session, agent)
    roll_up(merchant_id)


def _row(page: Any, step: str) -> Any:
    return page.locator("#steps-table tbody tr").filter(has_text=step)


def test_the_page_shows_the_stores_figures_and_the_csv_matches_the_table(
    app_url: str, page: Any
) -> None:
    sign_up(page, app_url, "Nilüfer Kozmetik", EMAIL)
    page.locator("#nav-analytics").click()
    expect(page.get_by_text("No journey messages in this range")).to_be_visible()
    _seed(_merchant_id(EMAIL))
    page.reload()

    expect(page.locator("#card-sent .card-value")).to_have_text("6")
    expect(page.locator("#card-sent")).to_contain_text("previous 30 days: 0")
    expect(page.locator("#card-read_rate .card-value")).to_have_text("50.0%")  # 3 of 6 delivered
    expect(page.locator("#card-read_rate .card-formula")).to_contain_text("read ÷ delivered")
    expect(page.locator("#card-attributed_revenue .card-value")).to_have_text("450.00 TRY")
    expect(page.locator("#card-cost_estimate .card-value")).to_contain_text("$0.01")
    expect(page.locator("#range-text")).to_contain_text("UTC")
    expect(_row(page, "day3_usage_tips")).to_contain_text("5")
    cells = _row(page, "day3_usage_tips").locator("td")
    expect(cells.nth(1)).to_have_text("5")  # sent
    expect(cells.nth(3)).to_have_text("2")  # read
    expect(cells.nth(4)).to_have_text("1")  # replied
    expect(cells.nth(6)).to_have_text("1")  # failed
    expect(_row(page, "day14_check_in").locator("td").nth(9)).to_have_text("450.00 TRY")
    expect(page.locator("#failures")).to_contain_text("131026")
    expect(page.locator("#daily-chart .recharts-line")).to_have_count(4)
    expect(page.locator("#card-answered .card-value")).to_have_text("2")
    expect(page.locator("#card-escalations .card-value")).to_have_text("1")
    expect(page.locator("#escalation-reasons")).to_contain_text("complaint: 1")
    page.screenshot(path=str(ARTIFACTS / "analytics-30-days.png"), full_page=True)

    with page.expect_download() as downloading:
        page.locator("#csv-journeys").click()
    text = Path(downloading.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    table = page.locator("#steps-table tbody tr")
    expect(table).to_have_count(len(rows))
    for n, row in enumerate(rows):
        cells = table.nth(n).locator("td")
        expect(cells.nth(0)).to_have_text(row["step"])
        for column, name in enumerate(("sent", "delivered", "read", "replied", "clicked"), 1):
            expect(cells.nth(column)).to_have_text(row[name])

    page.get_by_role("radio", name="7 days").click()
    expect(page.locator("#card-sent .card-value")).to_have_text("4")
    expect(page.locator("#card-sent")).to_contain_text("previous 7 days: 0")
    expect(cells_of(page, "day3_usage_tips").nth(1)).to_have_text("3")
    page.screenshot(path=str(ARTIFACTS / "analytics-7-days.png"), full_page=True)


def cells_of(page: Any, step: str) -> Any:
    return _row(page, step).locator("td")


def test_a_custom_range_ending_before_it_starts_says_so(app_url: str, page: Any) -> None:
    sign_up(page, app_url, "Lavanta Store", "owner@lavanta-analytics.example")
    page.locator("#nav-analytics").click()
    page.locator("input[name=from]").fill("2026-11-30")
    page.locator("input[name=to]").fill("2026-11-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#analytics-error")).to_contain_text("must not be after to")


def test_the_overview_shows_the_last_week_and_what_needs_the_merchant(
    app_url: str, page: Any
) -> None:
    email = "owner@menekse-overview.example"
    sign_up(page, app_url, "Menekşe Kozmetik", email)
    expect(page.locator("#needs-nothing")).to_be_visible()
    merchant_id = _merchant_id(email)
    _seed(merchant_id)
    write_as_customer(merchant_id, "+905321110009", "My skin is burning after the serum")
    owner_sql(
        "UPDATE conversations SET status = 'needs_human', urgent = true, escalated_at = now()"
        " WHERE merchant_id = :m",
        m=merchant_id,
    )
    page.reload()
    expect(page.locator("#last-week #card-sent .card-value")).to_have_text("4")
    expect(page.locator("#last-week #card-sent")).to_contain_text("previous 7 days: 0")
    expect(page.locator("#needs-urgent")).to_contain_text("1 urgent conversation(s)")
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    page.locator("#needs-urgent").click()
    expect(page).to_have_url(re.compile(r"/conversations/?$"))
