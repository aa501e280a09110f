from __future__ import annotations

import pytest

from tests.conftest import empty_tables


@pytest.fixture(scope="package", autouse=True)
def _start_empty(database_url: str) -> str:
    """The browser tests share the session's database and leave their accounts behind."""
    empty_tables()
    return database_url


@pytest.fixture(autouse=True)
def _empty_tables(clean_db: str) -> str:
    return clean_db
