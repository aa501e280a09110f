"""The signed-in principal, for states other than AuthState (every handler re-checks it), and
the dashboard pages' common loading.

The event loop serves every open tab at once, so database and HTTP work in a handler runs in a
worker thread (`asyncio.to_thread`). A page reads its facts there (a plain function returning a
snapshot) and sets its vars from that snapshot back on the loop: `_reread`."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from recete_app.backend.accounts.sessions import Principal, authenticate_session
from recete_app.backend.errors import Unauthorized
from recete_app.state import routes
from recete_app.state.auth import AuthState


async def session_token(state: rx.State) -> str:
    """The browser's session token. A background task reads it inside `async with self`, then
    looks the principal up (`principal_of`) after leaving it."""
    return str((await state.get_state(AuthState)).token)


async def principal_of(token: str) -> Principal | None:
    """Who the token signs in, or None: a database lookup, so in a worker thread."""
    if not token:
        return None
    try:
        return await asyncio.to_thread(authenticate_session, token)
    except Unauthorized:
        return None


async def current_principal(state: rx.State) -> Principal | None:
    return await principal_of(await session_token(state))


class MerchantPage(rx.State, mixin=True):
    """A dashboard page of the signed-in merchant. Its `load` (the page's on_load) sends a
    signed-out visitor to the login page, forgets the notices of an earlier visit and reads the
    page afresh (`_reread`, which each page defines)."""

    notice: str = ""
    error: str = ""

    @rx.event
    async def load(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self._forget_notices()
        return await self._opened(principal)

    def _forget_notices(self) -> None:
        self.notice = self.error = ""

    async def _opened(self, principal: Principal) -> Any:
        """Read the page afresh; what this returns (events) follows the load."""
        await self._reread(principal.merchant_id)
        return None

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        """Read the page's facts in a worker thread, then show them (on the event loop)."""
        raise NotImplementedError
