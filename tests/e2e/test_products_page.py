"""The Products page as a merchant uses it: add a product by its page address, watch it being
read, write their own usage text, and find it with a customer's question."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_integrations_page import sign_up
from tests.support import FIXTURES

pytestmark = pytest.mark.browser


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def shop_url() -> Iterator[str]:
    """The fixture pages served as a store at http://127.0.0.1:<port>/<file>."""
    handler = partial(_Quiet, directory=str(FIXTURES / "shop_pages"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_merchant_adds_a_product_by_url_edits_its_usage_and_search_finds_it(
    app_url: str, page: Any, shop_url: str
) -> None:
    sign_up(page, app_url, "Moss & Fern", "owner@mossandfern-e2e.com")
    page.locator("#nav-products").click()
    expect(page.get_by_text("No products yet.")).to_be_visible()

    page.locator("#scrape-urls").fill(f"{shop_url}/glow-serum.html\n{shop_url}/missing.html")
    page.locator("#scrape-submit").click()
    job = page.locator(".scrape-job").first
    expect(job.locator(".scrape-status")).to_have_text("done", timeout=30_000)
    expect(job.locator(".scrape-progress")).to_have_text("1 read, 1 failed")
    expect(job).to_contain_text("Glow Niacinamide 10% Serum")
    expect(job).to_contain_text("not found (404)")

    row = page.locator(".product-row").filter(has_text="Glow Niacinamide 10% Serum")
    expect(row).to_contain_text("scraped")
    row.locator(".product-link").click()
    expect(page.locator(".chunk").first).to_be_visible()
    page.locator("#edit-usage").fill("Press one pump onto damp skin at bedtime, never mornings.")
    page.locator("#save-answers").click()
    expect(page.locator("#notice")).to_contain_text("Saved")
    page.screenshot(path=str(ARTIFACTS / "products-detail.png"), full_page=True)

    page.locator("#ask-question").fill("how many pumps of the serum at bedtime")
    page.locator("#ask-submit").click()
    expect(page.locator("#answers .chunk").first).to_contain_text("one pump onto damp skin")
    page.screenshot(path=str(ARTIFACTS / "products-search.png"), full_page=True)

    # "Read page again" starts a scrape job of the product's own page, shown with the others.
    page.locator("#rescrape").click()
    expect(page.locator("#scrape-notice")).to_contain_text("Reading the page again")
    expect(page.locator(".scrape-job")).to_have_count(2)
    newest = page.locator(".scrape-job").first
    expect(newest.locator(".scrape-status")).to_have_text("done", timeout=30_000)
    # The product's own address is the page's canonical URL, which this fixture shop does not
    # serve: the job read exactly that address.
    expect(newest).to_contain_text(f"{shop_url}/products/glow-niacinamide-serum")
    expect(newest.locator(".scrape-progress")).to_have_text("0 read, 1 failed")
