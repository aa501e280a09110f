"""The signed-in principal, for states other than AuthState (every handler re-checks it), and
the dashboard pages' common loading."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from recete_app.backend.accounts.sessions import Principal, authenticate_session
from recete_app.backend.errors import Unauthorized
from recete_app.state import routes
from recete_app.state.auth import AuthState


async def current_principal(state: rx.State) -> Principal | None:
    auth = await state.get_state(AuthState)
    if not auth.token:
        return None
    try:
        return authenticate_session(auth.token)
    except Unauthorized:
        return None


class MerchantPage(rx.State, mixin=True):
    """A dashboard page of the signed-in merchant. Its `load` (the page's on_load) sends a
    signed-out visitor to the login page, forgets the notices of an earlier visit and reads the
    page afresh (`_refresh`, which each page defines)."""

    notice: str = ""
    error: str = ""

    @rx.event
    async def load(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self._forget_notices()
        return self._opened(principal.merchant_id)

    def _forget_notices(self) -> None:
        self.notice = self.error = ""

    def _opened(self, merchant_id: uuid.UUID) -> Any:
        """Read the page afresh; what this returns (events) follows the load."""
        self._refresh(merchant_id)
        return None

    def _refresh(self, merchant_id: uuid.UUID) -> None:
        raise NotImplementedError
