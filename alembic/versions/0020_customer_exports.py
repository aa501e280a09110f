"""customer_exports: a large customer's export is made by a worker, not inside the request

An export decrypts and gathers a customer's whole history. For a customer with thousands of
messages that is too much work for one HTTP request (or one dashboard click), so such exports
are queued: a worker makes the document, kept encrypted here for a few days to be downloaded.
At most one export per customer is in the making at a time (a partial unique index), so asking
again while it is made returns the same one. Erasing the customer deletes their exports.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("document", sa.String(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_customer_exports_merchant_id", "customer_exports", ["merchant_id"])
    op.create_index("ix_customer_exports_customer_id", "customer_exports", ["customer_id"])
    op.create_index(
        "uq_customer_exports_active",
        "customer_exports",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.execute("ALTER TABLE customer_exports ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE customer_exports FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON customer_exports "
        "USING (merchant_id = recete_current_merchant()) "
        "WITH CHECK (merchant_id = recete_current_merchant())"
    )


def downgrade() -> None:
    op.drop_table("customer_exports")
