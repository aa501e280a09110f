"""One error tree for the WhatsApp adapter, under errors.ProviderError.

Callers choose what to do from three questions: did Meta answer with an error (and is it worth
retrying: `WhatsAppApiError.kind`), did the request possibly reach Meta
(`WhatsAppTransportError.request_sent`), or did Meta accept something we cannot read
(`WhatsAppResponseError`, which always counts as sent). `retryable` and `request_sent` answer
the same for every subclass. Meta's own error code is `graph_code`: `code` is the application's
code, as on every RecetError."""

from __future__ import annotations

import email.utils
import math
import time
from http import HTTPStatus
from typing import Any, Literal

import httpx

from recete_app.backend import http_client
from recete_app.backend.errors import ProviderError

ErrorKind = Literal["transient", "permanent", "token_expired"]

# Meta's documented temporary conditions: throughput (130429), pair rate (131056), account rate
# (80007), app rate (4), "API unknown"/"API service" (1, 2), "something went wrong" (131000),
# "service unavailable" (131016) and "server temporarily unavailable" (133004).
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004})
TOKEN_EXPIRED_CODE = 190


class WhatsAppError(ProviderError):
    """Base of every error the WhatsApp adapter raises."""

    code = "whatsapp_failed"


class WhatsAppApiError(WhatsAppError):
    """Meta answered with a non-2xx status (normally with its Graph API error payload)."""

    def __init__(
        self,
        *,
        http_status: int,
        graph_code: int | None,
        subcode: int | None = None,
        title: str,
        details: str | None = None,
        fbtrace_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.http_status = http_status
        self.graph_code = graph_code
        self.subcode = subcode
        self.title = title
        self.fbtrace_id = fbtrace_id
        self.retry_after = retry_after
        super().__init__(
            self._describe(details),
            retryable=self.kind == "transient",
            request_sent=True,
            details=details,
        )

    @classmethod
    def from_response(cls, response: httpx.Response) -> WhatsAppApiError:
        """Read Meta's error payload; proxies and outages answer HTML or nothing, so every
        field is optional and the HTTP status is the fallback."""
        error = _error_object(response)
        error_data = error.get("error_data")
        details = error_data.get("details") if isinstance(error_data, dict) else None
        message = error.get("message")
        return cls(
            http_status=response.status_code,
            graph_code=_int_or_none(error.get("code")),
            subcode=_int_or_none(error.get("error_subcode")),
            title=message if isinstance(message, str) and message else _status_title(response),
            details=details if isinstance(details, str) and details else None,
            fbtrace_id=_str_or_none(error.get("fbtrace_id")),
            retry_after=_retry_after(response.headers.get("retry-after")),
        )

    @property
    def kind(self) -> ErrorKind:
        if self.graph_code == TOKEN_EXPIRED_CODE:
            return "token_expired"
        transient = self.http_status >= 500 or self.http_status == 429
        if transient or self.graph_code in TRANSIENT_CODES:
            return "transient"
        return "permanent"

    def _describe(self, details: str | None) -> str:
        code = self.graph_code
        label = str(code) if code is not None else f"HTTP {self.http_status}"
        text = f"WhatsApp error {label} ({self.title})"
        if details:
            text += f": {details}"
        if self.fbtrace_id:
            text += f" [fbtrace_id={self.fbtrace_id}]"
        return text


class WhatsAppTransportError(WhatsAppError):
    """No HTTP answer. `request_sent` False means the request certainly never left (safe to
    retry without a duplicate); True means it may have reached Meta and been sent."""

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message, request_sent=request_sent, retryable=not request_sent)


class WhatsAppResponseError(WhatsAppError):
    """A 2xx answer we cannot read (no `messages[0].id`). Meta accepted the request, so callers
    must treat it like `request_sent=True`: the message may well be on its way."""

    def __init__(self, message: str, *, http_status: int) -> None:
        super().__init__(message, request_sent=True, retryable=False)
        self.http_status = http_status


def transport_error(exc: httpx.HTTPError | httpx.InvalidURL) -> WhatsAppTransportError:
    """Wrap an httpx failure. Anything not known to happen before sending counts as sent:
    a duplicate message is cheaper to rule out than a silently lost one."""
    reason = str(exc) or type(exc).__name__
    return WhatsAppTransportError(
        f"WhatsApp request failed ({type(exc).__name__}): {reason}",
        request_sent=http_client.request_sent(exc),
    )


def _error_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:  # not JSON, or not decodable text
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _status_title(response: httpx.Response) -> str:
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return f"HTTP {response.status_code}"


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _retry_after(header: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not header:
        return None
    try:
        seconds = float(header)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
