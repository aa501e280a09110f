"""CORS: only the public URL's origin (and the local dashboard in dev) may call the API or open
the dashboard's socket from a browser; any other Origin, `null` included, is never echoed.

Reflex puts the CORS middleware on the API app and configures the socket from rxconfig.py, so
these tests load rxconfig.py afresh and let Reflex's own code build both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import reflex as rx
from reflex.app import App
from reflex_base.registry import RegistrationContext
from starlette.testclient import TestClient

from recete_app.backend.config import ConfigurationError, Settings, get_settings
from recete_app.backend.http.app import create_api

PUBLIC = "https://app.shop.example"
STRANGERS = (
    "https://evil.example",
    "null",
    "http://localhost:3000",
    "https://app.shop.example.evil",
)


@pytest.fixture()
def reflex_in_prod(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """rxconfig.py read again for a production deployment, in a Reflex context of its own."""
    monkeypatch.setenv("RECETE_ENV", "prod")
    monkeypatch.setenv("RECETE_PUBLIC_URL", f"{PUBLIC}/dashboard/")
    get_settings.cache_clear()
    token = RegistrationContext.set(RegistrationContext.ensure_context().fork())
    try:
        yield
    finally:
        RegistrationContext.reset(token)
        get_settings.cache_clear()


def _api() -> TestClient:
    api = create_api(get_settings())
    App._add_cors(api)  # what Reflex does to the app given as api_transformer
    return TestClient(api, raise_server_exceptions=False)


def _preflight(client: TestClient, origin: str) -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    return client.options("/api/auth/login", headers=headers)


@pytest.mark.usefixtures("reflex_in_prod")
def test_the_api_echoes_no_foreign_origin() -> None:
    client = _api()
    for origin in STRANGERS:
        assert (
            "access-control-allow-origin"
            not in client.get("/health", headers={"Origin": origin}).headers
        )
        refused = _preflight(client, origin)
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers


@pytest.mark.usefixtures("reflex_in_prod")
def test_the_api_allows_the_public_url_origin_with_credentials() -> None:
    client = _api()
    simple = client.get("/health", headers={"Origin": PUBLIC})
    assert simple.headers["access-control-allow-origin"] == PUBLIC
    allowed = _preflight(client, PUBLIC)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PUBLIC
    assert allowed.headers["access-control-allow-credentials"] == "true"


@pytest.mark.usefixtures("reflex_in_prod")
def test_the_dashboard_socket_refuses_foreign_origins() -> None:
    client = TestClient(rx.App()._api, raise_server_exceptions=False)  # type: ignore[arg-type]
    handshake = "/_event/?EIO=4&transport=websocket"
    for origin in STRANGERS:
        refused = client.get(handshake, headers={"Origin": origin})
        assert "access-control-allow-origin" not in refused.headers
        assert "not an accepted origin" in refused.text
    allowed = client.get(handshake, headers={"Origin": PUBLIC})
    assert PUBLIC in allowed.headers["access-control-allow-origin"]
    assert "not an accepted origin" not in allowed.text


def test_allowed_origins_are_the_public_urls_plus_the_local_dashboard_in_dev() -> None:
    prod = Settings(env="prod", public_url="HTTPS://App.Shop.Example:443/x?y=1")
    assert prod.allowed_origins() == ("https://app.shop.example",)
    assert Settings(env="prod", public_url="http://10.0.0.5:8080").allowed_origins() == (
        "http://10.0.0.5:8080",
    )
    dev = Settings(env="dev", public_url="http://localhost:3000").allowed_origins((3001, 8001))
    assert dev == (
        "http://localhost:3000",
        "http://localhost:3001",
        "http://127.0.0.1:3001",
        "http://localhost:8001",
        "http://127.0.0.1:8001",
    )


@pytest.mark.parametrize("url", ["", "localhost:3000", "ftp://files.example", "https://"])
def test_a_public_url_without_an_origin_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="RECETE_PUBLIC_URL"):
        Settings(env="prod", public_url=url).allowed_origins()
