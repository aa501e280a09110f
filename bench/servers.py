"""The two servers the webhook benchmark compares, each run by uvicorn in its own process:
Recete's API as mounted in the Reflex backend, and a bare Starlette route doing one INSERT."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import tasks  # noqa: F401  (as in the Reflex backend: enqueueing goes to the broker)
from recete_app.backend import db
from recete_app.backend.http.app import create_api

recete_app = create_api()


def _insert(body: str) -> None:
    with db.get_engine(owner=True).begin() as conn:
        conn.execute(sa.text("INSERT INTO bench_bare (body) VALUES (:body)"), {"body": body})


async def ingest(request: Request) -> JSONResponse:
    body = (await request.body()).decode()
    await run_in_threadpool(_insert, body)
    return JSONResponse({"status": "accepted"})


bare_app = Starlette(routes=[Route("/ingest", ingest, methods=["POST"])])
