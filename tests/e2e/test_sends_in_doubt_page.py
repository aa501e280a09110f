"""A send whose fate is unknown, as the merchant meets it: listed under Settings with what the
customer would have read, and settled with one click."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_integrations_page import sign_up
from tests.e2e.test_journeys_page import _deliver, _merchant_id, _plan
from tests.support import owner_sql

pytestmark = pytest.mark.browser


def test_merchant_sees_a_send_in_doubt_and_leaves_it(app_url: str, page: Any) -> None:
    email = "owner@sumbul-doubt-e2e.com"
    sign_up(page, app_url, "Sümbül Kozmetik", email)
    merchant_id = _merchant_id(email)
    _deliver(
        merchant_id,
        "3001",
        datetime.now(UTC) - timedelta(days=3),
        customer="c-doubt",
        phone="+905321234567",
        first_name="Elif",
    )
    _plan(merchant_id)
    # What the sweeper leaves when a worker died after the request may have left.
    owner_sql(
        "UPDATE scheduled_messages SET status = 'unknown', request_started_at = now(), "
        'payload = payload || \'{"text": "Hi Elif! A tip for your toner."}\', '
        "last_error = 'The worker stopped while the request may have been on its way.' "
        "WHERE merchant_id = :m AND step_id = (SELECT id FROM journey_steps "
        "WHERE merchant_id = :m AND position = 1)",
        m=merchant_id,
    )

    page.locator("#nav-settings").click()
    doubt = page.locator("#sends-in-doubt")
    row = doubt.locator(".doubt-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Elif")
    expect(row).to_contain_text("Step 1 · #3001")
    expect(row).to_contain_text("A tip for your toner")
    page.screenshot(path=str(ARTIFACTS / "sends-in-doubt.png"), full_page=True)

    row.get_by_role("button", name="Leave it").click()
    expect(doubt).to_contain_text("Left as it is.")
    expect(row).to_have_count(0)
    stored = owner_sql(
        "SELECT status FROM scheduled_messages WHERE merchant_id = :m AND last_error LIKE "
        "'Reviewed:%'",
        m=merchant_id,
    )
    assert stored == [("cancelled",)]
