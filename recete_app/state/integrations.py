"""Integrations page: connections, their webhook URLs and recent events, and API keys."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from recete_app.backend.accounts import api_keys
from recete_app.backend.accounts.scopes import ORDERS_WRITE
from recete_app.backend.commerce import overview
from recete_app.backend.commerce.shopify import install
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.errors import RecetError
from recete_app.backend.messaging import test_message
from recete_app.backend.models import ApiKey
from recete_app.backend.services import connections
from recete_app.state import routes
from recete_app.state.session import MerchantPage, current_principal

# The WhatsApp connect form's fields, all required: (field, what the merchant calls it).
WHATSAPP_FIELDS = (
    ("phone_number_id", "phone number ID"),
    ("access_token", "access token"),
    ("app_secret", "app secret"),
    ("verify_token", "verify token"),
)


@dataclasses.dataclass
class EventRow:
    topic: str = ""
    status: str = ""
    received_at: str = ""
    error: str = ""


@dataclasses.dataclass
class IntegrationCard:
    id: str = ""
    label: str = ""
    name: str = ""
    status: str = ""
    webhook_url: str = ""
    last_error: str = ""
    events: list[EventRow] = dataclasses.field(default_factory=list)
    kind: str = ""


@dataclasses.dataclass
class KeyRow:
    id: str = ""
    name: str = ""
    prefix: str = ""
    state: str = ""
    scopes: str = ""
    created_at: str = ""
    expires_at: str = ""


def _events(views: list[overview.EventView]) -> list[EventRow]:
    return [
        EventRow(e.topic, e.status, e.received_at.strftime("%Y-%m-%d %H:%M"), e.error)
        for e in views
    ]


@dataclasses.dataclass(frozen=True)
class PageFacts:
    oauth_available: bool
    cards: list[IntegrationCard]
    api_events: list[EventRow]
    keys: list[KeyRow]


def _read_page(merchant_id: uuid.UUID) -> PageFacts:
    settings = get_settings()
    with session_scope(merchant_id) as session:
        cards = [
            IntegrationCard(
                v.id,
                v.label,
                v.name,
                v.status,
                v.webhook_url,
                v.last_error,
                _events(v.events),
                v.kind,
            )
            for v in overview.integrations_overview(session)
        ]
        api_events = _events(overview.recent_events(session, provider="api"))
        keys = [_key_row(k) for k in api_keys.list_keys(session)]
    oauth = bool(settings.shopify_api_key and settings.shopify_api_secret)
    return PageFacts(oauth, cards, api_events, keys)


def _key_row(key: ApiKey) -> KeyRow:
    return KeyRow(
        str(key.id),
        key.name,
        key.prefix,
        api_keys.key_state(key),
        ", ".join(key.scopes),
        key.created_at.strftime("%Y-%m-%d"),
        key.expires_at.strftime("%Y-%m-%d") if key.expires_at else "never",
    )


class IntegrationsState(MerchantPage, rx.State):
    cards: list[IntegrationCard] = []
    api_events: list[EventRow] = []
    keys: list[KeyRow] = []
    new_key: str = ""
    oauth_available: bool = False
    test_result: str = ""
    test_error: str = ""
    # Read back by the OAuth callback: the install must finish in the browser that began it.
    # Reflex's client code writes this cookie (universal-cookie), so it cannot be HttpOnly;
    # Lax, not Strict, because the callback is a top-level navigation from Shopify.
    oauth_binding: str = rx.Cookie(
        "",
        name="recete_shopify_oauth",
        path="/",
        max_age=600,
        same_site="lax",
        secure=get_settings().secure_cookies,
    )

    def _forget_notices(self) -> None:
        super()._forget_notices()
        self.test_result = self.test_error = ""

    @rx.event
    async def start_shopify_oauth(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.error = self.notice = ""
        try:
            started = install.start_install(principal.merchant_id, str(form.get("shop", "")))
        except RecetError as exc:
            self.error = exc.message
            return None
        self.oauth_binding = started.browser_binding
        return rx.redirect(started.authorize_url, is_external=True)

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        self._show(await asyncio.to_thread(_read_page, merchant_id))

    def _show(self, page: PageFacts) -> None:
        self.oauth_available = page.oauth_available
        self.cards, self.api_events, self.keys = page.cards, page.api_events, page.keys

    @rx.event
    async def connect_shopify(self, form: dict[str, Any]) -> Any:
        return await self._connect("shopify", form)

    @rx.event
    async def connect_woocommerce(self, form: dict[str, Any]) -> Any:
        return await self._connect("woocommerce", form)

    @rx.event
    async def connect_whatsapp(self, form: dict[str, Any]) -> Any:
        # The form's names carry a prefix: Shopify's form on the same page has an access_token.
        fields = {
            name: str(form.get(f"whatsapp_{name}", "")).strip() for name, _ in WHATSAPP_FIELDS
        }
        missing = [label for name, label in WHATSAPP_FIELDS if not fields[name]]
        if missing:
            self.notice, self.error = "", "WhatsApp needs its " + ", ".join(missing) + "."
            return None
        return await self._connect("whatsapp", fields)

    @rx.event
    async def disconnect(self, integration_id: str) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.error = self.notice = ""
        try:
            gone = await asyncio.to_thread(
                connections.disconnect, principal.merchant_id, principal.actor, integration_id
            )
            self.notice = f"Disconnected {gone.name}: connect it again to use it."
        except RecetError as exc:
            self.error = exc.message
        await self._reread(principal.merchant_id)
        return None

    @rx.event
    async def send_test_message(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.test_result = self.test_error = ""
        phone = str(form.get("phone", "")).strip()
        try:
            # A round trip to Meta: off the event loop, other tabs keep working meanwhile.
            wamid = await asyncio.to_thread(
                test_message.send_test_message, principal.merchant_id, phone
            )
        except RecetError as exc:
            self.test_error = exc.message
            return None
        self.test_result = f"Sent to {phone}: check your WhatsApp. (Message id {wamid})"
        return None

    async def _connect(self, kind: str, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.error = self.notice = ""
        try:
            connected = await asyncio.to_thread(
                connections.connect, principal.merchant_id, principal.actor, kind, form
            )
            self.notice = _connected_notice(connected)
        except RecetError as exc:
            self.error = exc.message
        await self._reread(principal.merchant_id)
        return None

    @rx.event
    async def create_key(self, form: dict[str, Any]) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.error = self.notice = self.new_key = ""
        name, scope = str(form.get("name", "")), str(form.get("scope") or ORDERS_WRITE)
        try:
            created = await asyncio.to_thread(
                api_keys.issue_key, principal.merchant_id, principal.actor, name, None, [scope]
            )
        except RecetError as exc:
            self.error = exc.message
            return None
        self.new_key = created.key
        await self._reread(principal.merchant_id)
        return None

    @rx.event
    async def revoke_key(self, key_id: str) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.error = self.notice = self.new_key = ""
        try:
            await asyncio.to_thread(
                api_keys.withdraw_key, principal.merchant_id, principal.actor, key_id
            )
        except RecetError as exc:
            self.error = exc.message
        await self._reread(principal.merchant_id)
        return None


def _connected_notice(connected: connections.Connected) -> str:
    if connected.kind == "whatsapp":
        return (
            f"Connected WhatsApp number {connected.display_name}. In Meta's app dashboard, "
            "set the webhook URL below with your verify token, then send a test message."
        )
    importing = " Importing its products in the background." if connected.catalogue_queued else ""
    return f"Connected {connected.display_name}.{importing}"
