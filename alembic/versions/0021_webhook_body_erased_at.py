"""external_events.body_erased_at: when a stored webhook body was blanked

Retention walks each store's rows from where its last sweep stopped, and looks a week further
back for rows that became erasable after the sweep passed them (a webhook handled late). It
skips the bodies already blanked, and a blanked body is ciphertext like any other (encrypted
afresh each time), so the time it was blanked is kept beside it. Bodies blanked before this
revision have none: the next sweep blanks those in its window once more, which is harmless.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: PostgreSQL adds it without rewriting the table.
    op.add_column(
        "external_events",
        sa.Column("body_erased_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("external_events", "body_erased_at")
