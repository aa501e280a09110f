"""Apply Alembic migrations (the only way the schema changes)."""

from __future__ import annotations

from functools import lru_cache

from alembic.config import Config

from alembic import command
from recete_app.backend.config import PROJECT_ROOT


def alembic_config() -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return cfg


def upgrade_database(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


@lru_cache(maxsize=1)
def current_head() -> str | None:
    """The code's schema head; the scripts cannot change while the process runs."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
