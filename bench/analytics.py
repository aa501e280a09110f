"""Analytics benchmark: the rollup's rate and the tracked link's latency.

    .venv/bin/python -m bench.analytics [--sends 100000] [--links 4000]

Starts an embedded PostgreSQL and seeds one store's journey facts over 90 days (the largest
store of the issue's data set holds 30% of 1,000,000 messages: 300,000 sends; the default
here is 100,000 sends, about 330,000 facts, to keep a run short), then:
- rolls every fact up (`analytics.rollup.roll_up`, the worker's code) and, as the same-run
  baseline, runs the bare aggregate over the same facts (one GROUP BY, no claim, no rebuild);
- serves Recete's API and a bare Starlette route (one UPDATE of the link, then 302) under uvicorn
  and drives `/r/{token}` and the bare route at a fixed 200 requests/s with a phone's user
  agent (every click counted).
Prints a Markdown block for RESULTS.md. The Analytics page's queries come with the page.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bench.database import fresh_database
from bench.loadgen import fixed_rate, raw_request
from bench.webhooks import free_port, start_server

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari"
# Each send's facts: (name, share of sends that have it).
FACTS = (
    ("sent", 1.0),
    ("delivered", 0.95),
    ("priced", 0.95),
    ("read", 0.6),
    ("replied", 0.1),
    ("clicked", 0.05),
    ("failed", 0.03),
    ("opted_out", 0.01),
)
SEED = """
INSERT INTO analytics_events (merchant_id, name, subject_id, step, subject_at,
    properties, occurred_at)
SELECT :m, CAST(:name AS varchar), s.subject, s.step, s.at,
    CASE WHEN CAST(:name AS varchar) = 'priced' THEN jsonb_build_object('billable', true,
        'category', CASE WHEN s.step LIKE 'day3%' THEN 'utility' ELSE 'marketing' END,
        'calling_code', CASE WHEN s.n % 5 = 0 THEN '44' ELSE '90' END)
         WHEN CAST(:name AS varchar) = 'failed'
             THEN '{"code": "131026", "title": "Message undeliverable"}'::jsonb
         ELSE '{}'::jsonb END,
    s.at
FROM bench_sends s WHERE (s.n % 1000) < CAST(:share AS float) * 1000
"""
BASELINE = """
SELECT (subject_at AT TIME ZONE 'Europe/Istanbul')::date, step,
    count(*) FILTER (WHERE name = 'sent'), count(*) FILTER (WHERE name = 'delivered'),
    count(*) FILTER (WHERE name = 'read'), count(*) FILTER (WHERE name = 'replied'),
    count(*) FILTER (WHERE name = 'clicked'), count(*) FILTER (WHERE name = 'failed'),
    count(*) FILTER (WHERE name = 'opted_out')
FROM analytics_events WHERE merchant_id = :m GROUP BY 1, 2
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=4_000)
    args = parser.parse_args()
    os.environ.pop("RECETE_REDIS_URL", None)
    _data, _server, url = fresh_database("recete-bench-analytics-")
    merchant_id = _merchant()
    events = _seed(merchant_id, args.sends)
    results: dict[str, Any] = {"sends": args.sends, "events": events}
    results.update(_roll_up(merchant_id, events))
    # Rolling up marks every fact (two passes here: twice the table in dead rows); vacuum now, so
    # that autovacuum does not land in the middle of the click measurement (it did: p50 1 s).
    _vacuum()
    tokens = _links(merchant_id, args.links)
    results.update(_clicks(url, tokens))
    print(_report(results))


def _merchant() -> Any:
    from recete_app.backend.accounts.signup import sign_up

    merchant = sign_up("Bench Store", "bench@benchstore.com", "correct horse battery")
    zone = "UPDATE merchants SET timezone = 'Europe/Istanbul' WHERE id = :m"
    _owner(zone, m=merchant.merchant_id)
    return merchant.merchant_id


def _owner(sql: str, **params: Any) -> Any:
    from recete_app.backend.db import get_engine

    with get_engine(owner=True).begin() as conn:
        conn.execute(sa.text("SET LOCAL row_security = off"))
        return conn.execute(sa.text(sql), params)


def _seed(merchant_id: Any, sends: int) -> int:
    _owner(
        "CREATE UNLOGGED TABLE bench_sends AS SELECT n, gen_random_uuid() AS subject,"
        " CASE WHEN n % 2 = 0 THEN 'day3_usage_tips' ELSE 'day14_check_in' END AS step,"
        " now() - (n % 90) * interval '1 day' - (n % 86400) * interval '1 second' AS at"
        " FROM generate_series(1, :sends) AS n",
        sends=sends,
    )
    for name, share in FACTS:
        _owner(SEED, m=merchant_id, name=name, share=share)
    _owner("ANALYZE analytics_events")
    return int(_owner("SELECT count(*) FROM analytics_events").scalar_one())


