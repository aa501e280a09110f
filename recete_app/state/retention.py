"""Settings → Data retention: how long message bodies and webhook bodies are kept, read and
changed through the store settings service (the same as PATCH /api/merchants/me)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from recete_app.backend.errors import RecetError
from recete_app.backend.services import store_settings
from recete_app.state import routes
from recete_app.state.session import MerchantPage, current_principal

FIELDS = ("retention_message_days", "retention_webhook_days", "retention_failed_event_days")


def whole_days(form: dict[str, Any], name: str) -> int | None:
    raw = str(form.get(name, "")).strip()
    return int(raw) if raw.isdigit() else None


async def save_settings(
    page: MerchantPage, change: store_settings.SettingsChange, what: str
) -> Any:
    """Save a settings form's change as the signed-in person: the saved settings, or an event
    (to the login page) and None with the page's error set to what was wrong."""
    principal = await current_principal(page)
    if principal is None:
        return rx.redirect(routes.LOGIN)
    page.notice = page.error = ""
    try:
        return await asyncio.to_thread(store_settings.update_settings, principal, change)
    except RecetError as exc:
        problems = exc.details if isinstance(exc.details, list) else []
        said = "; ".join(str(p.get("message", "")) for p in problems) or exc.message
        page.error = f"{what} not saved: {said}."
        return None


class RetentionState(MerchantPage, rx.State):
    message_days: int = 400
    webhook_days: int = 30
    failed_event_days: int = 90

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        current = await asyncio.to_thread(store_settings.read_settings, merchant_id)
        self._show(current)

    def _show(self, current: store_settings.StoreSettings) -> None:
        self.message_days = current.retention_message_days
        self.webhook_days = current.retention_webhook_days
        self.failed_event_days = current.retention_failed_event_days

    @rx.event
    async def save(self, form: dict[str, Any]) -> Any:
        messages, webhooks, failed = (whole_days(form, name) for name in FIELDS)
        if messages is None or webhooks is None or failed is None:
            self.notice, self.error = "", "Retention: each period is a whole number of days."
            return None
        change = store_settings.SettingsChange(
            retention_message_days=messages,
            retention_webhook_days=webhooks,
            retention_failed_event_days=failed,
        )
        saved = await save_settings(self, change, "Retention")
        if isinstance(saved, store_settings.StoreSettings):
            self._show(saved)
            self.notice = "Retention saved: the daily sweep applies it."
            return None
        return saved
