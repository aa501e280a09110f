"""Reflex configuration; database and Redis URLs come from the backend settings."""

import reflex as rx

from recete_app.backend.config import get_settings

settings = get_settings()

config = rx.Config(
    app_name="recete_app",
    db_url=settings.database_url,
    redis_url=settings.redis_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="teal", radius="medium"))],
)
