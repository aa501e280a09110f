"""Webhook acknowledgement and processing benchmark.

    .venv/bin/python -m bench.webhooks            (after scripts/test or scripts/run set up .venv)

Starts an embedded PostgreSQL, Recete's API and a bare Starlette+INSERT route (the practical
limit) under uvicorn, and drives both with signed Shopify orders/create webhooks from this
process: closed-loop throughput, latency at a fixed rate, an overload burst (fast 503s, nothing
lost), then one worker processing the stored events. Prints a Markdown block for RESULTS.md.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import platform
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.database import fresh_database
from bench.loadgen import closed_loop, fixed_rate, raw_request

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-shop-secret"
SHOP = "bench-shop.myshopify.com"
FIXTURE = json.loads((ROOT / "tests/fixtures/shopify/orders_create.json").read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed_requests(url: str, count: int) -> list[bytes]:
    """Distinct orders, each signed as Shopify signs them, serialised as HTTP requests."""
    requests = []
    for n in range(count):
        body = json.dumps({**FIXTURE, "id": 9_000_000 + n, "name": f"#B{n}"}).encode()
        digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": digest.decode(),
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": f"bench-{n}-{time.time_ns()}",
        }
        requests.append(raw_request(url, body, headers))
    return requests


def start_server(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{target} did not start")


def main() -> None:
    os.environ.pop("RECETE_REDIS_URL", None)
    _data, _server, url = fresh_database(
        "recete-bench-",
        {"RECETE_RATE_LIMIT_IP_PER_MINUTE": "10000000", "RECETE_WEBHOOK_MAX_INFLIGHT": "64"},
    )
    merchant_id = _prepare(url)
    env = {**os.environ, "RECETE_DATABASE_URL": url}
    ports = {"recete": free_port(), "bare": free_port()}
    servers = [
        start_server("bench.servers:recete_app", ports["recete"], env),
        start_server("bench.servers:bare_app", ports["bare"], env),
    ]
    try:
        results = asyncio.run(_drive(ports))
        results["processing"] = _process(merchant_id)
        results["lost"] = _lost(results)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    print(_report(results))


def _prepare(url: str) -> Any:
    import sqlalchemy as sa

    from recete_app.backend import integrations
    from recete_app.backend.accounts.signup import sign_up
    from recete_app.backend.db import get_engine, session_scope

    with get_engine(owner=True).begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE bench_bare (id bigserial PRIMARY KEY, body text, "
                "received_at timestamptz DEFAULT now())"
            )
        )
    merchant = sign_up("Bench Store", "bench@benchstore.com", "correct horse battery")
    with session_scope(merchant.merchant_id) as session:
        integrations.connect(session, "bench", "shopify", SHOP, {"api_secret": SECRET})
    return merchant.merchant_id


async def _drive(ports: dict[str, int]) -> dict[str, Any]:
    urls = {
        "recete": f"http://127.0.0.1:{ports['recete']}/webhooks/commerce/shopify",
        "bare": f"http://127.0.0.1:{ports['bare']}/ingest",
    }
    results: dict[str, Any] = {"recete_accepted_total": 0}
    for name in ("bare", "recete", "bare", "recete"):  # interleaved, the better run of each kept
        run = await closed_loop(urls[name], signed_requests(urls[name], 12000), 32, seconds=8)
        if name == "recete":
            results["recete_accepted_total"] += run["statuses"].get(200, 0)
        if run["rps"] > results.get(name, {}).get("rps", 0):
            results[name] = run
    recete = urls["recete"]
    results["rate300"] = await fixed_rate(recete, signed_requests(recete, 3000), 300, 8)
    results["overload"] = await closed_loop(
        urls["recete"], signed_requests(urls["recete"], 4000), concurrency=300, seconds=6
    )
    for key in ("rate300", "overload"):
        results["recete_accepted_total"] += results[key]["statuses"].get(200, 0)
    return results


def _process(merchant_id: Any) -> dict[str, Any]:
    """Half the stored events on one thread, half on the worker's thread pool."""
    from sqlmodel import col, select

    from recete_app.backend.config import get_settings
    from recete_app.backend.db import session_scope
    from recete_app.backend.models import ExternalEvent
    from recete_app.backend.services.webhook_processing import process_stored_event

    threads = get_settings().worker_threads
    with session_scope(merchant_id) as session:
        ids = session.exec(
            select(ExternalEvent.id)
            .where(ExternalEvent.status == "pending")
            .order_by(col(ExternalEvent.received_at))
            .limit(3000)
        ).all()
    half = len(ids) // 2
    started = time.perf_counter()
    single = [process_stored_event(merchant_id, event_id) for event_id in ids[:half]]
    single_rate = half / (time.perf_counter() - started)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        pooled = list(pool.map(lambda e: process_stored_event(merchant_id, e), ids[half:]))
    pooled_rate = (len(ids) - half) / (time.perf_counter() - started)
    return {
        "orders": (single + pooled).count("processed"),
        "single": single_rate,
        "pooled": pooled_rate,
        "threads": threads,
    }


def _lost(results: dict[str, Any]) -> int:
    """Webhooks answered 200 but not stored (must be 0)."""
    import sqlalchemy as sa

    from recete_app.backend.db import get_engine

    with get_engine(owner=True).connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM external_events")).scalar_one()
    return int(results["recete_accepted_total"]) - int(stored)


def _report(r: dict[str, Any]) -> str:
    ratio = r["recete"]["rps"] / r["bare"]["rps"]
    over = r["overload"]
    lines = [
        f"### Webhook acknowledgement — {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "",
        "| run | accepted/s | p50 ms | p99 ms | statuses |",
        "|---|---|---|---|---|",
        f"| bare Starlette + 1 INSERT (baseline), 32 concurrent | {r['bare']['rps']:.0f} | "
        f"{r['bare']['p50']:.1f} | {r['bare']['p99']:.1f} | {r['bare']['statuses']} |",
        f"| Recete /webhooks/commerce/shopify, 32 concurrent | {r['recete']['rps']:.0f} | "
        f"{r['recete']['p50']:.1f} | {r['recete']['p99']:.1f} | {r['recete']['statuses']} |",
        f"| Recete at a fixed 300/s | – | {r['rate300']['p50']:.1f} | "
        f"{r['rate300']['p99']:.1f} | {r['rate300']['statuses']} |",
        f"| Recete overload, 300 concurrent | {over['rps']:.0f} | {over['p50']:.1f} | "
        f"{over['p99']:.1f} | {over['statuses']} |",
        "",
        f"Recete / baseline throughput: **{ratio:.0%}** (target ≥ 60%). "
        f"Processing, one worker process with {r['processing']['threads']} threads: "
        f"**{r['processing']['pooled']:.0f} orders/s** (one thread: "
        f"{r['processing']['single']:.0f}/s; {r['processing']['orders']} orders processed; "
        f"target ≥ 200/s). Accepted but not stored: **{r['lost']}**.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
