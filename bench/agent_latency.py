"""Agent latency benchmark: a customer's WhatsApp message to the reply handed to the Graph API.

    .venv/bin/python -m bench.agent_latency [--messages 300] [--rate 10] [--burst 600]
                                            [--model-delay 1.0] [--warmup 50]

Starts an embedded PostgreSQL (the demo catalogue, one store, one customer per message), a
private redis-server, a local server answering like the Graph API, the API under uvicorn (the
webhook route) and 2 `recete worker` processes; the runs start once the workers have planned the
seeded orders' journeys (printed), and each steady run after a warm-up of `--warmup` messages
at the same rate (reported apart: freshly started workers open connections and import lazily,
which a handful of messages measured right after a start would mistake for the pipeline's
cost). Each signed webhook carries one question; the
time is taken from posting it until the fake Graph API receives the reply that quotes its id.
Runs: `local` (the default responder) at a steady rate: p50/p95; `burst`: replies per second
when `--burst` messages arrive at once; `model` (with --model-delay): the same steady run with
the openai provider against a local OpenAI-compatible server that waits a fixed time, giving
what the pipeline adds to the model's own time. Each run also gives the CPU milliseconds per
reply of PostgreSQL, the API, the workers and this process (the fakes). Prints a Markdown block
for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.cpu import CpuMeter, postmaster_pid
from bench.database import fresh_database
from bench.dispatch import ROOT, free_port, start_redis
from bench.webhooks import start_server
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.openai_chat import FakeOpenAIChat

NUMBER = "106540352299999"
SECRET = "bench-app-secret-0123456789"
QUESTIONS = (
    "how many nights a week should i use the retinol",
    "retinolü sabah mı akşam mı sürmeliyim",
    "can i use it with niacinamide",
    "is the retinol ok for sensitive skin?",
    "my face is red and burning after the serum",
    "where is my order",
    "thanks!",
)


def prepare(customers: int, token: str) -> uuid.UUID:
    from recete_app.backend import integrations
    from recete_app.backend.accounts.signup import sign_up
    from recete_app.backend.commerce.events import (
        ConsentInfo,
        CustomerInfo,
        LineItem,
        OrderEvent,
    )
    from recete_app.backend.commerce.orders import apply_order_event
    from recete_app.backend.db import session_scope
    from recete_app.backend.knowledge.demo import install_demo_catalogue
    from recete_app.backend.knowledge.embeddings import LocalEmbedder

    merchant_id = sign_up("Bench Kozmetik", "agent@bench.com", "bench-password-1").merchant_id
    now = datetime.now(UTC)
    with session_scope(merchant_id) as session:
        secrets = {"access_token": token, "app_secret": SECRET, "verify_token": "v"}
        integrations.connect(session, "bench", "whatsapp", NUMBER, secrets)
        install_demo_catalogue(session, LocalEmbedder())
        for n in range(customers):
            consent = ConsentInfo("opted_in", "whatsapp", "bench", now - timedelta(days=6))
            event = OrderEvent(
                source="api",
                external_id=f"o{n}",
                updated_at=now,
                name=f"#{1000 + n}",
                placed_at=now - timedelta(days=6),
                delivered_at=now - timedelta(days=3),
                customer=CustomerInfo(
                    external_id=f"c{n}", first_name="Deniz", phone=phone(n), consent=(consent,)
                ),
                line_items=(LineItem("li", product_external_id="retinol-03-night-serum"),),
            )
            apply_order_event(session, event)
    return merchant_id


def wait_for_planning(merchant_id: uuid.UUID, limit: float = 300) -> float:
    """Seconds until the workers have planned the seeded orders' journeys: a store's history is
    planned once, not while its customers write, so the runs start after it."""
    from sqlmodel import col, func, select

    from recete_app.backend.db import session_scope
    from recete_app.backend.models import DomainEvent

    start = time.monotonic()
    while time.monotonic() - start < limit:
        with session_scope(merchant_id) as session:
            unplanned = session.exec(
                select(func.count()).where(col(DomainEvent.handled_at).is_(None))
            ).one()
        if not unplanned:
            break
        time.sleep(0.5)
    return round(time.monotonic() - start, 1)


def phone(n: int) -> str:
    return f"+90532{n:07d}"


def webhook(n: int, run: str) -> tuple[str, bytes, str]:
    wamid = f"wamid.{run}.{n}"
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": NUMBER,
                            },
                            "contacts": [
                                {"profile": {"name": "Deniz"}, "wa_id": phone(n).lstrip("+")}
                            ],
                            "messages": [
                                {
                                    "from": phone(n).lstrip("+"),
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": QUESTIONS[n % len(QUESTIONS)]},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return wamid, raw, signature


def replies(graph: FakeGraphApi) -> dict[str, float]:
    """wamid answered -> when the reply reached the Graph API (monotonic)."""
    found: dict[str, float] = {}
    for request in graph.sent_messages():
        context = request.body.get("context") or {}
        if "message_id" in context:
            found.setdefault(context["message_id"], request.received_at)
    return found


def run(
    name: str,
    api: str,
    graph: FakeGraphApi,
    span: tuple[int, int],
    rate: float,
    meter: CpuMeter,
) -> dict[str, Any]:
    first, count = span
    posted: dict[str, float] = {}
    meter.start()
    with httpx.Client(base_url=api, timeout=10) as client:
        start = time.monotonic()
        for i in range(count):
            if rate:
                time.sleep(max(0.0, start + i / rate - time.monotonic()))
            wamid, raw, signature = webhook(first + i, name)
            posted[wamid] = time.monotonic()
            headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
            assert (
                client.post("/webhooks/whatsapp", content=raw, headers=headers).status_code == 200
            )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(set(posted) & set(replies(graph))) < count:
        time.sleep(0.2)
    cpu = meter.per_message_ms(count)
    answered = replies(graph)
    latencies = sorted(answered[w] - posted[w] for w in posted if w in answered)
    elapsed = max(answered[w] for w in posted if w in answered) - min(posted.values())
    return {
        "run": name,
        "messages": count,
        "answered": len(latencies),
        "p50_ms": round(1000 * statistics.median(latencies)),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))]),
        "replies_per_s": round(len(latencies) / elapsed, 1),
        "cpu_ms_per_reply": cpu,
    }


def start_workers(
    env: dict[str, str], threads: int, count: int = 2
) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "recete_app.cli", "worker", "--threads", str(threads)],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


# Time given freshly started workers to import and connect before messages arrive: the warm-up
# then measures their first messages, not a process that is not consuming yet.
STARTUP_SECONDS = 5


class Customers:
    """Hands out the seeded customers: each run's messages come from customers of their own."""

    def __init__(self) -> None:
        self.used = 0

    def take(self, count: int) -> tuple[int, int]:
        self.used += count
        return self.used - count, count