def _roll_up(merchant_id: Any, events: int) -> dict[str, Any]:
    from recete_app.backend.analytics.rollup import roll_up

    started = time.perf_counter()
    rolled = roll_up(merchant_id)
    rollup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    _owner(BASELINE, m=merchant_id)
    baseline_seconds = time.perf_counter() - started
    # Again from scratch: the same figures (rolling up is repeatable).
    first = _fingerprint(merchant_id)
    _owner("UPDATE analytics_events SET rolled_up_at = NULL")
    roll_up(merchant_id)
    again = _fingerprint(merchant_id)
    return {
        "rolled": rolled,
        "rollup_rate": events / rollup_seconds,
        "rollup_seconds": rollup_seconds,
        "baseline_rate": events / baseline_seconds,
        "baseline_seconds": baseline_seconds,
        "repeatable": again == first,
    }


def _vacuum() -> None:
    from recete_app.backend.db import get_engine

    # And write out what the rollup dirtied: a checkpoint in the middle of the clicks held
    # their commits (and not the baseline's, when it only read).
    for statement in ("VACUUM (ANALYZE) analytics_events", "CHECKPOINT"):
        with get_engine(owner=True).connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text(statement))


def _fingerprint(merchant_id: Any) -> str:
    return str(
        _owner(
            "SELECT md5(string_agg((j.day, j.step, j.sent, j.delivered, j.read, j.replied,"
            " j.clicked, j.failed, j.opted_out, j.billable, j.cost_estimate, j.failures)::text,"
            " ',' ORDER BY day, step)) FROM journey_days j WHERE merchant_id = :m",
            m=merchant_id,
        ).scalar_one()
    )


def _links(merchant_id: Any, count: int) -> list[str]:
    from recete_app.backend.analytics.links import tracked_url
    from recete_app.backend.db import session_scope

    with session_scope(merchant_id) as session:
        subjects = session.execute(
            sa.text("SELECT subject, step, at FROM bench_sends LIMIT :n"), {"n": count}
        ).all()
        urls = [
            tracked_url(session, s.subject, s.step, s.at, "https://shop.example/p/1?ref=wa")
            for s in subjects
        ]
    return [url.rsplit("/r/", 1)[1] for url in urls]


def _clicks(url: str, tokens: list[str]) -> dict[str, Any]:
    env = {**os.environ, "RECETE_DATABASE_URL": url}
    ports = {"recete": free_port(), "bare": free_port()}
    servers = [
        start_server("bench.servers:recete_app", ports["recete"], env),
        start_server("bench.servers:bare_app", ports["bare"], env),
    ]
    try:
        return asyncio.run(_drive(ports, tokens))
    finally:
        for server in servers:
            server.terminate()
            server.wait()


async def _drive(ports: dict[str, int], tokens: list[str]) -> dict[str, Any]:
    paths = {"recete": "/r/{}", "bare": "/go/{}"}
    results: dict[str, Any] = {}
    for name in ("bare", "recete", "bare", "recete"):  # interleaved; the second run is kept
        base = f"http://127.0.0.1:{ports[name]}"
        requests = [
            raw_request(base + paths[name].format(t), b"", {"User-Agent": PHONE}, method="GET")
            for t in tokens
        ]
        results[name] = await fixed_rate(base, requests, 200, 15)
    return results


def _report(r: dict[str, Any]) -> str:
    recete, bare = r["recete"], r["bare"]
    return "\n".join(
        [
            f"### Analytics — {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}",
            "",
            f"One store, {r['sends']:,} journey sends over 90 days: {r['events']:,} facts.",
            "",
            "| run | facts/s | seconds |",
            "|---|---|---|",
            f"| bare GROUP BY over the same facts (baseline) | {r['baseline_rate']:,.0f} | "
            f"{r['baseline_seconds']:.2f} |",
            f"| rollup (claim, rebuild each day, cost from the rate card) | "
            f"{r['rollup_rate']:,.0f} | {r['rollup_seconds']:.2f} |",
            "",
            f"Rollup: **{r['rollup_rate']:,.0f} facts/s** on one worker thread (target ≥ 5,000); "
            f"{r['rollup_rate'] / r['baseline_rate']:.0%} of the bare aggregate's rate. "
            f"Rolled up again from scratch, the same figures: **{r['repeatable']}**.",
            "",
            "| `/r/{token}` at a fixed 200/s, 15 s | p50 ms | p99 ms | statuses |",
            "|---|---|---|---|",
            f"| bare Starlette: UPDATE the link + 302 (baseline) | {bare['p50']:.1f} | "
            f"{bare['p99']:.1f} | {bare['statuses']} |",
            f"| Recete (lookup, count the click, record the fact, 302) | {recete['p50']:.1f} | "
            f"{recete['p99']:.1f} | {recete['statuses']} |",
            "",
            f"Tracked link p99: **{recete['p99']:.1f} ms** (target < 20 ms).",
        ]
    )


if __name__ == "__main__":
    main()
