from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from recete_app.backend import db
from recete_app.backend.config import get_settings
from recete_app.backend.embedded_db import drop_database, ensure_database
from recete_app.backend.messaging.channels import forget_graph_client
from tests.conftest import empty_tables
from tests.fakes.graph_api import FakeGraphApi


@pytest.fixture(scope="package", autouse=True)
def _start_empty(database_url: str) -> str:
    """The browser tests share the session's database and leave their accounts behind."""
    empty_tables()
    return database_url


@pytest.fixture(autouse=True)
def _empty_tables(clean_db: str) -> str:
    return clean_db


@pytest.fixture()
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraphApi]:
    """A local server answering like the Graph API, with the settings pointing at it."""
    with FakeGraphApi() as fake:
        monkeypatch.setenv("RECETE_WHATSAPP_GRAPH_URL", fake.url)
        get_settings.cache_clear()
        forget_graph_client()
        yield fake
    forget_graph_client()
    get_settings.cache_clear()


@pytest.fixture()
def unmigrated_database(database_url: str) -> Iterator[str]:
    """A second, empty database (no migration has touched it) in use for the test's duration;
    dropped afterwards, and the session's database in use again."""
    base = make_url(database_url)
    admin = base.set(database="postgres").render_as_string(hide_password=False)
    name = f"{base.database}_scratch"
    ensure_database(admin, name)
    db.use_database_url(base.set(database=name).render_as_string(hide_password=False))
    try:
        yield name
    finally:
        db.use_database_url(database_url)
        drop_database(admin, name)
