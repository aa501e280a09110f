"""The one factory for outbound HTTP clients: timeouts, a user agent, an injectable transport
(tests pass httpx.MockTransport); and how a failed outbound call is classified for the adapters'
ProviderErrors."""

from __future__ import annotations

from typing import TypedDict

import httpx

USER_AGENT = "Recete/0.1 (+https://github.com/recete)"


def build_client(
    *,
    base_url: str = "",
    timeout: float = 15.0,
    transport: httpx.BaseTransport | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    trust_env: bool = True,
    limits: httpx.Limits | None = None,
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=5.0),
        transport=transport,
        auth=auth,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=False,
        limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20),
        # The scraper turns this off: it pins connections to addresses it has checked, and an
        # environment proxy would make the connection (and TLS name check) somewhere else.
        trust_env=trust_env,
    )


class Failure(TypedDict):
    """The two facts every ProviderError carries (errors.ProviderError says what they mean)."""

    request_sent: bool
    retryable: bool


# Failures before a single byte of the request went out: connecting, waiting for a pooled
# connection, or a URL httpx refuses to use.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.InvalidURL,
)


def request_sent(exc: BaseException | None) -> bool:
    """Whether a call that failed with `exc` may have reached the server. Anything not known to
    happen before sending counts as sent: a duplicate is cheaper to rule out than a lost effect."""
    return not isinstance(exc, _NOT_SENT)


def unanswered(exc: BaseException | None) -> Failure:
    """No HTTP answer: worth retrying only when the request never left (otherwise its outcome
    is unknown)."""
    sent = request_sent(exc)
    return Failure(request_sent=sent, retryable=not sent)


def answered(status: int) -> Failure:
    """The server answered `status`: 429 (slow down) and 5xx (its own trouble) may pass later,
    any other refusal is final."""
    return Failure(request_sent=True, retryable=status == 429 or status >= 500)
