"""The operator's metrics: the work's state read across every merchant at each scrape, queue
metrics per actor, a worker's own /metrics port, and one view across processes in
prometheus_client's multiprocess mode. No label carries an id, a phone or a merchant."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dramatiq
import httpx
import pytest
import sqlalchemy as sa
from dramatiq.brokers.stub import StubBroker
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from recete_app.backend.config import PROJECT_ROOT, get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.http.app import create_api
from recete_app.backend.intake.events import store_event
from recete_app.backend.services import customer_privacy, operations_metrics
from recete_app.backend.services.sandbox import write_as_customer
from recete_app.worker import serve_metrics
from tasks.broker import waiting_in
from tasks.queue_metrics import QueueMetrics
from tests.integration.journey_fixtures import connect_whatsapp, deliver, new_merchant
from tests.support import free_port, owner_sql


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return _samples(response.text)


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def _store_with_work(email: str, order: str) -> uuid.UUID:
    merchant_id = new_merchant(email)
    delivered = datetime.now(UTC) - timedelta(days=20)
    deliver(merchant_id, delivered, order=order, customer=f"c-{order}")
    return merchant_id


def test_the_work_state_counts_every_merchant(client: TestClient) -> None:
    now = datetime.now(UTC)  # not at import: the whole suite runs for minutes before this
    first = _store_with_work("owner@first-metrics.com", "7001")
    second = _store_with_work("owner@second-metrics.com", "7002")
    # Each store's journey planned two messages: one is 10 minutes overdue, one in doubt.
    owner_sql("UPDATE scheduled_messages SET status = 'unknown'")
    owner_sql(
        "UPDATE scheduled_messages SET status = 'scheduled', due_at = :t WHERE id IN"
        " (SELECT DISTINCT ON (merchant_id) id FROM scheduled_messages ORDER BY merchant_id, id)",
        t=now - timedelta(minutes=10),
    )
    for merchant_id, status in ((first, "pending"), (second, "failed")):
        store_event(
            merchant_id,
            provider="api",
            external_id=str(uuid.uuid4()),
            topic="order.created",
            raw_body="{}",
            headers={},
            status=status,
        )
    owner_sql("UPDATE external_events SET received_at = now() - interval '7 minutes'")
    connect_whatsapp(second, "token")
    owner_sql("UPDATE integrations SET status = 'broken' WHERE kind = 'whatsapp'")
    owner_sql(
        "INSERT INTO job_schedules (name, last_run_at, interval_seconds)"
        " VALUES ('apply_retention', :t, 86400) ON CONFLICT (name)"
        " DO UPDATE SET last_run_at = :t, interval_seconds = 86400",
        t=now,
    )

    seen = _scrape(client)

    assert seen[("recete_operations_up", ())] == 1
    assert seen[("recete_outbox_due", ())] == 2
    assert seen[("recete_outbox_in_doubt", ())] == 2
    assert 600 <= seen[("recete_outbox_oldest_due_age_seconds", ())] < 700
    assert (seen[("recete_webhooks_pending", ())], seen[("recete_webhooks_failed", ())]) == (1, 1)
    assert 420 <= seen[("recete_webhooks_oldest_pending_age_seconds", ())] < 520
    assert seen[("recete_whatsapp_numbers_paused", ())] == 1
    job = (("periodic_job", "apply_retention"),)
    assert seen[("recete_periodic_job_interval_seconds", job)] == 86400
    assert abs(seen[("recete_periodic_job_last_run_timestamp_seconds", job)] - now.timestamp()) < 1
    labels = {name for (_metric, pairs) in seen for name, _value in pairs}
    assert not labels & {"merchant", "merchant_id", "phone", "customer", "id"}


def test_an_empty_deployment_reports_zeros_not_gaps(client: TestClient) -> None:
    seen = _scrape(client)
    for name in ("recete_outbox_oldest_due_age_seconds", "recete_webhooks_pending"):
        assert seen[(name, ())] == 0


def test_the_scrape_still_answers_when_the_database_cannot_be_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable() -> operations_metrics.WorkState:
        raise ConnectionError("the database is down")

    monkeypatch.setattr(operations_metrics, "read_work_state", unreachable)
    seen = _scrape(client)
    assert seen[("recete_operations_up", ())] == 0
    assert ("recete_outbox_due", ()) not in seen


def test_queue_metrics_count_each_actors_outcomes_and_retries() -> None:
    queues = StubBroker()
    queues.add_middleware(QueueMetrics())
    queues.emit_after("process_boot")

    @dramatiq.actor(broker=queues, queue_name="metrics_test", max_retries=1, min_backoff=1)
    def flaky(fail: bool) -> None:
        if fail:
            raise RuntimeError("boom")

    labels = {"queue": "metrics_test", "actor": "flaky"}

    def count(name: str, **extra: str) -> float:
        return REGISTRY.get_sample_value(name, {**labels, **extra}) or 0.0

    before = (count("recete_queue_messages_processed_total", outcome="done"),)
    flaky.send(False)
    flaky.send(True)
    assert waiting_in(queues)["metrics_test"] == 2
    worker = dramatiq.Worker(queues, worker_timeout=50)
    worker.start()
    try:
        queues.join("metrics_test", fail_fast=False)
        worker.join()
    finally:
        worker.stop()
    assert count("recete_queue_messages_processed_total", outcome="done") == before[0] + 1
    assert count("recete_queue_messages_processed_total", outcome="failed") >= 2  # and its retry
    assert count("recete_queue_message_retries_total") >= 1
    assert count("recete_queue_message_duration_seconds_count") >= 3
    assert waiting_in(queues)["metrics_test"] == 0


def test_a_worker_serves_the_same_metrics_on_its_own_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    monkeypatch.setenv("RECETE_METRICS_PORT", str(port))
    get_settings.cache_clear()
    try:
        assert serve_metrics() == port
    finally:
        get_settings.cache_clear()
    seen = _samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
    assert seen[("recete_operations_up", ())] == 1
    assert ("recete_outbox_due", ()) in seen


WRITER = textwrap.dedent(
    """
    from recete_app.backend.http.metrics import HTTP_REQUESTS
    HTTP_REQUESTS.labels("POST", "/webhooks/commerce/api", "200").inc({count})
    """
)
READER = textwrap.dedent(
    """
    from prometheus_client import generate_latest
    from recete_app.backend.services.operations_metrics import exposition_registry
    print(generate_latest(exposition_registry()).decode())
    """
)


def test_every_process_on_a_host_shows_in_one_scrape(database_url: str, tmp_path: Path) -> None:
    """Two processes count requests; a third, scraped, answers for both (multiprocess mode)."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "RECETE_DATABASE_URL": database_url,
    }
    for count in (2, 3):
        subprocess.run(
            [sys.executable, "-c", WRITER.format(count=count)],
            env=env,
            check=True,
            cwd=PROJECT_ROOT,
        )
    started = time.monotonic()
    read = subprocess.run(
        [sys.executable, "-c", READER],
        env=env,
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert time.monotonic() - started < 30
    seen = _samples(read.stdout)
    webhook = (("method", "POST"), ("route", "/webhooks/commerce/api"), ("status", "200"))
    assert seen[("recete_http_requests_total", webhook)] == 5
    assert seen[("recete_operations_up", ())] == 1


def _total(name: str, **labels: str) -> float:
    """A metric summed over its series whose labels include `labels`."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def test_the_agents_decisions_and_their_time_are_counted() -> None:
    merchant_id = new_merchant("owner@agent-metrics.com")
    before = {
        name: _total(name)
        for name in ("recete_agent_decisions_total", "recete_agent_reply_seconds_count")
    }
    write_as_customer(merchant_id, "+905321234567", "How do I use the toner?")
    write_as_customer(merchant_id, "+905321234567", "I got a rash after the serum, help")
    assert _total("recete_agent_decisions_total") == before["recete_agent_decisions_total"] + 2
    assert _total("recete_agent_reply_seconds_count") == (
        before["recete_agent_reply_seconds_count"] + 2
    )
    assert _total("recete_agent_escalations_total") >= 1  # the reaction goes to a person


def test_database_connections_in_use_are_counted_while_a_transaction_holds_one() -> None:
    idle = _total("recete_db_connections_in_use")
    with session_scope() as session:
        session.execute(sa.text("SELECT 1"))
        assert _total("recete_db_connections_in_use") == idle + 1
    assert _total("recete_db_connections_in_use") == idle
    assert _total("recete_db_connections_capacity") >= 2


def test_the_wait_for_a_connection_is_timed() -> None:
    waited = _total("recete_db_connection_wait_seconds_count")
    with session_scope() as session:
        session.execute(sa.text("SELECT 1"))
    assert _total("recete_db_connection_wait_seconds_count") == waited + 1


def test_transactions_are_timed_by_the_module_that_opened_them() -> None:
    use = {"use": __name__}
    committed = _total("recete_db_transaction_seconds_count", **use, outcome="commit")
    rolled_back = _total("recete_db_transaction_seconds_count", **use, outcome="rollback")
    with session_scope() as session:
        session.execute(sa.text("SELECT 1"))
    with pytest.raises(ZeroDivisionError), session_scope():
        1 / 0  # noqa: B018
    assert _total("recete_db_transaction_seconds_count", **use, outcome="commit") == committed + 1
    assert (
        _total("recete_db_transaction_seconds_count", **use, outcome="rollback") == rolled_back + 1
    )
    # A backend module is named without the package's prefix.
    privacy = {"use": "services.customer_privacy", "outcome": "commit"}
    listed = _total("recete_db_transaction_seconds_count", **privacy)
    customer_privacy.list_customers(new_merchant("owner@transaction-metrics.com"))
    assert _total("recete_db_transaction_seconds_count", **privacy) == listed + 1


def test_a_small_deployment_may_see_the_work_state_per_merchant(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _store_with_work("owner@first-labelled.com", "7101")
    second = _store_with_work("owner@second-labelled.com", "7102")
    idle = new_merchant("owner@idle-labelled.com")
    owner_sql("UPDATE scheduled_messages SET status = 'unknown' WHERE merchant_id = :m", m=first)
    owner_sql(
        "UPDATE scheduled_messages SET due_at = now() - interval '2 minutes'"
        " WHERE merchant_id = :m",
        m=second,
    )
    labelled = get_settings().model_copy(update={"metrics_merchant_label": True})
    monkeypatch.setattr(operations_metrics, "get_settings", lambda: labelled)
    seen = _scrape(client)
    doubt = {
        dict(pairs)["merchant"]: value
        for (name, pairs), value in seen.items()
        if name == "recete_outbox_in_doubt"
    }
    assert doubt == {str(first): 2, str(second): 0}  # the idle store has no series
    assert seen[("recete_outbox_due", (("merchant", str(second)),))] == 2
    assert str(idle) not in {dict(pairs).get("merchant") for (_name, pairs) in seen}


def test_a_per_merchant_read_that_fails_is_up_0_not_a_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    labelled = get_settings().model_copy(update={"metrics_merchant_label": True})
    monkeypatch.setattr(operations_metrics, "get_settings", lambda: labelled)

    def unreachable() -> dict[str, operations_metrics.WorkState]:
        raise ConnectionError("the database is down")

    monkeypatch.setattr(operations_metrics, "read_work_state_by_merchant", unreachable)
    assert _scrape(client)[("recete_operations_up", ())] == 0
