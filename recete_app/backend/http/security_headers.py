"""Security headers on every response: the API, webhooks, health, and in production the
dashboard's pages and assets (README "Security").

Where it sits. Reflex mounts its own app (the socket at /_event, /_upload, and with `--env prod`
the built pages and assets) inside ours, the `api_transformer`. `SecuredFastAPI` puts this
middleware outside even Starlette's ServerErrorMiddleware, so an unexpected 500 carries the
headers too. Served by Reflex, `SecuredApp` (recete_app.py) moves it further out, around
Reflex's own outer layer, whose CORS middleware answers preflight requests (`OPTIONS` with
`Access-Control-Request-Method`) itself. In dev, Vite serves the pages on the frontend port:
no headers of ours there.

Content-Security-Policy. HTML gets the page policy below; everything else (JSON, assets,
uploads) gets `default-src 'none'; frame-ancestors 'none'` (browsers apply a CSP to documents
and workers only, so assets lose nothing). Reflex's prerendered pages carry inline scripts
(colour theme, React Router's context and scroll restoration, React's streaming markers), so
each built page (matched by the SHA-256 of the bytes served, or the file a `pathsend` names)
gets the hashes of exactly its own inline scripts; any other HTML gets none. No 'unsafe-eval':
Reflex runs JavaScript a backend handler returns (rx.call_script, rx.run_script, and helpers on
them such as rx.clear_selected_files) through eval, so the CSP refuses it; put such events in
the component's own event chain, where Reflex compiles them into real functions.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recete_app.backend.config import PROJECT_ROOT, Settings, origin_of

Header = tuple[bytes, bytes]

# Reflex's production build: .web/build/client (reflex_base.constants.Dirs.STATIC).
BUILT_PAGES = PROJECT_ROOT / ".web" / "build" / "client"
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS_MAX_AGE = 31_536_000  # one year
RESCAN_SECONDS = 10.0
# Features the dashboard never uses; Chromium warns in the console about names it does not know.
DISABLED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "window-management",
    "xr-spatial-tracking",
)
_CSP = b"content-security-policy"
_INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTRIBUTE = re.compile(rb"\bsrc\s*=", re.IGNORECASE)


def page_policy(settings: Settings, script_hashes: Iterable[str] = ()) -> str:
    """The dashboard pages' CSP; `script_hashes` ('sha256-...') are the page's inline scripts."""
    scripts = " ".join(["'self'", *(f"'{digest}'" for digest in script_hashes)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            # Emotion (Reflex's CSS-in-JS) writes <style> elements, prerendered and at run time,
            # and Reflex gives it no nonce: inline styles cannot be listed by hash.
            "style-src 'self' 'unsafe-inline'",
            f"connect-src {' '.join(connect_sources(settings))}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def connect_sources(settings: Settings) -> list[str]:
    """Where pages may connect: our origin (the API, /_upload) and the dashboard's socket.

    In production the pages and the backend share an origin: 'self' covers them, and in CSP 3
    browsers the same host's ws: and wss: too. Reflex's client opens its socket at the page's
    host: on an https page it drops the port (wss://host, a load balancer's 443), on an http
    page it keeps the backend's (the page's) port. That address, spelled out from
    RECETE_PUBLIC_URL, serves browsers where 'self' covers no websocket.
    """
    parts = urlsplit(origin_of(settings.public_url))
    secure = parts.scheme == "https"
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    socket = f"wss://{host}" if secure else f"ws://{parts.netloc}"
    return ["'self'", socket]


def inline_script_hashes(html: bytes) -> tuple[str, ...]:
    """CSP hashes ('sha256-...') of the inline scripts of a page, in order, without repeats."""
    found: dict[str, None] = {}
    for attributes, body in _INLINE_SCRIPT.findall(html):
        if _SRC_ATTRIBUTE.search(attributes):
            continue
        # The HTML parser turns CR LF and lone CR into LF before the browser hashes the text.
        text = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        found[f"sha256-{base64.b64encode(hashlib.sha256(text).digest()).decode()}"] = None
    return tuple(found)


def common_headers(settings: Settings, production: bool) -> tuple[Header, ...]:
    """The headers every response carries, the CSP aside."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", ", ".join(f"{f}=()" for f in DISABLED_FEATURES).encode()),
        (b"x-frame-options", b"DENY"),  # frame-ancestors, for browsers older than CSP 2
    ]
    if production:
        hsts = f"max-age={HSTS_MAX_AGE}"
        if settings.hsts_include_subdomains:
            hsts += "; includeSubDomains"
        headers.append((b"strict-transport-security", hsts.encode()))
    return tuple(headers)


