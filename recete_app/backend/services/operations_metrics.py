"""The metrics an operator alerts on, and the one exposition every process serves.

Counters and histograms (HTTP requests, queue messages, sends that failed, webhooks' lag) are
counted where they happen, in each process. Every web process and worker is its own scrape
target and Prometheus sums them (deploy/prometheus/prometheus.yml): N web processes and M
workers make one view. Where several processes serve one port (gunicorn workers), that server
sets `PROMETHEUS_MULTIPROC_DIR`: its processes write their metrics to files there
(prometheus_client's multiprocess mode) and whichever answers the scrape answers for all.

The state of the work (the outbox's backlog, sends in doubt, webhooks waiting, a number paused,
each periodic job's last run, messages waiting in each queue) is read live at each scrape: a
few indexed counts across merchants (`recete_work_state()`, run as the schema owner:
migration 0023), never a row's contents, and never a label with an id, a phone or a merchant.
Every process reports the same values, so alerts take their `max`. If the database cannot be
read the scrape still answers, with `recete_operations_up 0`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from recete_app.backend import queueing
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope

log = logging.getLogger(__name__)

# Counts and ages only (migrations 0023, 0024): never a row.
_WORK_STATE = sa.text("SELECT * FROM recete_work_state()")
_BY_MERCHANT = sa.text("SELECT * FROM recete_work_state_by_merchant() ORDER BY merchant_id")
_PERIODIC = sa.text("SELECT name, last_run_at, interval_seconds FROM job_schedules")


@dataclass(frozen=True)
class PeriodicRun:
    name: str
    last_run_at: datetime | None
    interval_seconds: int | None


@dataclass(frozen=True)
class WorkState:
    outbox_due: int = 0
    outbox_in_flight: int = 0
    outbox_in_doubt: int = 0
    outbox_paused: int = 0
    outbox_oldest_due_seconds: float = 0.0
    webhooks_pending: int = 0
    webhooks_failed: int = 0
    webhooks_oldest_pending_seconds: float = 0.0
    numbers_paused: int = 0
    periodic: list[PeriodicRun] = field(default_factory=list)


def read_work_state() -> WorkState:
    with session_scope() as session:
        counts = session.execute(_WORK_STATE).mappings().one()
        periodic = [PeriodicRun(*row) for row in session.execute(_PERIODIC).all()]
    return WorkState(**_counts(counts), periodic=periodic)


def read_work_state_by_merchant() -> dict[str, WorkState]:
    """{merchant id: its state}, for the merchants with work waiting (the opt-in label)."""
    with session_scope() as session:
        rows = session.execute(_BY_MERCHANT).mappings().all()
    return {str(row["merchant_id"]): WorkState(**_counts(row)) for row in rows}


def _counts(row: Any) -> dict[str, Any]:
    return {
        attribute: float(row[attribute] or 0) if attribute.endswith("_seconds") else row[attribute]
        for attribute, _name, _help in GAUGES
    }


GAUGES = (
    ("outbox_due", "recete_outbox_due", "Scheduled messages past their due time, not sent yet."),
    (
        "outbox_in_flight",
        "recete_outbox_in_flight",
        "Messages claimed for sending (queued or sending).",
    ),
    (
        "outbox_in_doubt",
        "recete_outbox_in_doubt",
        "Sends in doubt (unknown): a person reviews them.",
    ),
    ("outbox_paused", "recete_outbox_paused", "Messages paused until their number is reconnected."),
    (
        "outbox_oldest_due_seconds",
        "recete_outbox_oldest_due_age_seconds",
        "How long the oldest due message has waited (0 when none waits).",
    ),
    ("webhooks_pending", "recete_webhooks_pending", "Accepted webhooks not processed yet."),
    ("webhooks_failed", "recete_webhooks_failed", "Webhooks that failed and wait for a retry."),
    (
        "webhooks_oldest_pending_seconds",
        "recete_webhooks_oldest_pending_age_seconds",
        "How long the oldest unprocessed webhook has waited (0 when none waits).",
    ),
    (
        "numbers_paused",
        "recete_whatsapp_numbers_paused",
        "WhatsApp numbers whose token expired (error 190): their sends wait for a reconnect.",
    ),
)


class WorkStateCollector(Collector):
    """Reads the work's state at each scrape (see the module's docstring)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "recete_operations_up", "1 when the work's state could be read from the database."
        )
        try:  # everything read before anything is yielded: a failure is `up 0`, not a 500
            state = read_work_state()
            labelled = get_settings().metrics_merchant_label
            per_merchant = read_work_state_by_merchant() if labelled else None
        except Exception:
            log.exception("could not read the work's state for /metrics")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        if per_merchant is not None:
            yield from _per_merchant(per_merchant)
        else:
            for attribute, name, help_text in GAUGES:
                yield GaugeMetricFamily(name, help_text, value=getattr(state, attribute))
        yield from _periodic(state.periodic)
        yield _queues(queueing.queue_depths())


def _per_merchant(states: dict[str, WorkState]) -> Iterator[GaugeMetricFamily]:
    for attribute, name, help_text in GAUGES:
        family = GaugeMetricFamily(name, help_text, labels=["merchant"])
        for merchant, state in states.items():
            family.add_metric([merchant], getattr(state, attribute))
        yield family


def _periodic(runs: list[PeriodicRun]) -> Iterator[GaugeMetricFamily]:
    last = GaugeMetricFamily(
        "recete_periodic_job_last_run_timestamp_seconds",
        "When each periodic job was last enqueued (Unix time).",
        labels=["periodic_job"],
    )
    interval = GaugeMetricFamily(
        "recete_periodic_job_interval_seconds",
        "How often each periodic job should run.",
        labels=["periodic_job"],
    )
    for run in runs:
        if run.last_run_at is not None:
            last.add_metric([run.name], run.last_run_at.timestamp())
        if run.interval_seconds is not None:
            interval.add_metric([run.name], run.interval_seconds)
    yield last
    yield interval


def _queues(depths: dict[str, int]) -> GaugeMetricFamily:
    waiting = GaugeMetricFamily(
        "recete_queue_messages_waiting",
        "Messages waiting in each queue (Redis), not taken by a worker yet.",
        labels=["queue"],
    )
    for queue, count in sorted(depths.items()):
        waiting.add_metric([queue], count)
    return waiting


class _ThisProcess(Collector):
    """The default registry (this process's metrics), when metrics are not multiprocess."""

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        yield from REGISTRY.collect()


def exposition_registry() -> CollectorRegistry:
    """What `/metrics` serves, in any process: every process's counters (multiprocess mode, or
    this process's alone) and the work's state."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(WorkStateCollector())
    return registry
