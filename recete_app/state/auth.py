"""Who is signed in to the dashboard. Thin: reads the form, calls the accounts services, in a
worker thread (database lookups and password hashing would hold up every tab's events)."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from recete_app.backend.accounts import sessions, signup
from recete_app.backend.errors import RecetError, Unauthorized
from recete_app.state import routes


def _me(token: str) -> sessions.Me:
    return sessions.describe(sessions.authenticate_session(token))


def _sign_up(form: dict[str, Any], address: str | None) -> sessions.LoginResult:
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    signup.sign_up(str(form.get("store_name", "")), email, password)
    return sessions.log_in(email, password, address=address)


class AuthState(rx.State):
    token: str = rx.LocalStorage("", name="recete_session", sync=True)
    signed_in: bool = False
    store_name: str = ""
    email: str = ""
    merchant_id: str = ""
    error: str = ""
    busy: bool = False

    @rx.event
    async def require_session(self) -> Any:
        """on_load of every dashboard page: no valid session, back to the login page."""
        if not self.token:
            return self._signed_out()
        try:
            me = await asyncio.to_thread(_me, self.token)
        except Unauthorized:
            return self._signed_out()
        self.signed_in = True
        self.store_name = me.store_name
        self.email = me.email or ""
        self.merchant_id = str(me.merchant_id)
        return None

    @rx.event
    async def redirect_if_signed_in(self) -> Any:
        self.error = ""
        if not self.token:
            return None
        try:
            await asyncio.to_thread(sessions.authenticate_session, self.token)
        except Unauthorized:
            self.token = ""
            return None
        return rx.redirect(routes.HOME)

    @rx.event
    async def log_in(self, form: dict[str, Any]) -> Any:
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        try:
            result = await asyncio.to_thread(
                sessions.log_in, email, password, address=self._address()
            )
        except RecetError as exc:
            self.error = exc.message
            return None
        return self._signed_in(result)

    @rx.event
    async def sign_up(self, form: dict[str, Any]) -> Any:
        try:
            result = await asyncio.to_thread(_sign_up, form, self._address())
        except RecetError as exc:
            self.error = exc.message
            return None
        return self._signed_in(result)

    @rx.event
    async def log_out(self) -> Any:
        if self.token:
            await asyncio.to_thread(sessions.log_out, self.token)
        return self._signed_out()

    def _address(self) -> str | None:
        """The browser's address as the socket saw it (X-Forwarded-For only through Reflex's
        trusted_proxy_hops): login guesses are budgeted per email and address."""
        return self.router.session.client_ip or None

    def _signed_in(self, result: sessions.LoginResult) -> Any:
        self.token = result.token
        self.signed_in = True
        self.store_name = result.store_name
        self.email = result.email
        self.merchant_id = str(result.merchant_id)
        self.error = ""
        return rx.redirect(routes.HOME)

    def _signed_out(self) -> Any:
        self.token = ""
        self.signed_in = False
        self.store_name = ""
        self.email = ""
        self.merchant_id = ""
        return rx.redirect(routes.LOGIN)
