"""Long jobs a worker runs with visible progress (order file imports, product page scrapes):
one row per job with a status and a heartbeat. A job whose worker died is simply run again, so
every such job must be idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, or_, select

from recete_app.backend.models import JobStatus

# Statuses (models.JobStatus), by their short names.
QUEUED, RUNNING, DONE, FAILED = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.FAILED,
)
ACTIVE = (QUEUED, RUNNING)
# A queued job nobody started, or a running one whose worker stopped reporting progress.
STALE_AFTER = timedelta(minutes=3)


class ProgressRow(Protocol):
    id: uuid.UUID
    status: str
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None


Job = TypeVar("Job", bound=ProgressRow)


def claim(session: Session, model: type[Job], job_id: uuid.UUID) -> Job | None:
    """Mark the job running for this worker; None when it is finished or another worker has
    it (locked, or reporting progress)."""
    stale = datetime.now(UTC) - STALE_AFTER
    job: Job | None = session.exec(
        select(model)
        .where(
            _column(model, "id") == job_id,
            or_(_column(model, "status") == QUEUED, _went_quiet(model, stale)),
        )
        .with_for_update(skip_locked=True)
    ).first()
    if job is not None:
        job.status = RUNNING
        job.started_at = job.heartbeat_at = datetime.now(UTC)
    return job


def jobs_to_resume(session: Session, model: type[Job]) -> list[uuid.UUID]:
    """Queued jobs nobody started and running ones whose worker went quiet."""
    stale = datetime.now(UTC) - STALE_AFTER
    waiting = (_column(model, "status") == QUEUED) & (_column(model, "created_at") < stale)
    return list(
        session.exec(
            select(_column(model, "id")).where(or_(waiting, _went_quiet(model, stale)))
        ).all()
    )


def _went_quiet(model: type[Job], stale: datetime) -> ColumnElement[bool]:
    """Running, but its worker has not reported progress since `stale`."""
    quiet: ColumnElement[bool] = (_column(model, "status") == RUNNING) & (
        _column(model, "heartbeat_at") < stale
    )
    return quiet


def _column(model: type[Job], name: str) -> Any:
    return col(getattr(model, name))
