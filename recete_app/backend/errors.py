"""The application's one error tree. It says what went wrong, never how a front door shows it:
the HTTP layer maps each class to a status (`http/errors.py`), the dashboard shows `message`.

    RecetError                 code, message, details
      InvalidInput, Conflict, Unauthorized, Forbidden, NotFound, RateLimited, NotConfigured
      ProviderError            + retryable, request_sent: an outside service failed a call
        WhatsAppError, ShopifyError, WooCommerceError, ScrapeError, EmbeddingError,
        ResponderError (each in its adapter)
"""

from __future__ import annotations

from typing import Any


class RecetError(Exception):
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors defeat Exception's default pickling (job queues, workers).
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[RecetError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InvalidInput(RecetError):
    code = "invalid_input"


class Conflict(RecetError):
    code = "conflict"


class Unauthorized(RecetError):
    code = "unauthorized"


class Forbidden(RecetError):
    code = "forbidden"


class NotFound(RecetError):
    code = "not_found"


class RateLimited(RecetError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotConfigured(RecetError):
    """A feature this installation has not been set up for (an operator's setting is missing)."""

    code = "not_configured"


class ProviderError(RecetError):
    """An outside service (WhatsApp's Graph API, Shopify, WooCommerce, an OpenAI-compatible
    endpoint, a scraped web site) failed or refused a call. As in httpx, whether the request
    went out is what decides whether repeating it can repeat its effect:

    `request_sent`: the request may have reached the provider. False only when it certainly
    never left (refused before sending, no connection), so a retry cannot duplicate anything.
    `retryable`: the same call may succeed later: it never left, or the provider answered 429,
    5xx or a temporary error of its own. False for refusals (4xx, bad input, unreadable answers)
    and for a lost answer (sent, outcome unknown): find out what happened before repeating a
    call that changes something."""

    code = "provider_failed"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        request_sent: bool,
        code: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retryable = retryable
        self.request_sent = request_sent
