"""Shared test helpers."""

from __future__ import annotations

import sqlalchemy as sa

from recete_app.backend import db


def owner_sql(sql: str, **params: object) -> list[tuple[object, ...]]:
    """Run SQL as the schema owner with row-level security off (superuser test database): to
    arrange fixtures and inspect every tenant's rows."""
    with db.get_engine(owner=True).begin() as conn:
        conn.execute(sa.text("SET LOCAL row_security = off"))
        result = conn.execute(sa.text(sql), params)
        return [tuple(r) for r in result.all()] if result.returns_rows else []
