"""What the agent answers from: the catalogue and its searchable chunks."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlmodel import Field, SQLModel

from recete_app.backend.models.base import (
    created_field,
    id_field,
    json_field,
    merchant_field,
    timestamp_field,
)


class Product(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "source", "external_id", name="uq_products_source_id"),
    )

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
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


class KnowledgeChunk(SQLModel, table=True):
    __tablename__ = "knowledge_chunks"

    id: uuid.UUID = id_field()
    merchant_id: uuid.UUID = merchant_field()
    product_id: uuid.UUID | None = Field(
        default=None, foreign_key="products.id", ondelete="CASCADE", index=True
    )
    section: str = Field(max_length=32)
    text: str
    source: str = Field(default="", max_length=500)
    content_hash: str = Field(max_length=64)
    embedding: list[float] | None = Field(default=None, sa_type=Vector())
    embedding_model: str | None = Field(default=None, max_length=100)
    created_at: datetime = created_field()
