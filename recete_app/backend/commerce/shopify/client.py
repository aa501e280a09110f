"""Shopify Admin API client (no database): OAuth code exchange, GraphQL, paginated reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from recete_app.backend.errors import ProviderError
from recete_app.backend.http_client import Failure, answered, build_client, unanswered

API_VERSION = "2026-10"
MAX_PAGES = 1000

_WEBHOOK_CREATE = """
mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,
                                   $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""

_PRODUCTS = """
query products($cursor: String) {
  products(first: 100, after: $cursor) {
    pageInfo { hasNextPage endCursor }
    nodes {
      legacyResourceId title handle descriptionHtml onlineStoreUrl
      variants(first: 1) { nodes { price sku } }
    }
  }
}
"""

_ORDERS = """
query orders($cursor: String, $query: String!) {
  orders(first: 50, after: $cursor, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      legacyResourceId name createdAt updatedAt cancelledAt cancelReason
      displayFinancialStatus displayFulfillmentStatus phone email
      totalPriceSet { shopMoney { amount currencyCode } }
      customer {
        legacyResourceId firstName lastName
        defaultEmailAddress { emailAddress }
        defaultPhoneNumber { phoneNumber marketingState marketingUpdatedAt }
      }
      shippingAddress { phone countryCodeV2 firstName lastName }
      billingAddress { phone countryCodeV2 }
      fulfillments(first: 10) { createdAt updatedAt status displayStatus deliveredAt }
      refunds(first: 5) { createdAt }
      lineItems(first: 100) {
        nodes {
          id name sku quantity requiresShipping
          originalUnitPriceSet { shopMoney { amount } }
          product { legacyResourceId }
        }
      }
    }
  }
}
"""


class ShopifyError(ProviderError):
    """Shopify refused or failed a call; `status` is the HTTP status when there was one, `cause`
    the httpx failure when there was no answer. With neither, Shopify answered with errors in
    the body: final unless `retryable` (GraphQL's own rate limit answers 200)."""

    code = "shopify_failed"

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        cause: BaseException | None = None,
        retryable: bool = False,
    ) -> None:
        if status is not None:
            failure = answered(status)
        elif cause is not None:
            failure = unanswered(cause)
        else:
            failure = Failure(request_sent=True, retryable=retryable)
        super().__init__(message, **failure)
        self.status = status


def exchange_code(
    shop: str,
    client_id: str,
    client_secret: str,
    code: str,
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, str]:
    """OAuth: trade the authorization code for an offline access token -> (token, scopes)."""
    with build_client(transport=transport) as client:
        try:
            response = client.post(
                f"https://{shop}/admin/oauth/access_token",
                json={"client_id": client_id, "client_secret": client_secret, "code": code},
            )
        except httpx.HTTPError as exc:
            raise ShopifyError(f"Shopify unreachable: {exc}", cause=exc) from exc
    if response.status_code != 200:
        raise ShopifyError(f"token exchange refused ({response.status_code})", response.status_code)
    body = response.json()
    token = body.get("access_token") if isinstance(body, dict) else None
    if not token:
        raise ShopifyError("token exchange answered without an access token")
    return str(token), str(body.get("scope", ""))


class ShopifyAdminClient:
    def __init__(
        self, shop: str, access_token: str, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._client = build_client(
            base_url=f"https://{shop}/admin/api/{API_VERSION}",
            transport=transport,
            headers={"X-Shopify-Access-Token": access_token},
        )

    def close(self) -> None:
        self._client.close()

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._client.post(
                "/graphql.json", json={"query": query, "variables": variables or {}}
            )
        except httpx.HTTPError as exc:
            raise ShopifyError(f"Shopify unreachable: {exc}", cause=exc) from exc
        if response.status_code >= 400:
            raise ShopifyError(f"Shopify answered {response.status_code}", response.status_code)
        body = response.json()
        if not isinstance(body, dict) or body.get("errors"):
            errors = body.get("errors") if isinstance(body, dict) else body
            raise ShopifyError(f"GraphQL errors: {errors}", retryable=_throttled(errors))
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def shop(self) -> dict[str, Any]:
        """The shop's record (REST shop.json): the cheapest read that proves the token works."""
        try:
            response = self._client.get("/shop.json")
        except httpx.HTTPError as exc:
            raise ShopifyError(f"Shopify unreachable: {exc}", cause=exc) from exc
        if response.status_code >= 400:
            raise ShopifyError(f"Shopify answered {response.status_code}", response.status_code)
        try:
            shop = response.json().get("shop")
        except (ValueError, AttributeError):
            shop = None
        if not isinstance(shop, dict):
            raise ShopifyError(f"Shopify answered {response.status_code} without the shop")
        return shop

    def create_webhook(self, topic: str, uri: str) -> None:
        """Subscribe `topic` (e.g. ORDERS_CREATE) to `uri`; an existing subscription is fine."""
        data = self.graphql(
            _WEBHOOK_CREATE, {"topic": topic, "webhookSubscription": {"uri": uri, "format": "JSON"}}
        )
        errors = data.get("webhookSubscriptionCreate", {}).get("userErrors") or []
        real = [e for e in errors if "already been taken" not in str(e.get("message", ""))]
        if real:
            raise ShopifyError(f"webhook {topic}: {real[0].get('message')}")

    def products(self) -> Iterator[list[dict[str, Any]]]:
        yield from self._pages(_PRODUCTS, "products", {})

    def orders_updated_since(self, since_iso: str) -> Iterator[list[dict[str, Any]]]:
        yield from self._pages(_ORDERS, "orders", {"query": f"updated_at:>='{since_iso}'"})

    def _pages(
        self, query: str, field: str, variables: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            connection = self.graphql(query, {**variables, "cursor": cursor}).get(field) or {}
            yield [n for n in connection.get("nodes") or [] if isinstance(n, dict)]
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            cursor = info.get("endCursor")


def _throttled(errors: object) -> bool:
    """Shopify's GraphQL rate limit: 200 with errors[].extensions.code THROTTLED."""
    if not isinstance(errors, list):
        return False
    extensions = [e.get("extensions") for e in errors if isinstance(e, dict)]
    return any(isinstance(x, dict) and x.get("code") == "THROTTLED" for x in extensions)
