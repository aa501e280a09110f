"""the HNSW indexes hold only big merchants' chunks (`ann_indexed`)

Merchants up to 20,000 chunks are searched exactly (knowledge/vectors.py), so keeping their
chunks in the HNSW index only cost inserts: ~80% of indexing's SQL time in a table of 100,000
chunks. Chunks of merchants already past the limit are flagged here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = (512, 1536)
EXACT_UP_TO = 20_000  # knowledge/vectors.py as of this revision


def upgrade() -> None:
    op.add_column(
        "knowledge_chunks",
        sa.Column("ann_indexed", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(
        "UPDATE knowledge_chunks SET ann_indexed = true WHERE merchant_id IN ("
        "SELECT merchant_id FROM knowledge_chunks GROUP BY merchant_id, embedding_model "
        f"HAVING count(*) > {EXACT_UP_TO})"
    )
    _hnsw_indexes("embedding_dims = {dims} AND ann_indexed")


def downgrade() -> None:
    _hnsw_indexes("embedding_dims = {dims}")
    op.drop_column("knowledge_chunks", "ann_indexed")


def _hnsw_indexes(predicate: str) -> None:
    for dims in DIMENSIONS:
        op.execute(f"DROP INDEX IF EXISTS ix_knowledge_chunks_embedding_{dims}")
        op.execute(
            f"CREATE INDEX ix_knowledge_chunks_embedding_{dims} ON knowledge_chunks "
            f"USING hnsw ((embedding::vector({dims})) vector_cosine_ops) "
            f"WHERE {predicate.format(dims=dims)}"
        )
