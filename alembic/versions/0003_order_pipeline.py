"""order pipeline: out-of-order protection, item upserts, domain events, integration routing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("cancel_reason", sa.String(length=100), nullable=True))
    op.add_column("orders", sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "orders", sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "order_items",
        sa.Column("requires_shipping", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_unique_constraint(
        "uq_order_items_order_external", "order_items", ["order_id", "external_id"]
    )
    op.add_column("customers", sa.Column("source", sa.String(length=32), nullable=True))
    op.create_index("ix_customers_external", "customers", ["merchant_id", "source", "external_id"])
    op.create_table(
        "domain_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_domain_events_merchant_id", "domain_events", ["merchant_id"])
    op.create_index("ix_domain_events_pending", "domain_events", ["merchant_id", "handled_at"])
    op.execute("ALTER TABLE domain_events ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE domain_events FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON domain_events "
        "USING (merchant_id = recete_current_merchant()) "
        "WITH CHECK (merchant_id = recete_current_merchant())"
    )
    # A webhook names its store (a Shopify shop domain, a WooCommerce integration id): the
    # receiver may find that one integration before it knows the merchant.
    op.execute(
        "CREATE POLICY routing_lookup ON integrations FOR SELECT "
        "USING (kind || ':' || external_id = nullif(current_setting('app.integration_key', true), ''))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS routing_lookup ON integrations")
    op.drop_table("domain_events")
    op.drop_index("ix_customers_external", table_name="customers")
    op.drop_column("customers", "source")
    op.drop_constraint("uq_order_items_order_external", "order_items", type_="unique")
    op.drop_column("order_items", "requires_shipping")
    op.drop_column("orders", "source_updated_at")
    op.drop_column("orders", "refunded_at")
    op.drop_column("orders", "cancel_reason")