def measured(
    name: str,
    base: str,
    graph: FakeGraphApi,
    spans: Customers,
    args: argparse.Namespace,
    meter: CpuMeter,
) -> list[dict[str, Any]]:
    """A warm-up (freshly started workers open their connections and import lazily: their
    first seconds are reported, not mixed into the steady state), then the measured run."""
    warmup = run(f"{name} warm-up", base, graph, spans.take(args.warmup), args.rate, meter)
    print(warmup, flush=True)
    result = run(name, base, graph, spans.take(args.messages), args.rate, meter)
    print(result, flush=True)
    return [warmup, result]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--model-delay", type=float, default=1.0)
    parser.add_argument("--warmup", type=int, default=50, help="messages before each steady run")
    parser.add_argument("--threads", type=int, default=8, help="per worker (local run)")
    # A thread waits out each model call: model-backed workers run more of them.
    parser.add_argument("--model-threads", type=int, default=32, help="per worker (model run)")
    args = parser.parse_args()
    redis, redis_url = start_redis()
    graph = FakeGraphApi()
    graph.start()
    model = FakeOpenAIChat(delay_seconds=args.model_delay)
    model.start()
    results = []
    spans = Customers()
    try:
        settings = {
            "RECETE_REDIS_URL": redis_url,
            "RECETE_WHATSAPP_GRAPH_URL": graph.url,
            "RECETE_RATE_LIMIT_IP_PER_MINUTE": "10000000",
        }
        data, _server, url = fresh_database("recete-bench-agent-", settings)
        total = 2 * (args.warmup + args.messages) + args.burst
        merchant_id = prepare(total, graph.token)
        env = {**os.environ, "RECETE_DATABASE_URL": url}
        port = free_port()
        api = start_server("bench.servers:recete_app", port, env)
        base = f"http://127.0.0.1:{port}"
        services = {"postgres": [postmaster_pid(data / "pg")], "api": [api.pid]}
        workers = start_workers(env, args.threads)
        try:
            print(f"seeded orders planned in {wait_for_planning(merchant_id)} s", flush=True)
            meter = CpuMeter({**services, "workers": [w.pid for w in workers]})
            results += measured("local", base, graph, spans, args, meter)
            if args.burst:
                results.append(run("burst", base, graph, spans.take(args.burst), 0, meter))
                print(results[-1], flush=True)
        finally:
            stop(workers)
        if args.model_delay:
            print(f"model run: {args.model_threads} threads per worker", flush=True)
            model_env = {
                **env,
                "RECETE_LLM_PROVIDER": "openai",
                "OPENAI_API_KEY": model.api_key,
                "OPENAI_BASE_URL": model.base_url,
            }
            workers = start_workers(model_env, args.model_threads)
            try:
                time.sleep(STARTUP_SECONDS)
                meter = CpuMeter({**services, "workers": [w.pid for w in workers]})
                results += measured("model", base, graph, spans, args, meter)
                for result in results[-2:]:
                    result["model_delay_ms"] = round(1000 * args.model_delay)
                    result["pipeline_p50_ms"] = result["p50_ms"] - result["model_delay_ms"]
                    result["pipeline_p95_ms"] = result["p95_ms"] - result["model_delay_ms"]
            finally:
                stop(workers)
        stop([api])
    finally:
        graph.stop()
        model.stop()
        redis.terminate()
    print(
        f"\n### {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    for result in results:
        print(f"- {result}")


if __name__ == "__main__":
    main()
