"""operations: the work's state across every merchant, for the operator's metrics

The metrics an operator alerts on (webhooks waiting, the outbox's backlog and sends in doubt, a
WhatsApp number paused) are counts over every merchant, and row-level security shows the
application role only one merchant's rows. `recete_work_state()` returns those counts and ages
(never a row): a SECURITY DEFINER function owned by `<app role>_operations`, a role nobody logs
in as or inherits, which may SELECT the three tables and which a policy for that role alone lets
see every row. The application may only EXECUTE the function.

Two designs were measured or checked and left: a policy for every role keyed on a setting (as the
dispatcher's) added a condition to each of the application's reads of these hot tables; making
the application role a member of the operations role let every tenant transaction see every
merchant's rows through the role's policy (membership inherits it).

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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
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
    app = get_settings().db_app_role
    role, literal = _quoted(f"{app}_operations"), f"{app}_operations".replace("'", "''")
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{literal}') THEN
            CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
          -- Only so that the migrating owner may hand it the function below.
          IF NOT pg_has_role(current_user, '{literal}', 'MEMBER') THEN
            EXECUTE format('GRANT %I TO %I', '{literal}', current_user);
          END IF;
        END $$;
        """
    )
    # Roles outlive databases: no application role may be a member (it would see every row).
    op.execute(f"REVOKE {role} FROM {_quoted(app)}")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    for table in TABLES:
        op.execute(f"GRANT SELECT ON {table} TO {role}")
        op.execute(f"CREATE POLICY operations ON {table} FOR SELECT TO {role} USING (true)")
    op.execute(WORK_STATE)
    op.execute(f"ALTER FUNCTION recete_work_state() OWNER TO {role}")
    op.execute("REVOKE ALL ON FUNCTION recete_work_state() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION recete_work_state() TO {_quoted(app)}")


def downgrade() -> None:
    role = _quoted(f"{get_settings().db_app_role}_operations")
    op.execute("DROP FUNCTION IF EXISTS recete_work_state()")
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS operations ON {table}")
        op.execute(f"REVOKE ALL ON {table} FROM {role}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {role}")
    op.drop_column("job_schedules", "interval_seconds")
