"""The in-process queue (StubBroker + worker threads) and periodic jobs."""

from __future__ import annotations

import pytest

from recete_app.backend import db, queueing
from recete_app.backend.agent import service
from recete_app.backend.config import get_settings
from recete_app.backend.jobs import claim_due_job
from tasks import maintenance
from tasks.broker import broker, is_embedded
from tasks.periodic import enqueue_due_jobs
from tasks.runtime import IDLE_POLL_MS, PROMPT_POLL_MS, WorkerRuntime
from tests.support import owner_sql


@pytest.fixture(autouse=True)
def _only_this_tests_jobs() -> None:
    """The in-process broker is the process's: jobs that earlier tests queued and never ran
    (HTTP tests, Schemathesis) must not run here, nor be waited for (a retry waits 30 s)."""
    broker.flush_all()


def _merchant_with_expired_key() -> None:
    owner_sql(
        "INSERT INTO merchants (id, name, default_language, timezone, settings) VALUES "
        "('11111111-1111-1111-1111-111111111111', 'Q', 'en', 'UTC', '{}')"
    )
    owner_sql(
        "INSERT INTO api_keys (id, merchant_id, name, prefix, key_hash, expires_at) VALUES "
        "(gen_random_uuid(), '11111111-1111-1111-1111-111111111111', 'old', 'gg_live_abc', "
        "repeat('a', 64), now() - interval '1 day')"
    )


def test_periodic_job_is_claimed_once_per_interval() -> None:
    assert claim_due_job("nightly", 3600)
    assert not claim_due_job("nightly", 3600)
    owner_sql("UPDATE job_schedules SET last_run_at = now() - interval '2 hours'")
    assert claim_due_job("nightly", 3600)


def test_in_process_workers_run_the_expiry_actor() -> None:
    assert is_embedded()
    _merchant_with_expired_key()
    runtime = WorkerRuntime(threads=1, periodic=False)
    runtime.start()
    try:
        maintenance.expire_api_keys.send()
        broker.join(maintenance.expire_api_keys.queue_name, timeout=10_000)
        runtime.worker.join()
    finally:
        runtime.stop()
    assert owner_sql("SELECT action FROM audit_log") == [("api_key.expired",)]
    assert owner_sql("SELECT revoked_at = expires_at FROM api_keys") == [(True,)]


def test_every_job_callers_may_enqueue_has_an_actor_in_tasks() -> None:
    # `tasks` is imported above, as in every process that runs workers.
    assert set(queueing._senders) == queueing.JOBS


def test_due_periodic_jobs_are_enqueued_once() -> None:
    assert enqueue_due_jobs() == [
        "expire_api_keys",
        "forget_idempotency_keys",
        "apply_retention",
        "sweep_external_events",
        "reconcile_shops",
        "resume_order_imports",
        "resume_scrape_jobs",
        "resume_customer_exports",
        "rescrape_products",
        "roll_up_analytics",
    ]
    assert enqueue_due_jobs() == []
    broker.flush_all()


def test_only_the_queues_a_customer_waits_on_poll_quickly_when_idle() -> None:
    runtime = WorkerRuntime(threads=1, periodic=False)
    runtime.start()
    try:
        polls = {name: c.worker_timeout for name, c in runtime.worker.consumers.items()}
        threads = {thread.timeout for thread in runtime.worker.workers}
    finally:
        runtime.stop()
    # A customer's WhatsApp message is stored, then processed on "commerce" (with the stores'
    # webhooks), answered on "agent" and the reply sent on "messages".
    assert polls["commerce"] == polls["agent"] == polls["messages"] == PROMPT_POLL_MS
    slow = {name for name, poll in polls.items() if poll == IDLE_POLL_MS}
    assert {"journeys", "maintenance", "commerce.DQ", "agent.DQ", "messages.DQ"} <= slow
    assert set(polls) == slow | {"commerce", "agent", "messages"}
    assert threads == {IDLE_POLL_MS / 1000}


def test_a_worker_keeps_a_pooled_connection_for_each_of_its_threads_and_loops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RECETE_DB_POOL_SIZE", raising=False)
    get_settings.cache_clear()
    runtime = WorkerRuntime(threads=30)  # not started: the pool is sized when it is built
    try:
        engine = db.get_engine()
        connections = [engine.connect() for _ in range(32)]
        # None of them past the pool: those are opened and closed on every use.
        assert engine.pool.overflow() <= 0  # type: ignore[attr-defined]
        for connection in connections:
            connection.close()
    finally:
        db.reserve_connections(-runtime.connections)


def test_the_configured_pool_size_wins_over_the_worker_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECETE_DB_POOL_SIZE", "7")
    get_settings.cache_clear()
    try:
        db.reserve_connections(30)
        assert db.pool_size() == 7
    finally:
        db.reserve_connections(-30)
        get_settings.cache_clear()


def test_a_worker_builds_the_agents_models_before_its_first_message() -> None:
    # Built on the first message instead, the openai SDK's import held up the first messages
    # after a start for seconds.
    service._responder.cache_clear()
    service._embedder.cache_clear()
    runtime = WorkerRuntime(threads=1, periodic=False)
    runtime.start()
    try:
        assert service._responder.cache_info().currsize == 1
        assert service._embedder.cache_info().currsize == 1
    finally:
        runtime.stop()
