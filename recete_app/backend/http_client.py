"""The one factory for outbound HTTP clients: timeouts, a user agent, an injectable transport
(tests pass httpx.MockTransport)."""

from __future__ import annotations

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
