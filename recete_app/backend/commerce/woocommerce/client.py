"""WooCommerce REST API v3 client (no database): paginated product listing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from recete_app.backend.errors import ProviderError
from recete_app.backend.http_client import answered, build_client, unanswered

PAGE_SIZE = 100
MAX_PAGES = 500


class WooCommerceError(ProviderError):
    """The store answered with an error (`status`, and WooCommerce's own `code` when it gave
    one), or not at all (`cause`: the httpx failure)."""

    code = "woocommerce_failed"

    def __init__(
        self,
        message: str,
        status: int | None = None,
        code: str | None = None,
        *,
        cause: BaseException | None = None,
    ) -> None:
        failure = answered(status) if status is not None else unanswered(cause)
        super().__init__(message, code=code, **failure)
        self.status = status


class WooCommerceClient:
    def __init__(
        self,
        store_url: str,
        consumer_key: str,
        consumer_secret: str,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = build_client(
            base_url=store_url.rstrip("/") + "/wp-json/wc/v3",
            auth=(consumer_key, consumer_secret),
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def products(self) -> Iterator[list[dict[str, Any]]]:
        """Pages of products, until X-WP-TotalPages says there are no more."""
        page = 1
        while page <= MAX_PAGES:
            response = self._get("/products", {"per_page": PAGE_SIZE, "page": page})
            items = response.json()
            if not isinstance(items, list) or not items:
                return
            yield [item for item in items if isinstance(item, dict)]
            total_pages = int(response.headers.get("x-wp-totalpages", page))
            if page >= total_pages:
                return
            page += 1

    def count_products(self) -> int | None:
        """One product's page: the cheapest authenticated read. WooCommerce counts every product
        in X-WP-Total (None when a proxy dropped the header)."""
        total = self._get("/products", {"per_page": 1}).headers.get("x-wp-total", "")
        return int(total) if total.isdigit() else None

    def _get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise WooCommerceError(f"store unreachable: {exc}", cause=exc) from exc
        if response.status_code >= 400:
            raise WooCommerceError(
                _error_message(response), response.status_code, _error_code(response)
            )
        return response


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_message(response: httpx.Response) -> str:
    message = _error_body(response).get("message") or response.reason_phrase
    return f"WooCommerce answered {response.status_code}: {message}"


def _error_code(response: httpx.Response) -> str | None:
    code = _error_body(response).get("code")
    return str(code) if code else None
