"""Claims for periodic jobs (see tasks/periodic.py)."""

from __future__ import annotations

import sqlalchemy as sa

from recete_app.backend.db import session_scope

_CLAIM = sa.text(
    """
    INSERT INTO job_schedules (name, last_run_at, interval_seconds)
    VALUES (:name, now(), :seconds)
    ON CONFLICT (name) DO UPDATE SET last_run_at = now(), interval_seconds = :seconds
    WHERE job_schedules.last_run_at IS NULL
       OR job_schedules.last_run_at <= now() - make_interval(secs => :interval)
    RETURNING name
    """
)


def claim_due_job(name: str, interval_seconds: int) -> bool:
    """True for exactly one caller per interval."""
    with session_scope() as session:
        row = session.execute(
            _CLAIM, {"name": name, "interval": interval_seconds, "seconds": interval_seconds}
        ).first()
    return row is not None
