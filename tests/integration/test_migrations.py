from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from recete_app.backend import db
from recete_app.backend.embedded_db import drop_database, ensure_database
from recete_app.backend.migrations import current_head, upgrade_database
from recete_app.backend.models import metadata


def test_schema_is_at_head_with_pgvector_and_every_table(database_url: str) -> None:
    with db.get_engine(owner=True).connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        extension = conn.execute(
            sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        ).scalar()
        tables = set(
            conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        embedding_type = conn.execute(
            sa.text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'knowledge_chunks'::regclass AND attname = 'embedding'"
            )
        ).scalar()
    assert version == current_head()
    assert extension is not None
    assert set(metadata.tables) <= tables
    assert embedding_type == "vector"


def test_migrations_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    from alembic import command
    from recete_app.backend.migrations import alembic_config

    base = make_url(database_url)
    admin = base.set(database="postgres").render_as_string(hide_password=False)
    name = f"{base.database}_roundtrip"
    ensure_database(admin, name)
    try:
        db.use_database_url(base.set(database=name).render_as_string(hide_password=False))
        upgrade_database()
        command.downgrade(alembic_config(), "base")
        with db.get_engine(owner=True).connect() as conn:
            left = set(
                conn.execute(
                    sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).scalars()
            )
        assert left == {"alembic_version"}
        upgrade_database()
    finally:
        db.use_database_url(database_url)
        drop_database(admin, name)


def test_models_and_migrations_describe_the_same_schema(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.get_engine(owner=True).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
