"""Engine, session scope and tenant scope.

Two engines share one URL: the *owner* engine runs migrations and maintenance; the *app* engine
switches every connection to the non-owner application role (`SET ROLE`), so row-level security
binds everything the application does. The tenant is set per transaction with
`set_config('app.merchant_id', ..., true)`, never per session: pooled connections are reused
across merchants, and a transaction-local setting cannot leak from one to the next.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from recete_app.backend.config import Settings, get_settings
from recete_app.backend.db_telemetry import (
    TRANSACTION_SECONDS,
    TimedQueuePool,
    count_connections,
    use_case,
)

log = logging.getLogger(__name__)

# Cross-tenant look-ups (a login by email, an API key by hash) are allowed by narrow RLS
# policies that show a row only to a transaction that already knows its key.
LOOKUP_SETTINGS = frozenset(
    {
        "login_email",
        "api_key_hash",
        "link_token",
        "tenant_directory",
        "integration_key",
        "integration_id",
        "dispatcher",
        "verify_token_index",
    }
)

_lock = threading.Lock()
_url: str | None = None
_embedded_server: Any = None
_engines: dict[tuple[str, bool], sa.Engine] = {}
DEFAULT_POOL_SIZE = 5
_reserved = 0  # connections this process's worker threads need at once


def database_url(settings: Settings | None = None) -> str:
    """The configured URL, or the embedded server's (started on first use)."""
    global _url, _embedded_server
    if _url is not None:
        return _url  # the hot path: every session asks; no lock once known
    with _lock:
        if _url is None:
            settings = settings or get_settings()
            if settings.database_url:
                _url = settings.database_url
            else:
                from recete_app.backend.embedded_db import start_embedded_postgres

                _embedded_server, _url = start_embedded_postgres(settings.embedded_pgdata)
        return _url


def release_embedded_server() -> None:
    """Let go of the embedded server; it stops when no other live process holds it."""
    global _embedded_server, _url
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        if _embedded_server is not None:
            _embedded_server.cleanup()
            _embedded_server = None
            _url = None


def use_database_url(url: str) -> None:
    """Point this process at `url` (tests, the launcher); drops cached engines."""
    global _url
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _url = url


def get_engine(*, owner: bool = False) -> sa.Engine:
    url = database_url()
    key = (url, owner)
    engine = _engines.get(key)
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create_engine(url, owner=owner)
            _engines[key] = engine
        return engine


def reserve_connections(count: int) -> None:
    """This process runs `count` more threads that use the database at once (a worker's threads
    and loops; negative when they stop): its pool keeps that many connections unless
    RECETE_DB_POOL_SIZE says otherwise (a pool grows, never shrinks).
    Connections past the pool are opened and closed for every use; a worker of 32 threads on a
    pool of 5 spent a quarter of its CPU reconnecting (bench/agent_latency.py)."""
    global _reserved
    with _lock:
        _reserved += count
        for key, engine in list(_engines.items()):
            if engine.pool.size() < pool_size():  # type: ignore[attr-defined]
                del _engines[key]  # in-use connections finish on the old pool
                engine.dispose()


def pool_size() -> int:
    return get_settings().db_pool_size or max(DEFAULT_POOL_SIZE, _reserved)


def _create_engine(url: str, *, owner: bool) -> sa.Engine:
    settings = get_settings()
    size = pool_size()
    # hide_parameters: a failed statement's message (and so every log line and traceback that
    # shows it) leaves out its values, which can be a whole webhook body or a customer's phone.
    engine = sa.create_engine(
        url,
        poolclass=TimedQueuePool,
        pool_pre_ping=True,
        pool_size=size,
        max_overflow=size,
        hide_parameters=True,
    )
    if not owner:
        install_app_role(engine, settings.db_app_role)
    count_connections(engine, capacity=2 * size)
    return engine


def install_app_role(engine: sa.Engine, role: str) -> None:
    """Every new connection of `engine` runs as `role` (a non-owner without BYPASSRLS)."""
    quoted = '"' + role.replace('"', '""') + '"'

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET ROLE {quoted}")
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.commit()


