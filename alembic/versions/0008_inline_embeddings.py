"""keep embeddings inline: exact per-merchant search reads each vector with its row

A 512-dim vector (2 KiB) is just over PostgreSQL's TOAST threshold, so by default it is moved
out of line and every exact search read each row twice. STORAGE MAIN keeps it in the row while
the row fits a page (it does, up to 1536 dims). Rows already stored move inline when rewritten
(they are re-embedded on the next indexing of a changed product, or by VACUUM FULL).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE knowledge_chunks ALTER COLUMN embedding SET STORAGE MAIN")


def downgrade() -> None:
    op.execute("ALTER TABLE knowledge_chunks ALTER COLUMN embedding SET STORAGE EXTENDED")
