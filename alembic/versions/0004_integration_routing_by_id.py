"""integration routing by id: WooCommerce webhooks name their integration in the URL

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE POLICY routing_by_id ON integrations FOR SELECT "
        "USING (id::text = nullif(current_setting('app.integration_id', true), ''))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS routing_by_id ON integrations")
