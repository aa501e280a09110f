"""Durable dispatch benchmark: due journey messages sent through a local Graph API.

    .venv/bin/python -m bench.dispatch [--baseline 20000] [--messages 100000] [--burst 10000]
                                       [--kill 20000]

Starts an embedded PostgreSQL, a private redis-server, a local server answering like the Graph
API (80 messages/s per number, Meta's 130429 beyond) and 2 `recete worker` processes (Dramatiq
on Redis + the dispatcher loop each). First the baseline: 2 processes sending the same payloads
with nothing else (bench/bare_sender.py). Then three runs over 50 numbers:
  burst  N messages due at the same moment: time until the last one went out (target ≤ 60 s);
  bulk   N due messages: messages/s, the per-number cap, 130429 answers, duplicates;
  kill   N due messages, one worker SIGKILLed at 30% and restarted: lost, duplicates, and how
         long until every message the dead worker held was settled.
Each phase reports CPU milliseconds per message per part (bench/cpu.py), which hold on a shared
machine where rates do not. Prints a Markdown block for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.cpu import CpuMeter, own_seconds, postmaster_pid
from bench.database import fresh_database
from bench.seeding import create_merchants, seed_due_messages
from tests.fakes.graph_api import FakeGraphApi, RecordedRequest

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = 50
THREADS = 8
FINAL = ("sent", "failed", "skipped", "cancelled", "unknown", "paused")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "recete_app.cli", "worker", "--threads", str(THREADS)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def counts() -> Counter[str]:
    from tests.support import owner_sql

    return Counter(
        {
            str(s): int(str(n))
            for s, n in owner_sql("SELECT status, count(*) FROM scheduled_messages GROUP BY status")
        }
    )


def wait_settled(total: int, timeout: float, on_progress: object = None) -> float:
    """Seconds until every row is final (or the timeout)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        now = counts()
        done = sum(now[s] for s in FINAL)
        if callable(on_progress):
            on_progress(now)
        if done >= total:
            return time.monotonic() - start
        time.sleep(0.5)  # each look is a GROUP BY over every row: PostgreSQL CPU
    return float("nan")


def reset_rows() -> None:
    from tests.support import owner_sql

    owner_sql("DELETE FROM messages; DELETE FROM conversations; DELETE FROM scheduled_messages;")
    owner_sql("DELETE FROM order_items; DELETE FROM orders; DELETE FROM customers;")


def reconcile_unknown(requests: list[RecordedRequest]) -> int:
    """What Meta does for every message it accepted: a "sent" status report carrying the
    callback data. Rows whose request never arrived stay `unknown` (for review)."""
    from recete_app.backend.db import session_scope
    from recete_app.backend.messaging.statuses import apply_status
    from recete_app.backend.messaging.whatsapp.payloads import StatusUpdate
    from tests.support import owner_sql

    accepted = {r.body.get("biz_opaque_callback_data"): r for r in requests if r.status == 200}
    done = 0
    for row_id, merchant_id in owner_sql(
        "SELECT id, merchant_id FROM scheduled_messages WHERE status = 'unknown'"
    ):
        request = accepted.get(f"sm:{row_id}")
        if request is None or request.message_id is None:
            continue
        update = StatusUpdate(
            request.phone_number_id,
            request.message_id,
            "sent",
            datetime.now(UTC),
            None,
            f"sm:{row_id}",
            (),
        )
        with session_scope(uuid.UUID(str(merchant_id))) as session:
            apply_status(session, update)
        done += 1
    return done


def duplicates(requests: list[RecordedRequest]) -> int:
    tags = Counter(r.body.get("biz_opaque_callback_data") for r in requests if r.status == 200)
    return sum(n - 1 for n in tags.values() if n > 1)


