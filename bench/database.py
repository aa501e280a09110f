"""The one setup every benchmark shares: a fresh data folder, settings for a quiet run, an
embedded PostgreSQL at the current schema, this process pointed at it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any


def fresh_database(prefix: str, settings: dict[str, str] | None = None) -> tuple[Path, Any, str]:
    """(data folder, embedded server, URL). `settings` adds environment variables for the run;
    they are set before the application reads its settings."""
    data = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "RECETE_DATA_DIR": str(data),
            "RECETE_SECRET_KEY": "bench-" + "s" * 40,
            "RECETE_LOG_LEVEL": "WARNING",
            **(settings or {}),
        }
    )
    from recete_app.backend import db
    from recete_app.backend.embedded_db import start_embedded_postgres
    from recete_app.backend.migrations import upgrade_database

    server, url = start_embedded_postgres(data / "pg")
    db.use_database_url(url)
    upgrade_database()
    return data, server, url
