"""recete_work_state_by_merchant(): the operator's counts per merchant, for small deployments

With RECETE_METRICS_MERCHANT_LABEL on, the work-state metrics carry a `merchant` label (its id),
one series per merchant with work waiting; a deployment of a few stores can then see whose
backlog it is. Off by default: with many merchants the series would multiply. The same pattern
as `recete_work_state()` (migration 0023): counts and ages only, never a row.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op
from recete_app.backend.config import get_settings

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_MERCHANT = """
CREATE FUNCTION recete_work_state_by_merchant() RETURNS TABLE (
    merchant_id uuid, outbox_due bigint, outbox_in_flight bigint, outbox_in_doubt bigint,
    outbox_paused bigint, outbox_oldest_due_seconds double precision, webhooks_pending bigint,
    webhooks_failed bigint, webhooks_oldest_pending_seconds double precision,
    numbers_paused bigint
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp SET app.operations = 'on' AS $$
  WITH outbox AS (
    SELECT merchant_id,
      count(*) FILTER (WHERE status = 'scheduled') AS due,
      count(*) FILTER (WHERE status IN ('queued', 'sending')) AS in_flight,
      count(*) FILTER (WHERE status = 'unknown') AS in_doubt,
      count(*) FILTER (WHERE status = 'paused') AS paused,
      extract(epoch FROM now() - min(due_at) FILTER (WHERE status = 'scheduled')) AS oldest
    FROM scheduled_messages
    WHERE status IN ('queued', 'sending', 'unknown', 'paused')
       OR (status = 'scheduled' AND due_at <= now())
    GROUP BY merchant_id
  ), webhooks AS (
    SELECT merchant_id,
      count(*) FILTER (WHERE status = 'pending') AS pending,
      count(*) FILTER (WHERE status = 'failed') AS failed,
      extract(epoch FROM now() - min(received_at) FILTER (WHERE status = 'pending')) AS oldest
    FROM external_events WHERE status IN ('pending', 'failed')
    GROUP BY merchant_id
  ), numbers AS (
    SELECT merchant_id, count(*) AS paused FROM integrations
    WHERE kind = 'whatsapp' AND status = 'broken' GROUP BY merchant_id
  )
  SELECT coalesce(o.merchant_id, w.merchant_id, n.merchant_id),
    coalesce(o.due, 0), coalesce(o.in_flight, 0), coalesce(o.in_doubt, 0),
    coalesce(o.paused, 0), coalesce(o.oldest, 0)::double precision,
    coalesce(w.pending, 0), coalesce(w.failed, 0), coalesce(w.oldest, 0)::double precision,
    coalesce(n.paused, 0)
  FROM outbox o
  FULL JOIN webhooks w ON w.merchant_id = o.merchant_id
  FULL JOIN numbers n ON n.merchant_id = coalesce(o.merchant_id, w.merchant_id)
$$
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def upgrade() -> None:
    app = get_settings().db_app_role
    op.execute(BY_MERCHANT)
    op.execute("REVOKE ALL ON FUNCTION recete_work_state_by_merchant() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION recete_work_state_by_merchant() TO {_quoted(app)}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS recete_work_state_by_merchant()")
