"""knowledge search: product sections per language and origin, chunk language, folded search
text with a generated tsvector, and HNSW indexes per embedding dimension

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One HNSW index per embedding size in use: the local provider's 512 and OpenAI's
# text-embedding-3-small 1536 (pgvector indexes one dimension; the column holds any).
DIMENSIONS = (512, 1536)


def upgrade() -> None:
    op.create_table(
        "product_sections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "product_id", "section", "language", "origin", name="uq_product_sections_key"
        ),
    )
    op.create_index("ix_product_sections_merchant_id", "product_sections", ["merchant_id"])
    op.create_index("ix_product_sections_product_id", "product_sections", ["product_id"])
    op.execute("ALTER TABLE product_sections ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE product_sections FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON product_sections "
        "USING (merchant_id = recete_current_merchant()) "
        "WITH CHECK (merchant_id = recete_current_merchant())"
    )
    op.add_column(
        "knowledge_chunks",
        sa.Column("language", sa.String(length=8), server_default="en", nullable=False),
    )
    op.add_column(
        "knowledge_chunks",
        sa.Column("search_text", sa.String(), server_default="", nullable=False),
    )
    op.add_column("knowledge_chunks", sa.Column("embedding_dims", sa.Integer(), nullable=True))
    op.execute(
        "ALTER TABLE knowledge_chunks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        "to_tsvector(CASE language WHEN 'tr' THEN 'turkish'::regconfig "
        "ELSE 'english'::regconfig END, search_text)) STORED"
    )
    op.execute(
        "CREATE INDEX ix_knowledge_chunks_search ON knowledge_chunks USING gin (search_vector)"
    )
    for dims in DIMENSIONS:
        op.execute(
            f"CREATE INDEX ix_knowledge_chunks_embedding_{dims} ON knowledge_chunks "
            f"USING hnsw ((embedding::vector({dims})) vector_cosine_ops) "
            f"WHERE embedding_dims = {dims}"
        )


def downgrade() -> None:
    for dims in DIMENSIONS:
        op.execute(f"DROP INDEX IF EXISTS ix_knowledge_chunks_embedding_{dims}")
    op.execute("DROP INDEX IF EXISTS ix_knowledge_chunks_search")
    op.drop_column("knowledge_chunks", "search_vector")
    op.drop_column("knowledge_chunks", "embedding_dims")
    op.drop_column("knowledge_chunks", "search_text")
    op.drop_column("knowledge_chunks", "language")
    op.drop_table("product_sections")
