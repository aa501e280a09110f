"""The NUL guard on its own: which inputs it reads, how it names fields, what it leaves alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from recete_app.backend.http.text_guard import RefuseNulMiddleware


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"length": len(body), "text": body.decode("latin-1")})


@pytest.fixture()
def client() -> Iterator[TestClient]:
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    app.add_middleware(RefuseNulMiddleware)
    with TestClient(app) as test_client:
        yield test_client


def _fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [d["field"] for d in response.json()["error"]["details"]]


def test_json_paths_name_every_string_and_key_holding_a_nul(client: TestClient) -> None:
    body = {"a": "ok", "order": {"items": [{"title": "x\u0000"}, "y"], "k\u0000": 1}}
    assert _fields(client.post("/api/x", json=body)) == ["order.items.0.title", "order.k\\u0000"]
    assert _fields(client.post("/api/x", json="top\u0000")) == ["body"]


def test_an_escaped_backslash_before_u0000_is_plain_text(client: TestClient) -> None:
    raw = b'{"note": "C:\\\\u0000dir"}'  # the text C:\u0000dir: no NUL in it
    response = client.post("/api/x", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["length"] == len(raw)


def test_query_and_form_fields_are_named(client: TestClient) -> None:
    assert _fields(client.get("/api/x?q=a%00b&page=2")) == ["q"]
    assert _fields(client.post("/api/x", data={"name": "a\u0000", "other": "b"})) == ["name"]
    multipart = client.post(
        "/api/x", data={"title": "t\u0000"}, files={"file": ("a.csv", b"\x00\x01", "text/csv")}
    )
    assert _fields(multipart) == ["title"]


def test_an_uploaded_files_bytes_are_not_text(client: TestClient) -> None:
    response = client.post("/api/x", files={"file": ("a.bin", b"\x00\x00binary", "application/x")})
    assert response.status_code == 200


def test_the_route_reads_the_whole_body_after_the_check(client: TestClient) -> None:
    chunks = [b'{"text": "', b"x" * 70_000, b'"}']
    response = client.post(
        "/api/x", content=iter(chunks), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["length"] == sum(len(c) for c in chunks)


def test_signed_receivers_get_their_raw_body_untouched(client: TestClient) -> None:
    raw = b'{"text": "a\\u0000"}'
    for path in (
        "/webhooks/commerce/shopify",
        "/webhooks/whatsapp",
        "/webhooks/commerce/woocommerce/1",
    ):
        response = client.post(f"{path}?x=%00", content=raw)
        assert response.status_code == 200 and response.json()["length"] == len(raw)
    assert client.post("/webhooks/commerce/api", content=raw).status_code == 422


def test_outside_the_api_only_the_url_is_checked(client: TestClient) -> None:
    assert client.post("/_upload", content=b'{"text": "a\\u0000"}').status_code == 200
    assert _fields(client.get("/dashboard%00")) == ["path"]


def test_malformed_bodies_are_left_to_the_route(client: TestClient) -> None:
    for raw in (b'{"text": "a\\u0000', b"\x00not json"):
        assert client.post("/api/x", content=raw).status_code == 200
