"""analytics: the queue of journey facts, their daily rollup, tracked links, message pricing

`analytics_events` (created in 0001, never written until now) becomes the analytics queue:
one row per fact about a journey send (sent, delivered, read, failed, priced, replied,
clicked, opted out, attributed), keyed by send and fact, with the send's time as the day it
counts on.
`journey_days` holds the daily rollup per journey step. `tracked_links` are the journey links
sent as `/r/{token}`; a click finds its link through the `link_lookup` policy, which shows a row
only to a transaction that already knows its token (as `key_lookup` does for API keys).
Messages keep WhatsApp's pricing from their status reports.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("journey_days", "tracked_links")


def upgrade() -> None:
    _events()
    op.create_table(
        "journey_days",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                *("sent", "delivered", "read", "replied", "clicked"),
                *("failed", "opted_out", "billable"),
            )
        ),
        sa.Column("cost_estimate", sa.Numeric(14, 6), nullable=False),
        sa.Column("failures", postgresql.JSONB(), nullable=False),
        sa.Column("attributed_orders", sa.Integer(), nullable=False),
        sa.Column("attributed_revenue", postgresql.JSONB(), nullable=False),
        sa.Column(
            "rolled_up_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("merchant_id", "day", "step"),
    )
    op.create_table(
        "tracked_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=False),
        sa.Column("subject_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("first_clicked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_clicked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token", name="uq_tracked_links_token"),
        sa.UniqueConstraint("subject_id", "target", name="uq_tracked_links_subject_target"),
    )
    op.create_index("ix_tracked_links_merchant_id", "tracked_links", ["merchant_id"])
    for table in NEW_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (merchant_id = recete_current_merchant()) "
            "WITH CHECK (merchant_id = recete_current_merchant())"
        )
    op.execute(
        "CREATE POLICY link_lookup ON tracked_links FOR SELECT "
        "USING (token = nullif(current_setting('app.link_token', true), ''))"
    )
    for column in (
        sa.Column("billable", sa.Boolean(), nullable=True),
        sa.Column("pricing_category", sa.String(40), nullable=True),
        sa.Column("pricing_type", sa.String(40), nullable=True),
        sa.Column("calling_code", sa.String(4), nullable=True),
    ):
        op.add_column("messages", column)


def _events() -> None:
    """The table was never written: reshaped in place (its policy stays)."""
    op.drop_index("ix_analytics_events_name_time", table_name="analytics_events")
    op.execute("DELETE FROM analytics_events")
    op.alter_column("analytics_events", "name", type_=sa.String(length=20))
    op.add_column("analytics_events", sa.Column("subject_id", sa.Uuid(), nullable=False))
    op.add_column("analytics_events", sa.Column("step", sa.String(length=80), nullable=False))
    op.add_column(
        "analytics_events",
        sa.Column("subject_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column(
        "analytics_events",
        sa.Column("rolled_up_at", sa.DateTime(timezone=True), nullable=True),
    )
    # A fact happens once per send: (send, fact) is the key; the surrogate id goes (one index
    # less to write for every message sent).
    op.drop_constraint("analytics_events_pkey", "analytics_events")
    op.drop_column("analytics_events", "id")
    op.create_primary_key("analytics_events_pkey", "analytics_events", ["subject_id", "name"])
    op.create_index(
        "ix_analytics_events_subject_time", "analytics_events", ["merchant_id", "subject_at"]
    )
    op.create_index(
        "ix_analytics_events_agent",
        "analytics_events",
        ["merchant_id", "subject_at"],
        postgresql_where=sa.text("step = 'agent'"),
    )
    op.create_index(
        "ix_analytics_events_pending",
        "analytics_events",
        ["merchant_id", "subject_at"],
        postgresql_where=sa.text("rolled_up_at IS NULL"),
    )


def downgrade() -> None:
    for column in ("calling_code", "pricing_type", "pricing_category", "billable"):
        op.drop_column("messages", column)
    op.drop_table("tracked_links")
    op.drop_table("journey_days")
    op.drop_index("ix_analytics_events_pending", table_name="analytics_events")
    op.drop_index("ix_analytics_events_agent", table_name="analytics_events")
    op.drop_index("ix_analytics_events_subject_time", table_name="analytics_events")
    op.execute("DELETE FROM analytics_events")
    op.drop_constraint("analytics_events_pkey", "analytics_events")
    op.add_column("analytics_events", sa.Column("id", sa.Uuid(), nullable=False))
    op.create_primary_key("analytics_events_pkey", "analytics_events", ["id"])
    for column in ("rolled_up_at", "subject_at", "step", "subject_id"):
        op.drop_column("analytics_events", column)
    op.alter_column("analytics_events", "name", type_=sa.String(length=100))
    op.create_index(
        "ix_analytics_events_name_time", "analytics_events", ["merchant_id", "name", "occurred_at"]
    )
