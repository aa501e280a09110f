"""operations: the work's state across every merchant, for the operator's metrics

The metrics an operator alerts on (webhooks waiting, the outbox's backlog and sends in doubt, a
WhatsApp number paused) are counts over every merchant, and row-level security shows the
application role only one merchant's rows. `recete_work_state()` returns those counts and ages
(never a row). It is a SECURITY DEFINER function owned by the schema owner (the migrating
login), which row-level security binds too (FORCE); a SELECT policy for the owner alone lets it
see every row while `app.operations` is on, and only the function turns that on, for its own
call. The application may only EXECUTE the function; its own reads gain no policy.

Designs checked and left: a policy for every role keyed on that setting added a condition to
each of the application's reads of these hot tables (measured: bench/RESULTS.md); a role of its
own, owning the function, needs CREATE on the schema and a member owner, which a non-superuser
owner on PostgreSQL 16 does not get by creating it, and made any member see every row.

`job_schedules` keeps each periodic job's interval beside its last run, so "a periodic job has
not run" is judged against the job's own interval.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from recete_app.backend.config import get_settings

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("scheduled_messages", "external_events", "integrations")
WORK_STATE = """
CREATE FUNCTION recete_work_state() RETURNS TABLE (
    outbox_due bigint, outbox_in_flight bigint, outbox_in_doubt bigint, outbox_paused bigint,
    outbox_oldest_due_seconds double precision, webhooks_pending bigint, webhooks_failed bigint,
    webhooks_oldest_pending_seconds double precision, numbers_paused bigint
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp SET app.operations = 'on' AS $$
  SELECT
    (SELECT count(*) FROM scheduled_messages WHERE status = 'scheduled' AND due_at <= now()),
    (SELECT count(*) FROM scheduled_messages WHERE status IN ('queued', 'sending')),
    (SELECT count(*) FROM scheduled_messages WHERE status = 'unknown'),
    (SELECT count(*) FROM scheduled_messages WHERE status = 'paused'),
    (SELECT extract(epoch FROM now() - min(due_at))::double precision FROM scheduled_messages
      WHERE status = 'scheduled' AND due_at <= now()),
    (SELECT count(*) FROM external_events WHERE status = 'pending'),
    (SELECT count(*) FROM external_events WHERE status = 'failed'),
    (SELECT extract(epoch FROM now() - min(received_at))::double precision FROM external_events
      WHERE status = 'pending'),
    (SELECT count(*) FROM integrations WHERE kind = 'whatsapp' AND status = 'broken')
$$
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def upgrade() -> None:
    op.add_column("job_schedules", sa.Column("interval_seconds", sa.Integer(), nullable=True))
    for table in TABLES:
        op.execute(
            f"CREATE POLICY operations ON {table} FOR SELECT TO CURRENT_USER"
            " USING (current_setting('app.operations', true) = 'on')"
        )
    op.execute(WORK_STATE)
    op.execute("REVOKE ALL ON FUNCTION recete_work_state() FROM PUBLIC")
    op.execute(
        f"GRANT EXECUTE ON FUNCTION recete_work_state() TO {_quoted(get_settings().db_app_role)}"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS recete_work_state()")
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS operations ON {table}")
    op.drop_column("job_schedules", "interval_seconds")
