"""The Integrations page as a merchant uses it: import a Shopify export, connect a shop, keys."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.support import FIXTURES

pytestmark = pytest.mark.browser


def sign_up(page: Any, app_url: str, store: str, email: str) -> None:
    page.goto(f"{app_url}/signup")
    page.locator("input[name=store_name]").fill(store)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#store-name")).to_have_text(store)


def test_merchant_imports_a_shopify_export_and_sees_the_row_report(app_url: str, page: Any) -> None:
    sign_up(page, app_url, "Papatya Cosmetics", "owner@papatyacosmetics.com")
    page.locator("#nav-integrations").click()
    expect(page.get_by_text("No integrations connected yet.")).to_be_visible()

    page.locator("input[type=file]").set_input_files(
        str(FIXTURES / "csv" / "shopify_orders_export.csv")
    )
    expect(page.get_by_text("shopify_orders_export.csv")).to_be_visible()
    page.locator("#import-csv").click()

    # The import runs in the background; the page follows it to the end by itself.
    job = page.locator(".order-import").first
    expect(job).to_contain_text("shopify_orders_export.csv")
    expect(job).to_contain_text("done", timeout=30_000)
    expect(job).to_contain_text("3 order(s) imported, 2 skipped, 8 row(s) read, 4 problem(s).")
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("not a date: 'yesterday at noon'")
    expect(problems).to_contain_text("not a valid phone number (check its digits")
    expect(problems).to_contain_text("missing order reference")
    expect(problems.locator("tr", has_text="billing phone")).to_contain_text("#1004")
    page.screenshot(path=str(ARTIFACTS / "integrations-csv-import.png"), full_page=True)

    page.locator("input[type=file]").set_input_files(
        {"name": "colours.csv", "mimeType": "text/csv", "buffer": b"colour,size\nred,M\n"}
    )
    page.locator("#import-csv").click()
    expect(page.locator("#import-error")).to_contain_text("Unrecognised columns")
    expect(page.locator(".order-import")).to_have_count(1)


def test_merchant_connects_a_shopify_custom_app_and_manages_api_keys(
    app_url: str, page: Any
) -> None:
    sign_up(page, app_url, "Menekşe Beauty", "owner@menekse-beauty.com")
    page.locator("#nav-integrations").click()

    page.locator("input[name=shop]").fill("menekse-beauty.myshopify.com")
    page.locator("input[name=access_token]").fill("shpat_0123456789")
    page.locator("input[name=api_secret]").fill("shpss_0123456789")
    page.locator("#connect-shopify").click()
    card = page.locator(".integration-card")
    expect(card).to_contain_text("menekse-beauty.myshopify.com")
    expect(card).to_contain_text("/webhooks/commerce/shopify")
    expect(card).to_contain_text("No events received yet.")

    page.locator("input[name=shop]").fill("not-a-shop.example.com")
    page.locator("#connect-shopify").click()
    expect(page.locator("#integrations-error")).to_contain_text("not a Shopify shop domain")

    page.locator("input[name=name]").fill("back office")
    page.locator("#key-scope").click()
    page.get_by_role("option", name="admin").click()
    page.locator("#create-key").click()
    expect(page.locator("#new-key")).to_contain_text(re.compile(r"gg_live_\S{20,}"))
    expect(page.locator(".key-scopes")).to_have_text("admin")
    expect(page.locator(".key-expires")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("revoked")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "integrations-connected.png"), full_page=True)

    # Disconnecting asks first; "Cancel" leaves the shop connected.
    card.locator(".disconnect-integration").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Disconnect menekse-beauty.myshopify.com?")
    page.screenshot(path=str(ARTIFACTS / "integrations-disconnect-confirm.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(card).to_contain_text("active")
    card.locator(".disconnect-integration").click()
    page.locator("#confirm-disconnect").click()
    expect(page.locator("#integrations-notice")).to_contain_text(
        "Disconnected menekse-beauty.myshopify.com"
    )
    expect(card).to_contain_text("disconnected")
    expect(card.locator(".disconnect-integration")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "integrations-disconnected.png"), full_page=True)
