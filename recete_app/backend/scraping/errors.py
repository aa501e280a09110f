"""The scraper's one error type: every refusal and failure has a code and a readable message,
recorded on the product (or job) it concerns."""

from __future__ import annotations

from typing import Any

from recete_app.backend.errors import ProviderError
from recete_app.backend.http_client import Failure

# Codes whose failure happens before the page was asked for: our own refusals (the link, the
# address it resolves to, the site's robots.txt) and a name DNS does not know, which, like a
# refused connection, may work later. Every other code is about a request that went out.
_UNSENT: dict[str, Failure] = {
    "bad_url": Failure(request_sent=False, retryable=False),
    "bad_scheme": Failure(request_sent=False, retryable=False),
    "refused_address": Failure(request_sent=False, retryable=False),
    "robots_disallowed": Failure(request_sent=False, retryable=False),
    "unresolvable": Failure(request_sent=False, retryable=True),
}


class ScrapeError(ProviderError):
    """Codes: bad_url, bad_scheme, refused_address, unresolvable, unreachable, timeout,
    too_many_redirects, http_status, too_large, unsupported_content, robots_disallowed,
    no_product_data, malformed_sitemap. `failure` overrides what the code implies (a network
    failure or an HTTP status decides it at the raise)."""

    code = "scrape_failed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        failure: Failure | None = None,
    ) -> None:
        sent_and_final = Failure(request_sent=True, retryable=False)
        flags = failure or _UNSENT.get(code or "", sent_and_final)
        super().__init__(message, code=code, details=details, **flags)
