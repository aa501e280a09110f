"""Sentry, when SENTRY_DSN is set."""

from __future__ import annotations

from recete_app.backend.config import Settings


def init_sentry(settings: Settings) -> bool:
    if not settings.sentry_dsn:
        return False
    import sentry_sdk

    # Personal data stays out by the SDK's default (no send_default_pii / data_collection).
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.env,
        traces_sample_rate=0.0,
        # Frames' local variables hold SQL parameters and webhook bodies: customers' phones
        # and emails must not leave for an error tracker.
        include_local_variables=False,
        send_default_pii=False,
    )
    return True
