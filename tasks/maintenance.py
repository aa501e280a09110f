"""Housekeeping actors."""

from __future__ import annotations

import logging

import dramatiq

from recete_app.backend import idempotency
from recete_app.backend.accounts.api_keys import expire_keys_for_all_merchants
from recete_app.backend.services import retention

log = logging.getLogger(__name__)


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def expire_api_keys() -> None:
    """Close API keys past their expiry, in every merchant, and audit each."""
    expired = expire_keys_for_all_merchants()
    log.info("expired %d API key(s)", expired)


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def forget_idempotency_keys() -> None:
    """Delete Idempotency-Key records past their 30 days, in every merchant."""
    forgotten = idempotency.forget_old_keys_of_all_merchants()
    log.info("forgot %d idempotency key(s)", forgotten)


@dramatiq.actor(queue_name="maintenance", max_retries=3, time_limit=6 * 3600 * 1000)
def apply_retention() -> None:
    """Blank message and webhook bodies past each store's retention, in batches."""
    blanked = retention.apply_retention_everywhere()
    log.info("retention blanked %d bodies", blanked)
