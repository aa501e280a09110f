"""Test set-up: a fresh PostgreSQL database per run (embedded server unless
RECETE_TEST_DATABASE_URL is set), migrated with Alembic, never `create_all`."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_DATA = Path(tempfile.mkdtemp(prefix="recete-test-data-"))
# Settings are read once per process: fix them before anything imports the app.
os.environ["RECETE_DATA_DIR"] = str(_DATA)
os.environ["RECETE_SECRET_KEY"] = "test-root-secret-" + "k" * 40
os.environ.pop("RECETE_PREVIOUS_SECRET_KEYS", None)
os.environ.pop("RECETE_REDIS_URL", None)
os.environ.pop("RECETE_DATABASE_URL", None)
os.environ.setdefault("RECETE_LOG_LEVEL", "WARNING")

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from recete_app.backend import db  # noqa: E402
from recete_app.backend.embedded_db import (  # noqa: E402
    drop_database,
    ensure_database,
    start_embedded_postgres,
)
from recete_app.backend.migrations import upgrade_database  # noqa: E402


def _admin_url() -> tuple[str, object]:
    configured = os.environ.get("RECETE_TEST_DATABASE_URL")
    if configured:
        return configured, None
    server, url = start_embedded_postgres(ROOT / "data" / "pg-test", database="postgres")
    return url, server


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    admin_url, server = _admin_url()
    name = f"recete_test_{uuid.uuid4().hex[:10]}"
    ensure_database(admin_url, name)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    db.use_database_url(url)
    upgrade_database()
    yield url
    db.use_database_url(admin_url)
    drop_database(admin_url, name)
    del server  # the embedded server stops when this process exits


@pytest.fixture()
def clean_db(database_url: str) -> Iterator[str]:
    """Each test starts from empty tables (TRUNCATE as the owner; RLS does not apply to it)."""
    yield database_url
    empty_tables()


def empty_tables() -> None:
    engine = db.get_engine(owner=True)
    with engine.begin() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Budgets and webhook routes are cached per process; each test starts without them."""
    from recete_app.backend.intake.routing import forget_routes
    from recete_app.backend.security.rate_limits import shared_rate_limiter

    shared_rate_limiter.cache_clear()
    forget_routes()
    yield
    shared_rate_limiter.cache_clear()
    forget_routes()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (RECETE_REQUIRE_ALL_TESTS=1) a skipped test is a failure: nothing may be skipped."""
    if os.environ.get("RECETE_REQUIRE_ALL_TESTS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        print(f"\nRECETE_REQUIRE_ALL_TESTS=1 but {len(skipped)} test(s) were skipped.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
