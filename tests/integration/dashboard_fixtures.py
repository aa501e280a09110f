"""Driving a dashboard page's state handlers directly, as a signed-in person: the session
lookup is the only thing skipped, so each handler runs its real service calls."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any, TypeVar

import pytest

from recete_app.backend.accounts.sessions import Principal
from recete_app.state import session

S = TypeVar("S")


def signed_in_page(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, state: type[S], person: Principal
) -> S:
    async def signed_in(_state: object) -> Principal:
        return person

    monkeypatch.setattr(module, "current_principal", signed_in)
    monkeypatch.setattr(session, "current_principal", signed_in)  # MerchantPage.load's
    return state(_reflex_internal_init=True)  # type: ignore[call-arg]


def run_handler(handler: Any, state: object, *args: object) -> object:
    """An event handler's own coroutine, run to its end."""
    return asyncio.run(handler.fn(state, *args))
