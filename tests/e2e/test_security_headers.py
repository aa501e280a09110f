"""Every dashboard page, served by `recete run --prod`, carries the security headers and loads
with no CSP violation (the `page` fixture fails any browser test on one)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from recete_app.backend.http.security_headers import API_POLICY
from recete_app.state import routes
from tests.e2e.conftest import ARTIFACTS, csp_violations

pytestmark = pytest.mark.browser

STORE = "Sümbül Naturals"
EMAIL = "owner@sumbul-naturals.com"
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
    # `--prod` is production: HSTS is sent (a browser honours it over https only).
    "strict-transport-security": "max-age=31536000",
}
PAGE_DIRECTIVES = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def _assert_page_headers(headers: dict[str, str], path: str) -> None:
    for name, value in HEADERS.items():
        assert headers.get(name) == value, f"{path}: {name}"
    assert "camera=()" in headers["permissions-policy"]
    policy = headers["content-security-policy"].split("; ")
    for directive in PAGE_DIRECTIVES:
        assert directive in policy, f"{path}: {directive}"
    script_src = next(d for d in policy if d.startswith("script-src "))
    # Reflex's prerendered inline scripts are allowed by hash; nothing else inline, no eval.
    assert re.fullmatch(r"script-src 'self'( 'sha256-[A-Za-z0-9+/]+=*')+", script_src), script_src


def _open(page: Any, url: str) -> dict[str, str]:
    response = page.goto(url)
    assert response is not None and response.ok, url
    return dict(response.headers)


def test_every_page_carries_the_headers_and_loads_without_a_csp_violation(
    app_url: str, page: Any, console: list[str]
) -> None:
    for path in (routes.LOGIN, routes.SIGNUP):
        _assert_page_headers(_open(page, f"{app_url}{path}"), path)
        expect(page.locator("input[name=email]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "security-headers-signup.png"), full_page=True)

    page.locator("input[name=store_name]").fill(STORE)
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#store-name")).to_have_text(STORE)

    for path, label, _icon in routes.NAVIGATION:
        _assert_page_headers(_open(page, f"{app_url}{path}"), path)
        # The store's name comes over the socket: the page hydrated and connected.
        expect(page.locator("#store-name")).to_have_text(STORE)
        expect(page.locator(f"#nav-{label.lower()}")).to_have_attribute("aria-current", "page")
    page.screenshot(path=str(ARTIFACTS / "security-headers-onboarding.png"), full_page=True)
    assert not csp_violations(console), csp_violations(console)


def test_assets_and_the_api_carry_them_too(app_url: str, page: Any) -> None:
    page.goto(f"{app_url}{routes.LOGIN}")
    asset = page.locator("link[rel=modulepreload]").first.get_attribute("href")
    assert asset and asset.startswith("/assets/")
    for url in (f"{app_url}{asset}", f"{app_url}/api/openapi.json", f"{app_url}/api/auth/me"):
        headers = httpx.get(url, timeout=10).headers
        assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        for name, value in HEADERS.items():
            assert headers.get(name) == value, f"{url}: {name}"


def test_a_cors_preflight_answered_by_reflexs_outer_layer_carries_them(app_url: str) -> None:
    """Reflex's own outermost layer answers a preflight (OPTIONS with Access-Control-Request-
    Method) before any app of ours sees it."""
    preflight = httpx.options(
        f"{app_url}/api/customers",
        headers={"Origin": app_url, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["content-security-policy"] == API_POLICY
    for name, value in HEADERS.items():
        assert preflight.headers.get(name) == value, name
