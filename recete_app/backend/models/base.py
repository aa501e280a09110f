"""Column conventions shared by every table, and the status vocabulary of the job tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field


class JobStatus(StrEnum):
    """A long job's (scrape_jobs, order_imports; see `background_jobs`): queued -> running ->
    done | failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def utc_now() -> datetime:
    return datetime.now(UTC)


def id_field() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def merchant_field(*, indexed: bool = True) -> Any:
    """The tenant key: every tenant row has it, row-level security filters on it. Not indexed on
    its own where another index of the table leads with it (that one serves the same reads, and
    each index costs every write)."""
    return Field(foreign_key="merchants.id", ondelete="CASCADE", index=indexed)


def created_field() -> Any:
    return Field(
        default_factory=utc_now,
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.func.now(), "nullable": False},
    )


def timestamp_field(*, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_type=sa.DateTime(timezone=True),
        index=index,
    )


def json_field(default: Any = dict) -> Any:
    return Field(
        default_factory=default,
        sa_type=JSONB,
        sa_column_kwargs={"nullable": False},
    )
