"""operations: a read-only view across merchants for the operator's metrics

The metrics an operator alerts on (webhooks waiting, the outbox's backlog and sends in doubt, a
WhatsApp number paused) are counts over every merchant. Row-level security shows a transaction
only its own merchant's rows, so these tables gain a SELECT-only policy for a transaction that
sets `app.operations` (db.LOOKUP_SETTINGS), as the dispatcher's does. The metrics read counts
and ages only, never a row's contents. `job_schedules` keeps each periodic job's interval
beside its last run, so "a periodic job has not run" is judged against the job's own interval.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("scheduled_messages", "external_events", "integrations")


def upgrade() -> None:
    op.add_column("job_schedules", sa.Column("interval_seconds", sa.Integer(), nullable=True))
    for table in TABLES:
        op.execute(
            f"CREATE POLICY operations ON {table} FOR SELECT "
            "USING (current_setting('app.operations', true) = 'on')"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS operations ON {table}")
    op.drop_column("job_schedules", "interval_seconds")
