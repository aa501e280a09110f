"""A merchant signs up, finds every dashboard page, logs out, mistypes the password, logs in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

STORE = "Lale Kozmetik"
EMAIL = "owner@lalekozmetik.com"
PASSWORD = "correct horse battery"

PAGES = [
    ("conversations", "/conversations", "No conversations yet — connect your store"),
    ("products", "/products", "No products yet"),
    ("integrations", "/integrations", "No integrations connected"),
    ("analytics", "/analytics", "No journey messages in this range"),
    ("settings", "/settings", "Signed in as"),
    ("onboarding", "/onboarding", "Connect your store"),
    ("overview", "/", "Welcome, "),
]


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_merchant_signs_up_navigates_logs_out_and_back_in(app_url: str, page: Any) -> None:
    # Every dashboard page needs a session.
    page.goto(f"{app_url}/products")
    expect(page).to_have_url(re.compile(r"/login/?$"))

    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/signup/?$"))
    page.locator("input[name=store_name]").fill(STORE)
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.locator("#store-name")).to_have_text(STORE)
    expect(page.locator("#welcome")).to_contain_text(STORE)
    _shot(page, "dashboard-signed-in")

    for nav, path, text in PAGES:
        page.locator(f"#nav-{nav}").click()
        expect(page).to_have_url(re.compile(rf"{re.escape(path.rstrip('/'))}/?$"))
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
        expect(page.locator(f"#nav-{nav}")).to_have_attribute("aria-current", "page")
        expect(page.locator("#store-name")).to_have_text(STORE)
    _shot(page, "dashboard-overview")

    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto(f"{app_url}/conversations")
    expect(page).to_have_url(re.compile(r"/login/?$"))

    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#auth-error")).to_contain_text("Wrong email or password.")
    _shot(page, "login-wrong-password")

    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#store-name")).to_have_text(STORE)


def test_sign_up_with_a_weak_password_explains_why(app_url: str, page: Any) -> None:
    page.goto(f"{app_url}/signup")
    page.locator("input[name=store_name]").fill("Weak Store")
    page.locator("input[name=email]").fill("weak@lalekozmetik.com")
    page.locator("input[name=password]").fill("password123")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#auth-error")).to_contain_text("Password is too easy to guess.")
    expect(page).to_have_url(re.compile(r"/signup/?$"))
