"""journeys and durable dispatch: journey steps, the send state machine, system-job lookups

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")


def _tenant_table(table: str) -> None:
    op.create_index(f"ix_{table}_merchant_id", table, ["merchant_id"])
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        "USING (merchant_id = recete_current_merchant()) "
        "WITH CHECK (merchant_id = recete_current_merchant())"
    )


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("window_start", sa.Time(), nullable=False),
        sa.Column("window_end", sa.Time(), nullable=False),
        sa.Column("max_order_age_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("merchant_id", name="uq_journeys_merchant"),
    )
    _tenant_table("journeys")
    op.create_table(
        "journey_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("journey_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("templates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("link", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "position", name="uq_journey_steps_position"),
    )
    op.create_index("ix_journey_steps_journey_id", "journey_steps", ["journey_id"])
    _tenant_table("journey_steps")

    op.add_column("scheduled_messages", sa.Column("step_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "scheduled_messages_step_id_fkey",
        "scheduled_messages",
        "journey_steps",
        ["step_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column(
        "scheduled_messages",
        sa.Column("claims", sa.Integer(), server_default="0", nullable=False),
    )
    op.alter_column("scheduled_messages", "claims", server_default=None)
    for column in ("request_started_at", "sent_at"):
        op.add_column(
            "scheduled_messages", sa.Column(column, sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index(
        "ix_scheduled_messages_customer_due", "scheduled_messages", ["customer_id", "due_at"]
    )

    op.add_column(
        "messages", sa.Column("kind", sa.String(length=20), server_default="text", nullable=False)
    )
    op.alter_column("messages", "kind", server_default=None)
    op.add_column(
        "messages",
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )
    op.alter_column("messages", "details", server_default=None)

    # System jobs (the dispatcher, the sweeper, the journey planner) work across merchants:
    # they may see these two tables, and nothing else, when they say so for one transaction.
    op.execute(
        "CREATE POLICY dispatcher ON scheduled_messages "
        "USING (current_setting('app.dispatcher', true) = 'on') "
        "WITH CHECK (current_setting('app.dispatcher', true) = 'on')"
    )
    op.execute(
        "CREATE POLICY dispatcher ON domain_events FOR SELECT "
        "USING (current_setting('app.dispatcher', true) = 'on')"
    )
    op.create_index(
        "ix_domain_events_unhandled",
        "domain_events",
        ["merchant_id"],
        postgresql_where=sa.text("handled_at IS NULL"),
    )
    # GET /webhooks/whatsapp names no number: the verify token (its blind index) finds it.
    op.execute(
        "CREATE POLICY verify_token_lookup ON integrations FOR SELECT "
        "USING (kind = 'whatsapp' AND settings->>'verify_token_index' = "
        "nullif(current_setting('app.verify_token_index', true), ''))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS verify_token_lookup ON integrations")
    op.drop_index("ix_domain_events_unhandled", table_name="domain_events")
    op.execute("DROP POLICY IF EXISTS dispatcher ON domain_events")
    op.execute("DROP POLICY IF EXISTS dispatcher ON scheduled_messages")
    op.drop_column("messages", "details")
    op.drop_column("messages", "kind")
    op.drop_index("ix_scheduled_messages_customer_due", table_name="scheduled_messages")
    op.drop_constraint("scheduled_messages_step_id_fkey", "scheduled_messages", type_="foreignkey")
    for column in ("sent_at", "request_started_at", "claims", "step_id"):
        op.drop_column("scheduled_messages", column)
    op.drop_table("journey_steps")
    op.drop_table("journeys")