def run_phase(
    name: str,
    count: int,
    merchants: list[tuple[uuid.UUID, uuid.UUID]],
    graph: FakeGraphApi,
    env: dict[str, str],
    serial: int,
    services: dict[str, list[int]],
    kill: bool = False,
) -> dict[str, object]:
    reset_rows()
    graph_start = len(graph.requests)
    seed_due_messages(merchants, count, datetime.now(UTC), serial)
    workers = [start_worker(env), start_worker(env)]
    meter = CpuMeter({**services, "workers": [w.pid for w in workers]})
    meter.start()
    killed_at: float | None = None
    resumed: dict[str, float] = {}

    def progress(now: Counter[str]) -> None:
        nonlocal killed_at
        if kill and killed_at is None and now["sent"] >= 0.3 * count:
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait()
            killed_at = time.monotonic()
            workers[0] = start_worker(env)

    started = time.monotonic()
    elapsed = wait_settled(count, timeout=1800, on_progress=progress)
    # A killed worker's CPU is lost with it: only whole runs say what a message costs.
    cpu = {} if kill else {"cpu_ms_per_message": meter.per_message_ms(count)}
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=30)
    reconciled = reconcile_unknown(phase_requests := graph.requests[graph_start:])
    final = counts()
    sent = [r for r in phase_requests if r.status == 200]
    times = sorted(r.received_at for r in sent)
    span = (times[-1] - times[0]) if len(times) > 1 else float("nan")
    if killed_at is not None:
        resumed["settled_after_kill_s"] = started + elapsed - killed_at
    return {
        "phase": name,
        "messages": count,
        "all_settled_s": round(elapsed, 1),
        "sent_per_s": round(len(sent) / span, 1) if span == span and span > 0 else None,
        "statuses": dict(final),
        "unknown_reconciled_by_status_report": reconciled,
        "lost": count - sum(final[s] for s in FINAL),
        "duplicates": duplicates(phase_requests),
        "rate_limited_130429": sum(1 for r in phase_requests if r.status == 400),
        "max_per_number_per_s": max(
            graph.max_per_second(n) for n in {r.phone_number_id for r in sent}
        )
        if sent
        else 0,
        # Accepted sends per 10 s since the workers started: a slow start or a stall shows.
        "sent_per_10s": _timeline([t - started for t in times], 10.0),
        **resumed,
        **cpu,
    }


def _timeline(offsets: list[float], width: float) -> list[int]:
    counts = Counter(int(offset // width) for offset in offsets if offset >= 0)
    return [counts[i] for i in range(max(counts, default=-1) + 1)]


def run_baseline(count: int, graph: FakeGraphApi) -> dict[str, object]:
    """The ceiling for this machine: 2 processes sending the same payloads with the same client
    and no database, queue or pacing (bench/bare_sender.py)."""
    graph_start = len(graph.requests)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    fake_before = own_seconds()

    def sender_args(n: int) -> list[str]:
        return [str(count // 2), str(THREADS), str(90_000_000 + n * count)]

    senders = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.bare_sender", graph.url, graph.token, *sender_args(n)],
            cwd=ROOT,
        )
        for n in range(2)
    ]
    for sender in senders:
        sender.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    senders_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    fake_s = own_seconds() - fake_before
    accepted = [r for r in graph.requests[graph_start:] if r.status == 200]
    times = sorted(r.received_at for r in accepted)
    return {
        "phase": "baseline (bare sends, no database)",
        "messages": count,
        "sent_per_s": round(len(accepted) / (times[-1] - times[0]), 1),
        "rate_limited_130429": sum(1 for r in graph.requests[graph_start:] if r.status == 400),
        "cpu_ms_per_message": {
            "senders": round(1000 * senders_s / count, 2),
            "graph_fake_and_bench": round(1000 * fake_s / count, 2),
            "total": round(1000 * (senders_s + fake_s) / count, 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--kill", type=int, default=20_000)
    parser.add_argument("--baseline", type=int, default=20_000)
    args = parser.parse_args()
    redis, redis_url = start_redis()
    graph = FakeGraphApi(rate_limit_per_second=80, lean=True)
    graph.start()
    try:
        data, _server, url = fresh_database(
            "recete-bench-dispatch-",
            {"RECETE_REDIS_URL": redis_url, "RECETE_WHATSAPP_GRAPH_URL": graph.url},
        )
        env = {**os.environ, "RECETE_DATABASE_URL": url}
        merchants = create_merchants(NUMBERS, graph.token)
        services = {"postgres": [postmaster_pid(data / "pg")], "redis": [redis.pid]}
        results: list[dict[str, object]] = []
        if args.baseline:
            results.append(run_baseline(args.baseline, graph))
            print(results[-1], flush=True)
        for name, count, kill in (
            ("burst", args.burst, False),
            ("bulk", args.messages, False),
            ("kill", args.kill, True),
        ):
            serial = len(results) * 10_000_000
            if count:
                results.append(
                    run_phase(name, count, merchants, graph, env, serial, services, kill)
                )
                print(results[-1], flush=True)
    finally:
        graph.stop()
        redis.terminate()
    print(
        f"\n### {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    for result in results:
        print(f"- {result}")


if __name__ == "__main__":
    main()
