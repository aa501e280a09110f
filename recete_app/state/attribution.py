"""Settings → Attribution: how long after a read, or a click, an order counts as brought by a
journey message; read and changed through the store settings service (the same as PATCH
/api/merchants/me)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from recete_app.backend.services import store_settings
from recete_app.state.retention import save_settings, whole_days
from recete_app.state.session import MerchantPage


class AttributionState(MerchantPage, rx.State):
    read_days: int = 1
    click_days: int = 5

    async def _reread(self, merchant_id: uuid.UUID) -> None:
        self._show(await asyncio.to_thread(store_settings.read_settings, merchant_id))

    def _show(self, current: store_settings.StoreSettings) -> None:
        self.read_days = current.attribution_read_days
        self.click_days = current.attribution_click_days

    @rx.event
    async def save(self, form: dict[str, Any]) -> Any:
        read, click = (
            whole_days(form, "attribution_read_days"),
            whole_days(form, "attribution_click_days"),
        )
        if read is None or click is None:
            self.notice, self.error = "", "Attribution: each window is a whole number of days."
            return None
        change = store_settings.SettingsChange(
            attribution_read_days=read, attribution_click_days=click
        )
        saved = await save_settings(self, change, "Attribution")
        if isinstance(saved, store_settings.StoreSettings):
            self._show(saved)
            self.notice = "Attribution saved: orders from now on use these windows."
            return None
        return saved
