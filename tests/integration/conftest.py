from __future__ import annotations

from collections.abc import Iterator

import pytest

from recete_app.backend.config import get_settings
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
