"""Reflex configuration; database and Redis URLs and the CORS origins come from the backend
settings."""

import os

import reflex as rx

from recete_app.backend.config import DEV_PORTS, get_settings

settings = get_settings()
# `reflex run` hands the ports it serves on to its backend process in these variables.
ports = (
    int(os.environ.get("REFLEX_FRONTEND_PORT") or DEV_PORTS[0]),
    int(os.environ.get("REFLEX_BACKEND_PORT") or DEV_PORTS[1]),
)

config = rx.Config(
    app_name="recete_app",
    db_url=settings.database_url,
    redis_url=settings.redis_url,
    # Reflex applies these to the API (its CORS middleware) and to the dashboard's socket;
    # its default "*" echoed any Origin, `null` included, with credentials allowed.
    cors_allowed_origins=settings.allowed_origins(ports),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="teal", radius="medium"))],
)
