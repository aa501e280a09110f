"""index the foreign keys that deletes follow

Deleting a message, an order, a customer or a product makes PostgreSQL find the rows that refer
to it (to cascade or to set them to null); without an index on the referring column that is a
scan of the whole table per deleted row. Measured: the dispatch benchmark's cleanup of 100,000
messages ran for minutes, one scan of `scheduled_messages` per message — and a customer's
erasure (`customers/redact`) deletes their conversations' messages the same way.

Built concurrently, so a large table keeps taking writes while its index is built.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("scheduled_messages", "message_id"),
    ("scheduled_messages", "order_id"),
    ("llm_calls", "message_id"),
    ("domain_events", "order_id"),
    ("domain_events", "customer_id"),
    ("order_items", "product_id"),
)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for table, column in INDEXES:
            op.create_index(
                f"ix_{table}_{column}",
                table,
                [column],
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for table, column in INDEXES:
            op.drop_index(
                f"ix_{table}_{column}", table, postgresql_concurrently=True, if_exists=True
            )
