"""A fake Shopify (httpx.MockTransport) answering in Shopify's real response shapes: the OAuth
token exchange, the Admin GraphQL API (webhook subscriptions, products, orders) and REST
shop.json."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support import fixture_json


class FakeShopify:
    def __init__(
        self,
        *,
        token: str = "shpat_oauth_token",
        products: list[list[dict[str, Any]]] | None = None,
        orders: list[list[dict[str, Any]]] | None = None,
    ) -> None:
        self.token = token
        self.product_pages = products or [[]]
        self.order_pages = orders or [[]]
        self.requests: list[httpx.Request] = []
        self.webhooks: list[dict[str, Any]] = []
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/admin/oauth/access_token":
            return self._token(request)
        admin = request.url.path.endswith(("/graphql.json", "/shop.json"))
        if admin and request.headers.get("x-shopify-access-token") != self.token:
            return httpx.Response(
                401,
                json={
                    "errors": "[API] Invalid API key or access "
                    "token (unrecognized login or wrong "
                    "password)"
                },
            )
        if request.url.path.endswith("/graphql.json"):
            return self._graphql(json.loads(request.content))
        if request.url.path.endswith("/shop.json") and request.method == "GET":
            return httpx.Response(200, json={"shop": self._shop(request.url.host)})
        return httpx.Response(404, json={"errors": "Not Found"})

    @staticmethod
    def _shop(domain: str) -> dict[str, Any]:
        """REST Admin shop.json's `shop` object (the fields a test may read)."""
        return {
            "id": 548380009,
            "name": "Glow Skin",
            "email": "owner@glowskin.com",
            "domain": domain,
            "myshopify_domain": domain,
            "currency": "TRY",
            "iana_timezone": "Europe/Istanbul",
            "plan_name": "basic",
        }

    def _token(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("code") != "valid-code":
            return httpx.Response(
                400,
                json={
                    "error": "invalid_request",
                    "error_description": "The authorization code was not found or was already used",
                },
            )
        return httpx.Response(
            200,
            json={
                "access_token": self.token,
                "scope": "read_orders,read_customers,read_products,read_fulfillments",
            },
        )

    def _graphql(self, body: dict[str, Any]) -> httpx.Response:
        query, variables = body["query"], body.get("variables") or {}
        if "webhookSubscriptionCreate" in query:
            self.webhooks.append(variables)
            data = {
                "webhookSubscriptionCreate": {
                    "webhookSubscription": {
                        "id": f"gid://shopify/WebhookSubscription/{len(self.webhooks)}",
                        "topic": variables["topic"],
                    },
                    "userErrors": [],
                }
            }
        elif "products(" in query:
            data = {"products": self._page(self.product_pages, variables.get("cursor"))}
        elif "orders(" in query:
            data = {"orders": self._page(self.order_pages, variables.get("cursor"))}
        else:
            return httpx.Response(200, json={"errors": [{"message": "unknown query"}]})
        return httpx.Response(
            200,
            json={
                "data": data,
                "extensions": {
                    "cost": {
                        "requestedQueryCost": 52,
                        "actualQueryCost": 12,
                        "throttleStatus": {
                            "maximumAvailable": 2000.0,
                            "currentlyAvailable": 1988,
                            "restoreRate": 100.0,
                        },
                    }
                },
            },
        )

    @staticmethod
    def _page(pages: list[list[dict[str, Any]]], cursor: str | None) -> dict[str, Any]:
        index = int(cursor or 0)
        has_next = index + 1 < len(pages)
        return {
            "pageInfo": {
                "hasNextPage": has_next,
                "endCursor": str(index + 1) if has_next else None,
            },
            "nodes": pages[index],
        }


def graphql_order(**changes: Any) -> dict[str, Any]:
    node = fixture_json("shopify", "graphql_order_node.json")
    node.update(changes)
    return node