_SET_TENANT = sa.text("SELECT set_config('app.merchant_id', :value, true)")


@event.listens_for(OrmSession, "after_begin")
def _apply_scope(session: OrmSession, _tx: Any, connection: sa.Connection) -> None:
    merchant_id = session.info.get("merchant_id")
    if merchant_id is not None:
        connection.execute(_SET_TENANT, {"value": str(merchant_id)})
    for name, value in session.info.get("lookups", {}).items():
        connection.execute(
            sa.text("SELECT set_config(:name, :value, true)"),
            {"name": f"app.{name}", "value": value},
        )


def tenant_scope_source(merchant_param: str = "scope_merchant_id") -> sa.Subquery:
    """A FROM item that sets the tenant for the one statement selecting from it.

    `INSERT ... SELECT ... FROM tenant_scope_source()` scopes and writes in a single statement,
    so with `execute_alone` it costs one round trip where a session scope costs four (BEGIN,
    set_config, the statement, COMMIT). PostgreSQL evaluates the volatile `set_config` before
    it forms the row, so the row-level security check of the insert sees the tenant.
    """
    setting = sa.func.set_config("app.merchant_id", sa.bindparam(merchant_param), True)
    return sa.select(setting.label("merchant_scope")).subquery("tenant_scope")


def execute_alone(
    statement: sa.Executable, params: dict[str, Any], *, engine: sa.Engine | None = None
) -> Sequence[sa.Row[Any]]:
    """Run one statement as its own transaction (autocommit), as the application role.

    Only for single statements that scope themselves (`tenant_scope_source`); everything else
    uses `session_scope`. A transaction-local setting lasts exactly that one statement.
    """
    with (engine or get_engine()).connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn.execute(statement, params).all()


@contextmanager
def session_scope(
    merchant_id: uuid.UUID | None = None,
    *,
    lookups: dict[str, str] | None = None,
    engine: sa.Engine | None = None,
) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on error.

    With `merchant_id`, every transaction of the session sees only that merchant's rows.
    """
    use, started, outcome = use_case(), time.perf_counter(), "rollback"
    for name in lookups or {}:
        if name not in LOOKUP_SETTINGS:
            raise ValueError(f"unknown lookup setting {name!r}")
    session = Session(engine or get_engine(), expire_on_commit=False)
    session.info["merchant_id"] = merchant_id
    session.info["lookups"] = dict(lookups or {})
    try:
        yield session
        session.commit()
        outcome = "commit"
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        TRANSACTION_SECONDS.labels(use, outcome).observe(time.perf_counter() - started)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once this session's transaction has committed (never after a rollback):
    work handed to a queue must find the rows it is about."""
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(OrmSession, "after_commit")
def _run_after_commit(session: OrmSession) -> None:
    for callback in session.info.pop("after_commit", []):
        try:
            callback()
        except Exception:  # the rows are committed: a sweeper finds them again
            log.exception("an after-commit callback failed")


@event.listens_for(OrmSession, "after_rollback")
def _drop_after_commit(session: OrmSession) -> None:
    session.info.pop("after_commit", None)


def enter_tenant(session: Session, merchant_id: uuid.UUID) -> None:
    """Scope the rest of this transaction to the merchant a lookup just found (a click found its
    link by token): one transaction where a second session scope would take a second pooled
    connection. Transaction-local, as `session_scope` sets it."""
    session.execute(_SET_TENANT, {"value": str(merchant_id)})
    session.info["merchant_id"] = merchant_id


def current_merchant_id(session: Session) -> uuid.UUID:
    merchant_id = session.info.get("merchant_id")
    if merchant_id is None:
        raise RuntimeError("this operation needs a tenant scope")
    return uuid.UUID(str(merchant_id))


Row = TypeVar("Row")


def row_by_id(session: Session, model: type[Row], row_id: uuid.UUID | str) -> Row | None:
    """The row with this id as the session's merchant sees it: None for another merchant's
    (row-level security hides it), a missing one, or text that is no id at all (a front door
    may pass ids as it has them)."""
    try:
        key = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(row_id)
    except ValueError:
        return None
    return session.get(model, key)
