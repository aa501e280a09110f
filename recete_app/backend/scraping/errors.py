"""The scraper's one error type: every refusal and failure has a code and a readable message,
recorded on the product (or job) it concerns."""

from __future__ import annotations

from recete_app.backend.errors import RecetError


class ScrapeError(RecetError):
    """Codes: bad_url, bad_scheme, refused_address, unresolvable, unreachable, timeout,
    too_many_redirects, http_status, too_large, unsupported_content, robots_disallowed,
    no_product_data, malformed_sitemap."""

    status = 422
    code = "scrape_failed"
