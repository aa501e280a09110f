"""drop the single-column indexes another index of the table already leads with

Each of these indexes holds one column that a longer index of the same table starts with
(`customers.merchant_id` and `uq_customers_merchant_phone (merchant_id, phone_index)`, say). The
longer one serves every read the short one did, including the look-ups a cascading delete makes,
while every insert and every update that is not HOT wrote both. A journey message's row is
updated three or four times on its way out, and `scheduled_messages` loses two of its eight
indexes here. tests/integration/test_migrations.py keeps new ones from coming back.

Dropped concurrently: the tables keep taking writes meanwhile.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPEATED = (
    ("analytics_events", "merchant_id"),
    ("conversations", "merchant_id"),
    ("customers", "merchant_id"),
    ("domain_events", "merchant_id"),
    ("journey_steps", "journey_id"),
    ("llm_calls", "merchant_id"),
    ("order_items", "order_id"),
    ("orders", "merchant_id"),
    ("product_sections", "product_id"),
    ("products", "merchant_id"),
    ("scheduled_messages", "customer_id"),
    ("scheduled_messages", "merchant_id"),
)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for table, column in REPEATED:
            op.drop_index(
                f"ix_{table}_{column}", table, postgresql_concurrently=True, if_exists=True
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for table, column in REPEATED:
            op.create_index(
                f"ix_{table}_{column}",
                table,
                [column],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
