"""messages by merchant and time: the daily retention job finds the bodies past their time

Retention (message bodies kept 400 days by default, a setting per store) walks each store's
messages older than its cutoff. Without this index that walk reads every message of the store.
It leads with the store, so it also serves what the index on the store alone did, which goes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_merchant_time", "messages", ["merchant_id", "created_at"])
    op.drop_index("ix_messages_merchant_id", table_name="messages")


def downgrade() -> None:
    op.create_index("ix_messages_merchant_id", "messages", ["merchant_id"])
    op.drop_index("ix_messages_merchant_time", table_name="messages")
