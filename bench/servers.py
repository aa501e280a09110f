"""The servers the benchmarks compare, each run by uvicorn in its own process: Recete's API as
mounted in the Reflex backend, and bare Starlette routes doing the least the same work needs:
one INSERT (webhooks), one UPDATE of the link and a redirect (tracked links)."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
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


def _target(token: str) -> str | None:
    """The least a counted click needs: one UPDATE in one transaction (a commit that waits for
    the WAL like Recete's)."""
    with db.get_engine(owner=True).begin() as conn:
        return conn.execute(
            sa.text(
                "UPDATE tracked_links SET clicks = clicks + 1 WHERE token = :t RETURNING target"
            ),
            {"t": token},
        ).scalar()


async def redirect(request: Request) -> Response:
    target = await run_in_threadpool(_target, request.path_params["token"])
    if target is None:
        return Response(status_code=404)
    return RedirectResponse(target, status_code=302)


bare_app = Starlette(
    routes=[
        Route("/ingest", ingest, methods=["POST"]),
        Route("/go/{token}", redirect, methods=["GET"]),
    ]
)
