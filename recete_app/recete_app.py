"""The Reflex app: dashboard pages plus the HTTP API (webhooks, REST) mounted beside them."""

from __future__ import annotations

import reflex as rx
from starlette.types import ASGIApp

from recete_app.backend.http.app import create_api
from recete_app.backend.http.security_headers import SecurityHeadersMiddleware
from recete_app.pages import (
    analytics,
    auth_pages,
    conversations,
    customers,
    dashboard,
    integrations,
    journeys,
    products,
    simulator,
)
from recete_app.runtime import backend_lifespan, prepare_process
from recete_app.state import routes
from recete_app.state.analytics import AnalyticsState
from recete_app.state.attribution import AttributionState
from recete_app.state.auth import AuthState
from recete_app.state.conversations import ConversationsState
from recete_app.state.customers import CustomersState
from recete_app.state.integrations import IntegrationsState
from recete_app.state.journeys import JourneysState
from recete_app.state.order_imports import OrderImportState
from recete_app.state.overview import OverviewState
from recete_app.state.products import ProductsState
from recete_app.state.retention import RetentionState
from recete_app.state.scrape_jobs import ScrapeJobState
from recete_app.state.sends_in_doubt import SendsInDoubtState
from recete_app.state.simulator import SimulatorState

prepare_process()


api = create_api()
# The headers go around Reflex's own outer layer instead, whose CORS middleware answers preflight
# requests before our API sees them; inside the API they would be added a second time.
headers, api.security_headers = api.security_headers, None


class SecuredApp(rx.App):
    """The Reflex app with the security headers outside everything (any number of calls)."""

    def __call__(self) -> ASGIApp:
        top = super().__call__()
        return top if headers is None else SecurityHeadersMiddleware(top, headers)


app = SecuredApp(api_transformer=api)
app.register_lifespan_task(backend_lifespan)

app.add_page(
    auth_pages.login,
    route=routes.LOGIN,
    title="Log in · Recete",
    on_load=AuthState.redirect_if_signed_in,
)
app.add_page(
    auth_pages.signup,
    route=routes.SIGNUP,
    title="Sign up · Recete",
    on_load=AuthState.redirect_if_signed_in,
)

app.add_page(
    dashboard.overview,
    route=routes.HOME,
    title="Overview · Recete",
    on_load=[AuthState.require_session, OverviewState.load],
)
app.add_page(
    dashboard.onboarding,
    route=routes.ONBOARDING,
    title="Onboarding · Recete",
    on_load=AuthState.require_session,
)
app.add_page(
    analytics.analytics_page,
    route=routes.ANALYTICS,
    title="Analytics · Recete",
    on_load=[AuthState.require_session, AnalyticsState.load],
)
app.add_page(
    conversations.conversations_page,
    route=routes.CONVERSATIONS,
    title="Conversations · Recete",
    on_load=[AuthState.require_session, ConversationsState.load],
)
app.add_page(
    customers.customers_page,
    route=routes.CUSTOMERS,
    title="Customers · Recete",
    on_load=[AuthState.require_session, CustomersState.load],
)
app.add_page(
    integrations.integrations_page,
    route=routes.INTEGRATIONS,
    title="Integrations · Recete",
    on_load=[AuthState.require_session, IntegrationsState.load, OrderImportState.load],
)
app.add_page(
    products.products_page,
    route=routes.PRODUCTS,
    title="Products · Recete",
    on_load=[AuthState.require_session, ProductsState.load, ScrapeJobState.load],
)
app.add_page(
    journeys.settings_page,
    route=routes.SETTINGS,
    title="Settings · Recete",
    on_load=[
        AuthState.require_session,
        JourneysState.load,
        SendsInDoubtState.load,
        RetentionState.load,
        AttributionState.load,
    ],
)
app.add_page(
    simulator.simulator_page,
    route=routes.SIMULATOR,
    title="Simulator · Recete",
    on_load=[AuthState.require_session, SimulatorState.load],
)
