from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _empty_tables(clean_db: str) -> str:
    return clean_db
