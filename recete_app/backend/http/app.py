"""The HTTP API (FastAPI on Starlette), mounted into Reflex through `api_transformer`."""

from __future__ import annotations

import httpx

from recete_app.backend.config import Settings, get_settings
from recete_app.backend.http.errors import install_error_handlers
from recete_app.backend.http.middleware import RequestContextMiddleware
from recete_app.backend.http.openapi import ERROR_RESPONSES
from recete_app.backend.http.routes import (
    analytics,
    api_keys,
    auth,
    commerce_webhooks,
    conversations,
    customer_exports,
    customers,
    health,
    integrations,
    journeys,
    links,
    merchants,
    order_imports,
    products,
    shopify_oauth,
    whatsapp,
)
from recete_app.backend.http.security_headers import SecuredFastAPI, SecurityHeaders
from recete_app.backend.http.text_guard import RefuseNulMiddleware
from recete_app.backend.security.rate_limits import (
    build_rate_limiter,
    default_limits,
    shared_rate_limiter,
)


def create_api(
    settings: Settings | None = None, outbound_transport: httpx.BaseTransport | None = None
) -> SecuredFastAPI:
    """The API; with explicit `settings` (tests) it gets limiters of its own, and with an
    `outbound_transport` its calls to providers go there (tests: httpx.MockTransport)."""
    limiter = build_rate_limiter(settings) if settings else shared_rate_limiter()
    settings = settings or get_settings()
    api = SecuredFastAPI(
        title="Recete API",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    # Outermost: every response, Reflex's pages and assets mounted inside included.
    api.security_headers = SecurityHeaders.from_settings(settings)
    api.state.rate_limiter = limiter
    api.state.outbound_transport = outbound_transport
    api.state.rate_limits = default_limits(settings)
    install_error_handlers(api)
    api.include_router(health.router)
    api.include_router(auth.router)
    api.include_router(api_keys.router)
    api.include_router(commerce_webhooks.router)
    api.include_router(shopify_oauth.router)
    api.include_router(integrations.router)
    api.include_router(merchants.router)
    api.include_router(journeys.router)
    api.include_router(products.router)
    api.include_router(products.jobs_router)
    api.include_router(order_imports.router)
    api.include_router(whatsapp.router)
    api.include_router(conversations.router)
    api.include_router(customers.router)
    api.include_router(customer_exports.router)
    api.include_router(links.router)
    api.include_router(analytics.router)
    # Added first, so it runs inside the request context (request id, rate limit, body cap).
    api.add_middleware(RefuseNulMiddleware)
    api.add_middleware(
        RequestContextMiddleware,
        settings=settings,
        limiter=api.state.rate_limiter,
        ip_limit=api.state.rate_limits["ip"],
    )
    return api
