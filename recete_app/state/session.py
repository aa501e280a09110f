"""The signed-in principal, for states other than AuthState (every handler re-checks it)."""

from __future__ import annotations

import reflex as rx

from recete_app.backend.accounts.sessions import Principal, authenticate_session
from recete_app.backend.errors import Unauthorized
from recete_app.state.auth import AuthState


async def current_principal(state: rx.State) -> Principal | None:
    auth = await state.get_state(AuthState)
    if not auth.token:
        return None
    try:
        return authenticate_session(auth.token)
    except Unauthorized:
        return None
