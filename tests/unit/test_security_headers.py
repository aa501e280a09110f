"""Security headers: every kind of response the API gives carries them, HSTS only in
production, and a built dashboard page may run exactly its own inline scripts."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import SecretStr
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from recete_app.backend.config import Settings
from recete_app.backend.http import security_headers
from recete_app.backend.http.app import create_api
from recete_app.backend.http.security_headers import (
    API_POLICY,
    SecuredFastAPI,
    SecurityHeaders,
    SecurityHeadersMiddleware,
    inline_script_hashes,
)

SECRET = SecretStr("s" * 48)
EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
}
THEME_SCRIPT = "document.documentElement.classList.add('light');"
ENTRY_SCRIPT = 'import("/assets/entry.js");'
PAGE = (
    '<!DOCTYPE html><html><head><script src="/assets/app.js"></script>'
    f"<script>{THEME_SCRIPT}</script></head><body><div id=root></div>"
    f'<script type="module">{ENTRY_SCRIPT}</script></body></html>'
).encode()


def _settings(
    env: Literal["dev", "prod"] = "dev", public_url: str = "http://localhost:3000", **extra: Any
) -> Settings:
    return Settings(env=env, public_url=public_url, secret_key=SECRET, **extra)


@pytest.fixture(autouse=True)
def _not_under_reflex_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFLEX_ENV_MODE", raising=False)


def _client(settings: Settings | None = None) -> TestClient:
    api = create_api(settings or _settings())

    @api.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("unexpected")

    return TestClient(api, raise_server_exceptions=False)


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _assert_secured(headers: Mapping[str, str], policy: str = API_POLICY) -> None:
    got = {k.lower(): v for k, v in headers.items()}
    for name, value in EVERYWHERE.items():
        assert got.get(name) == value, name
    assert got["content-security-policy"] == policy
    features = got["permissions-policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in features


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/openapi.json", 200),
        ("GET", "/api/auth/me", 401),
        ("GET", "/api/no-such-route", 404),
        ("POST", "/webhooks/commerce/api", 401),
        ("GET", "/api/boom", 500),
    ],
)
def test_every_kind_of_api_response_carries_the_headers(
    method: str, path: str, status: int
) -> None:
    response = _client().request(method, path)
    assert response.status_code == status
    _assert_secured(response.headers)
    assert "strict-transport-security" not in response.headers


def test_responses_the_request_layer_refuses_carry_them_too() -> None:
    client = _client(_settings(max_body_bytes=10))
    response = client.post("/api/auth/login", content=b"{" + b" " * 100 + b"}")
    assert response.status_code == 413
    _assert_secured(response.headers)


@pytest.mark.parametrize(
    ("settings", "reflex_mode", "hsts"),
    [
        (_settings(), None, None),
        (_settings(), "dev", None),
        (_settings(), "prod", "max-age=31536000"),
        (_settings("prod"), None, "max-age=31536000"),
        (
            _settings(public_url="https://app.shop.example"),
            None,
            "max-age=31536000",
        ),
        (
            _settings("prod", hsts_include_subdomains=True),
            None,
            "max-age=31536000; includeSubDomains",
        ),
    ],
)
def test_hsts_is_sent_in_production_only(
    settings: Settings, reflex_mode: str | None, hsts: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if reflex_mode:
        monkeypatch.setenv("REFLEX_ENV_MODE", reflex_mode)
    assert _client(settings).get("/health").headers.get("strict-transport-security") == hsts


def test_cookies_are_secure_in_prod_or_behind_https() -> None:
    assert not _settings().secure_cookies
    assert _settings("prod").secure_cookies
    assert _settings(public_url="https://app.shop.example/").secure_cookies


def test_inline_script_hashes_skip_scripts_with_a_source() -> None:
    crlf = b"<script>a();\r\nb();</script><SCRIPT defer>a();\nb();</SCRIPT>"
    assert inline_script_hashes(crlf) == (_sha256("a();\nb();"),)
    assert inline_script_hashes(PAGE) == (
        _sha256(THEME_SCRIPT),
        _sha256(ENTRY_SCRIPT),
    )


@pytest.fixture()
def built_pages(tmp_path: Path) -> Path:
    """A production build: a page, its gzip twin, and an asset."""
    (tmp_path / "login").mkdir()
    (tmp_path / "login" / "index.html").write_bytes(PAGE)
    (tmp_path / "login" / "index.html.gz").write_bytes(gzip.compress(PAGE))
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1);\n")
    return tmp_path


@pytest.fixture()
def dashboard(built_pages: Path) -> Iterator[TestClient]:
    """The API with the built pages mounted inside it, as Reflex does with `--env prod`."""
    settings = _settings()
    api = create_api(settings)
    assert isinstance(api, SecuredFastAPI)
    api.security_headers = SecurityHeaders.from_settings(settings, built_pages)
    api.mount("", PrecompressedStaticFiles(directory=built_pages, html=True, encodings=["gzip"]))
    with TestClient(api) as client:
        yield client


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_built_page_may_run_its_own_inline_scripts_only(
    dashboard: TestClient, encoding: str
) -> None:
    response = dashboard.get("/login", headers={"Accept-Encoding": encoding})
    assert response.status_code == 200 and response.content == PAGE
    assert response.headers.get("content-encoding", "identity") == encoding
    policy = response.headers["content-security-policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
    assert script_src == f"script-src 'self' '{_sha256(THEME_SCRIPT)}' '{_sha256(ENTRY_SCRIPT)}'"
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "connect-src 'self' ws://localhost:3000",
    ):
        assert directive in policy.split("; ")
    assert "unsafe-eval" not in policy
    _assert_secured(response.headers, policy)


def test_assets_get_the_strict_policy(dashboard: TestClient) -> None:
    response = dashboard.get("/assets/app.js")
    assert response.status_code == 200
    _assert_secured(response.headers)


def test_html_that_is_no_built_page_runs_no_inline_script(built_pages: Path) -> None:
    async def stranger(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/html; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"<script>", "more_body": True})
        await send({"type": "http.response.body", "body": b"evil()</script>"})

    headers = SecurityHeaders.from_settings(_settings(), built_pages)
    response = TestClient(SecurityHeadersMiddleware(stranger, headers)).get("/")
    assert response.text == "<script>evil()</script>"
    assert "script-src 'self'; " in response.headers["content-security-policy"]


def test_a_page_sent_by_path_gets_its_hashes(built_pages: Path) -> None:
    """Servers with the ASGI pathsend extension (Granian) get a file's path, not its bytes."""
    sent: list[Message] = []

    async def static(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/html")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        page = str(built_pages / "login" / "index.html")
        await send({"type": "http.response.pathsend", "path": page})

    async def record(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    headers = SecurityHeaders.from_settings(_settings(), built_pages)
    scope: Scope = {"type": "http", "method": "GET", "path": "/login", "headers": []}
    asyncio.run(SecurityHeadersMiddleware(static, headers)(scope, receive, record))
    policy = dict(sent[0]["headers"])[b"content-security-policy"].decode()
    assert _sha256(THEME_SCRIPT) in policy
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]


def test_a_header_a_route_sets_itself_is_kept(built_pages: Path) -> None:
    async def framed(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"x-frame-options", b"SAMEORIGIN")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    headers = SecurityHeaders.from_settings(_settings(), built_pages)
    response = TestClient(SecurityHeadersMiddleware(framed, headers)).get("/")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]


def test_a_page_rebuilt_under_a_running_server_is_found_again(
    built_pages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = SecurityHeaders.from_settings(_settings(), built_pages).pages
    assert _sha256(THEME_SCRIPT) in pages.policy_for_body(PAGE)
    rebuilt = PAGE.replace(b"light", b"dark")
    (built_pages / "login" / "index.html").write_bytes(rebuilt)
    assert pages.policy_for_body(rebuilt) == pages.fallback  # read again 10 s after at most
    monkeypatch.setattr(security_headers, "RESCAN_SECONDS", 0.0)
    assert _sha256(THEME_SCRIPT.replace("light", "dark")) in pages.policy_for_body(rebuilt)
