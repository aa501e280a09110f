"""Housekeeping actors."""

from __future__ import annotations

import logging

import dramatiq

from recete_app.backend.accounts.api_keys import expire_keys_for_all_merchants

log = logging.getLogger(__name__)


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def expire_api_keys() -> None:
    """Close API keys past their expiry, in every merchant, and audit each."""
    expired = expire_keys_for_all_merchants()
    log.info("expired %d API key(s)", expired)