@dataclass
class BuiltPages:
    """The CSP of each page of the production build, by the digest of the bytes served and by
    file (the page, or the precompressed twin Reflex serves to browsers accepting gzip).

    Read at the first HTML response, not at import: `reflex run --env prod` imports the app
    before it builds the pages (and forks its workers from that process). Read again, at most
    every RESCAN_SECONDS, when HTML that is no known page is served: a rebuild under a running
    server (two test runs sharing .web/).
    """

    directory: Path
    settings: Settings
    # HTML that is no built page: no inline script runs.
    fallback: str = field(init=False)
    _policies: dict[str, str] = field(default_factory=dict)
    _scanned_at: float | None = None

    def __post_init__(self) -> None:
        self.fallback = page_policy(self.settings)

    def policy_for_body(self, body: bytes) -> str:
        return self._lookup(_digest_key(body))

    def policy_for_file(self, path: str) -> str:
        return self._lookup(str(Path(path).resolve()))

    def _lookup(self, key: str) -> str:
        stale = self._scanned_at is None or time.monotonic() - self._scanned_at > RESCAN_SECONDS
        if key not in self._policies and stale:
            self._scan()
        return self._policies.get(key, self.fallback)

    def _scan(self) -> None:
        self._scanned_at = time.monotonic()
        self._policies.clear()
        if not self.directory.is_dir():
            return
        for page in self.directory.rglob("*.html"):
            policy = page_policy(self.settings, inline_script_hashes(page.read_bytes()))
            for served in (page, page.with_name(page.name + ".gz")):
                if served.is_file():
                    self._policies[_digest_key(served.read_bytes())] = policy
                    self._policies[str(served.resolve())] = policy


@dataclass(frozen=True)
class SecurityHeaders:
    """The header values, built once from the settings."""

    common: tuple[Header, ...]
    pages: BuiltPages

    @classmethod
    def from_settings(cls, settings: Settings, page_dir: Path = BUILT_PAGES) -> SecurityHeaders:
        production = settings.production_server()
        return cls(common_headers(settings, production), BuiltPages(page_dir, settings))


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers to each response start, keeping any a route set itself."""

    def __init__(self, app: ASGIApp, headers: SecurityHeaders) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_with_headers(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                if _is_html(message) and scope.get("method") != "HEAD":
                    held.append(message)  # its CSP depends on the page: wait for the body
                    return
                policy = self.headers.pages.fallback if _is_html(message) else API_POLICY
                await send(self._with_headers(message, policy))
            elif held and kind == "http.response.body":
                held.append(message)
                if not message.get("more_body", False):
                    await self._send_page(held, send)
            elif held and kind == "http.response.pathsend":
                policy = self.headers.pages.policy_for_file(message["path"])
                await send(self._with_headers(held.pop(0), policy))
                await send(message)
            else:
                await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _send_page(self, held: list[Message], send: Send) -> None:
        start, *chunks = held
        held.clear()
        body = b"".join(chunk.get("body", b"") for chunk in chunks)
        await send(self._with_headers(start, self.headers.pages.policy_for_body(body)))
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def _with_headers(self, start: Message, policy: str) -> Message:
        headers = list(start.get("headers", []))
        present = {name.lower() for name, _ in headers}
        wanted = ((_CSP, policy.encode()), *self.headers.common)
        headers += [(name, value) for name, value in wanted if name not in present]
        return {**start, "headers": headers}


class SecuredFastAPI(FastAPI):
    """FastAPI whose outermost layer adds the security headers (`security_headers`, when set):
    outside ServerErrorMiddleware, which answers an unexpected error past every other layer."""

    security_headers: SecurityHeaders | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.security_headers is None:
            return stack
        return SecurityHeadersMiddleware(stack, self.security_headers)


def _digest_key(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _is_html(start: Message) -> bool:
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            return bool(value.lower().startswith(b"text/html"))
    return False
