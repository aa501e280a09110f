"""The database's metrics: connections in use and the pools' capacity, the time to get a
connection, and each unit of work's time by the module that opened it (docs/operations.md)."""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa
from prometheus_client import Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.pool import PoolProxiedConnection, QueuePool

# A connection is checked out of the pool from a transaction's first statement to its end; past
# the capacity (pool plus overflow) the next one waits.
CONNECTIONS_IN_USE = Gauge(
    "recete_db_connections_in_use",
    "Database connections checked out of this process's pools (summed over live processes).",
    multiprocess_mode="livesum",
)
CONNECTIONS_CAPACITY = Gauge(
    "recete_db_connections_capacity",
    "Connections this process's pools may hold at once, overflow included; more wait.",
    multiprocess_mode="livesum",
)


CONNECTION_WAIT = Histogram(
    "recete_db_connection_wait_seconds",
    "Time to get a usable connection from the pool: checked (pre-ping), opened when none is "
    "idle, or waited for when the pool and its overflow are all in use.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2, 10),
)


class TimedQueuePool(QueuePool):
    def connect(self) -> PoolProxiedConnection:
        started = time.perf_counter()
        try:
            return super().connect()
        finally:
            CONNECTION_WAIT.observe(time.perf_counter() - started)


def count_connections(engine: sa.Engine, *, capacity: int) -> None:
    CONNECTIONS_CAPACITY.inc(capacity)
    event.listen(engine, "checkout", lambda *_args: CONNECTIONS_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_args: CONNECTIONS_IN_USE.dec())
    event.listen(engine, "engine_disposed", lambda *_args: CONNECTIONS_CAPACITY.dec(capacity))


TRANSACTION_SECONDS = Histogram(
    "recete_db_transaction_seconds",
    "Units of work (session_scope) from start to commit or rollback, by use case: the module "
    "that opened it (e.g. messaging.outbox.dispatch).",
    ["use", "outcome"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)


def use_case() -> str:
    """The module that opened the unit of work: a fixed set of names, so a bounded label. Three
    frames up: past this function, session_scope and contextlib's __enter__."""
    caller = sys._getframe(3).f_globals.get("__name__", "?")
    return str(caller).removeprefix("recete_app.backend.")
