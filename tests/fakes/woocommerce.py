"""A fake WooCommerce REST API v3 (httpx.MockTransport) answering in WooCommerce's real shapes:
products pages with X-WP-Total and X-WP-TotalPages, and its error object
`{"code", "message", "data": {"status"}}` when the consumer key or secret is wrong."""

from __future__ import annotations

import base64
import math
from typing import Any

import httpx

from tests.support import fixture_json


class FakeWooCommerce:
    def __init__(
        self,
        *,
        consumer_key: str = "ck_test",
        consumer_secret: str = "cs_test",
        products: int = 12,
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.products = products
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path != "/wp-json/wc/v3/products" or request.method != "GET":
            return _error(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        refused = self._refusal(request.headers.get("authorization", ""))
        if refused is not None:
            return refused
        per_page = int(request.url.params.get("per_page", "10"))
        page = int(request.url.params.get("page", "1"))
        first = (page - 1) * per_page
        items = [self._product(n) for n in range(first, min(first + per_page, self.products))]
        headers = {
            "X-WP-Total": str(self.products),
            "X-WP-TotalPages": str(max(1, math.ceil(self.products / per_page))),
        }
        return httpx.Response(200, json=items, headers=headers)

    def _refusal(self, authorization: str) -> httpx.Response | None:
        scheme, _, encoded = authorization.partition(" ")
        key, _, secret = (
            base64.b64decode(encoded).decode().partition(":") if scheme == "Basic" else ("", "", "")
        )
        if key != self.consumer_key:
            return _error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if secret != self.consumer_secret:
            return _error(
                401, "woocommerce_rest_authentication_error", "Consumer secret is invalid."
            )
        return None

    @staticmethod
    def _product(n: int) -> dict[str, Any]:
        product = fixture_json("woocommerce", "product.json")
        return {**product, "id": 1000 + n, "name": f"{product.get('name', 'Product')} {n}"}


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "message": message, "data": {"status": status}}
    )
