"""What the agent answers from: the catalogue and its searchable chunks."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field, SQLModel

from recete_app.backend.models.base import (
    JobStatus,
    created_field,
    id_field,
    json_field,
    merchant_field,
    timestamp_field,
)

# pgvector indexes one dimension per index: one partial HNSW index per size in use (the local
# provider's 512, OpenAI text-embedding-3-small's 1536), holding only big merchants' chunks
# (`ann_indexed`, see knowledge/vectors.py); migrations 0006 and 0011 create them.
EMBEDDING_INDEX_DIMENSIONS = (512, 1536)


# The sections a product's knowledge is kept in (product_sections.section), in reading order.
SECTIONS = ("description", "how_to_use", "ingredients", "warnings", "faq", "variants")


class Product(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "source", "external_id", name="uq_products_source_id"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field(indexed=False)
    source: str = Field(default="manual", max_length=32)
    external_id: str | None = Field(default=None, max_length=255)
    title: str = Field(max_length=500)
    url: str | None = None
    description: str = ""
    usage: str = ""
    ingredients: str = ""
    warnings: str = ""
    faq: list[dict[str, Any]] = json_field(list)
    price: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    currency: str | None = Field(default=None, max_length=3)
    created_at: datetime = created_field()
    updated_at: datetime | None = timestamp_field()
    last_scraped_at: datetime | None = timestamp_field()
    scrape_error: str | None = None


class ProductSection(SQLModel, table=True):
    """One section of a product in one language, by origin: what the store sent, what a scrape
    found, or what the merchant wrote. A merchant's text wins over the others."""

    __tablename__ = "product_sections"
    __table_args__ = (
        sa.UniqueConstraint(
            "product_id", "section", "language", "origin", name="uq_product_sections_key"
        ),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    product_id: uuid.UUID = Field(foreign_key="products.id", ondelete="CASCADE")
    section: str = Field(max_length=32)
    language: str = Field(default="en", max_length=8)
    origin: str = Field(default="store", max_length=16)
    body: str = ""
    updated_at: datetime = created_field()


class KnowledgeChunk(SQLModel, table=True):
    """A searchable piece of product knowledge. `search_text` is the text folded for matching
    (lower-case, Turkish letters and accents folded); its tsvector is generated in PostgreSQL."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (
        sa.Index("ix_knowledge_chunks_search", "search_vector", postgresql_using="gin"),
        *(
            sa.Index(
                f"ix_knowledge_chunks_embedding_{dims}",
                sa.text(f"(embedding::vector({dims})) vector_cosine_ops"),
                postgresql_using="hnsw",
                postgresql_where=sa.text(f"embedding_dims = {dims} AND ann_indexed"),
            )
            for dims in EMBEDDING_INDEX_DIMENSIONS
        ),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    product_id: uuid.UUID | None = Field(
        default=None, foreign_key="products.id", ondelete="CASCADE", index=True
    )
    section: str = Field(max_length=32)
    language: str = Field(default="en", max_length=8)
    text: str
    search_text: str = ""
    source: str = Field(default="", max_length=500)
    content_hash: str = Field(max_length=64)
    embedding: list[float] | None = Field(default=None, sa_type=Vector())
    embedding_model: str | None = Field(default=None, max_length=100)
    embedding_dims: int | None = None
    ann_indexed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    search_vector: Any = Field(
        default=None,
        sa_column=sa.Column(
            TSVECTOR,
            sa.Computed(
                "to_tsvector(CASE language WHEN 'tr' THEN 'turkish'::regconfig "
                "ELSE 'english'::regconfig END, search_text)",
                persisted=True,
            ),
        ),
    )
    created_at: datetime = created_field()


class ScrapeJob(SQLModel, table=True):
    """URLs a merchant (or the re-scrape schedule) asked to read, and how far reading got.
    `results` has one entry per product page: url, ok, product_id or code and message."""

    __tablename__ = "scrape_jobs"

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    actor: str = Field(default="", max_length=255)
    status: str = Field(default=JobStatus.QUEUED, max_length=20)  # JobStatus
    urls: list[str] = json_field(list)
    pages_found: int = 0
    pages_done: int = 0
    pages_failed: int = 0
    results: list[dict[str, Any]] = json_field(list)
    error: str | None = None
    created_at: datetime = created_field()
    started_at: datetime | None = timestamp_field()
    heartbeat_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()
