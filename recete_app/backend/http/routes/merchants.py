"""/api/merchants/me: the store's settings (name, timezone, language, typical transit days, the
sending window), read and changed as one object."""

from __future__ import annotations

from datetime import time

from fastapi import APIRouter
from pydantic import BaseModel, Field

from recete_app.backend.http.auth import AdminCaller
from recete_app.backend.services import store_settings

router = APIRouter(prefix="/api/merchants", tags=["merchants"])
Caller = AdminCaller


class StoreSettingsView(BaseModel):
    name: str
    timezone: str  # IANA, e.g. Europe/Istanbul: the days journeys and analytics count in
    language: str  # the default for customers whose language is not known
    transit_days: int  # delivery = fulfilment + this, for stores that never report one
    window_start: str  # HH:MM, the store's time: journey messages go out from ...
    window_end: str  # ... until (exclusive)
    retention_message_days: int  # message bodies are blanked after this many days (400)
    retention_webhook_days: int  # handled webhooks' raw bodies (30)
    retention_failed_event_days: int  # webhooks that never could be handled (90)
    attribution_read_days: int  # an order within this many days of a read is attributed (1)
    attribution_click_days: int  # ... or of a click on the message's link (5)


class SettingsPatch(BaseModel):
    """Only the fields sent change."""

    name: str | None = Field(default=None, max_length=200, examples=["Glow Skin"])
    timezone: str | None = Field(default=None, max_length=64, examples=["Europe/Istanbul"])
    language: str | None = Field(default=None, max_length=8, examples=["tr"])
    transit_days: int | None = Field(default=None, examples=[3])
    window_start: time | None = Field(default=None, examples=["09:00"])
    window_end: time | None = Field(default=None, examples=["20:00"])
    retention_message_days: int | None = Field(default=None, ge=1, le=3650, examples=[400])
    retention_webhook_days: int | None = Field(default=None, ge=1, le=3650, examples=[30])
    retention_failed_event_days: int | None = Field(default=None, ge=1, le=3650, examples=[90])
    attribution_read_days: int | None = Field(default=None, ge=1, le=30, examples=[1])
    attribution_click_days: int | None = Field(default=None, ge=1, le=30, examples=[5])


def _view(current: store_settings.StoreSettings) -> StoreSettingsView:
    return StoreSettingsView(
        name=current.name,
        timezone=current.timezone,
        language=current.language,
        transit_days=current.transit_days,
        window_start=current.window_start.strftime("%H:%M"),
        window_end=current.window_end.strftime("%H:%M"),
        retention_message_days=current.retention_message_days,
        retention_webhook_days=current.retention_webhook_days,
        retention_failed_event_days=current.retention_failed_event_days,
        attribution_read_days=current.attribution_read_days,
        attribution_click_days=current.attribution_click_days,
    )


@router.get("/me")
def read_settings(caller: Caller) -> StoreSettingsView:
    """The store's settings."""
    return _view(store_settings.read_settings(caller.merchant_id))


@router.patch("/me")
def update_settings(caller: Caller, body: SettingsPatch) -> StoreSettingsView:
    """Change some of the store's settings; 422 names every bad field and changes nothing."""
    change = store_settings.SettingsChange(**body.model_dump(exclude_none=True))
    return _view(store_settings.update_settings(caller, change))
